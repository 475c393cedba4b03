"""mathcore.dynamics additions for chapter 13: the runs as data, the plane projection, plateaus."""

import numpy as np
import pytest

from mathcore import Config, build_example
from mathcore.dynamics import (
    CIRCLE_FLOW,
    METASTABLE_FLOW,
    PAPER_FLOW,
    angles_to_points,
    circle_angles,
    cluster_counts,
    count_clusters,
    decade_ticks,
    plane_projection,
    plateaus,
    positions_at,
    row_norms,
    simulate,
)


def test_paper_flow_is_the_papers_setting_and_ends_in_one_cluster():
    assert (PAPER_FLOW.n, PAPER_FLOW.d, PAPER_FLOW.beta, PAPER_FLOW.t_end, PAPER_FLOW.h) == (64, 3, 1.0, 15.0, 0.1)
    a, b = PAPER_FLOW.run(), PAPER_FLOW.run()
    np.testing.assert_array_equal(a.positions, b.positions)  # seeded: the same run every time
    assert count_clusters(a.final) == 1


def test_metastable_flow_has_plateaus_that_merge():
    traj = METASTABLE_FLOW.run()
    counts = cluster_counts(traj)
    runs = plateaus(traj.times, counts)
    assert counts[0] > 50 and counts[-1] < counts[np.searchsorted(traj.times, 20.0)]
    long_runs = [p for p in runs if p.length > 20]
    assert len(long_runs) >= 2  # at least two long-lived (metastable) cluster counts
    assert all(a.count > b.count for a, b in zip(long_runs, long_runs[1:]))


def test_plateaus_by_hand():
    t = np.arange(6) * 1.0
    runs = plateaus(t, np.array([5, 5, 3, 3, 3, 1]))
    assert [(p.start, p.end, p.count) for p in runs] == [(0, 2, 5), (2, 5, 3), (5, 5, 1)]
    assert runs[1].length == 3


def test_decade_ticks():
    assert decade_ticks(0.1, 300) == [0.1, 1, 10, 100]
    assert decade_ticks(0.5, 15) == [1, 10]
    with pytest.raises(ValueError):
        decade_ticks(0, 1)


def test_plane_projection_of_planar_points_keeps_their_angles():
    theta = np.array([0.3, 1.2, 2.0, -2.5, -1.0])
    x = np.zeros((5, 4))
    x[:, 1:3] = angles_to_points(theta)  # points on a circle inside a plane of R^4
    got = circle_angles(x)
    # same angles up to a rotation and possibly a reflection of the plane
    diffs = [np.angle(np.exp(1j * (s * got - theta))) for s in (1, -1)]
    assert any(np.ptp(np.unwrap(d)) < 1e-9 for d in diffs)
    np.testing.assert_allclose(np.linalg.norm(plane_projection(x), axis=1), 1.0)


def test_plane_projection_is_deterministic_and_handles_one_row():
    x = np.random.default_rng(0).standard_normal((7, 6))
    np.testing.assert_array_equal(plane_projection(x), plane_projection(x.copy()))
    np.testing.assert_allclose(plane_projection(-x), -plane_projection(x))  # sign fixed by the loadings
    one = plane_projection(np.array([[0.0, 3.0, 4.0]]))
    np.testing.assert_allclose(one, [[5.0, 0.0]])


def test_encoder_output_rows_lie_on_a_sphere_and_get_angles():
    ex = build_example(Config())
    z = ex.value("encoder.0.norm2.normalized")  # LayerNorm's normalized rows, before γ and β
    np.testing.assert_allclose(row_norms(z), np.sqrt(z.shape[1]), rtol=1e-4)  # radius √d: a sphere
    x = ex.value("encoder.output")
    theta = circle_angles(x)
    assert theta.shape == (len(x),) and np.all(np.abs(theta) <= np.pi)
    traj = simulate(angles_to_points(theta), CIRCLE_FLOW.beta, CIRCLE_FLOW.t_end, CIRCLE_FLOW.h, CIRCLE_FLOW.normalized)
    assert count_clusters(traj.final) == 1


def test_positions_at_interpolates_and_stays_on_the_sphere():
    traj = PAPER_FLOW.run()
    np.testing.assert_array_equal(positions_at(traj, 0.0), traj.positions[0])
    np.testing.assert_allclose(positions_at(traj, 15.0), traj.positions[-1], atol=1e-12)
    np.testing.assert_allclose(positions_at(traj, 0.3), traj.positions[3], atol=1e-12)
    mid = positions_at(traj, 0.25)
    np.testing.assert_allclose(np.linalg.norm(mid, axis=1), 1.0)
    assert np.all(np.sum(mid * traj.positions[2], axis=1) > 0.99)
    np.testing.assert_array_equal(positions_at(traj, 99.0), traj.positions[-1])  # clipped
