"""mathcore.dynamics: the attention flow of Geshkovski et al. on the circle and the sphere."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mathcore.dynamics import (
    angles_to_points,
    angular_distances,
    circle_velocity,
    cluster_labels,
    count_clusters,
    energies,
    energy,
    interaction_weights,
    random_circle,
    random_sphere,
    simulate,
    simulate_circle,
    velocity,
)


def _at(traj, t):  # positions at time t
    return traj.positions[int(round(t / (traj.times[1] - traj.times[0])))]


def _diameter_within_clusters(x, labels):  # largest angular distance between two points of one cluster
    same = labels[:, None] == labels[None, :]
    return angular_distances(x)[same].max()


# ---------------------------------------------------------------------------------------------- basics


@pytest.mark.parametrize("d", [2, 3, 5])
def test_random_start_is_seeded_and_on_the_sphere(d):
    x = random_sphere(50, d, seed=3)
    assert x.shape == (50, d)
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-12)
    np.testing.assert_array_equal(x, random_sphere(50, d, seed=3))
    assert not np.array_equal(x, random_sphere(50, d, seed=4))
    with pytest.raises(ValueError, match="d >= 2"):
        random_sphere(5, 1)


def test_weights_rows_sum_to_one_when_normalized():
    x = random_sphere(7, 3, seed=0)
    np.testing.assert_allclose(interaction_weights(x, 4.0).sum(axis=1), 1.0, atol=1e-12)
    # unnormalized: e^{β⟨x_i,x_i⟩}/n = e^β/n on the diagonal
    np.testing.assert_allclose(np.diag(interaction_weights(x, 4.0, normalized=False)), np.exp(4.0) / 7)


@pytest.mark.parametrize("normalized", [True, False])
@pytest.mark.parametrize("d", [2, 3, 6])
def test_points_stay_on_the_sphere(d, normalized):
    traj = simulate(random_sphere(20, d, seed=1), beta=4.0, t_end=10.0, h=0.01 if not normalized else 0.1,
                    normalized=normalized)
    assert traj.positions.shape == (len(traj.times), 20, d)
    np.testing.assert_allclose(np.linalg.norm(traj.positions, axis=2), 1.0, atol=1e-12)
    v = velocity(traj.positions[-1], 4.0, normalized)
    np.testing.assert_allclose(np.sum(v * traj.positions[-1], axis=1), 0.0, atol=1e-12)  # tangent


# ---------------------------------------------------------------------------------------------- energy


def test_energy_by_hand():
    beta = 2.0
    one_point = np.tile([[0.0, 0.0, 1.0]], (5, 1))  # all coincide: Σ_ij e^β = n² e^β
    assert energy(one_point, beta) == pytest.approx(np.exp(beta) / (2 * beta))
    antipodal = np.array([[1.0, 0.0], [-1.0, 0.0]])  # (2e^β + 2e^{−β}) / (2β·4) = cosh β / (2β)
    assert energy(antipodal, beta) == pytest.approx(np.cosh(beta) / (2 * beta))
    with pytest.raises(ValueError, match="β > 0"):
        energy(antipodal, 0.0)


def test_unnormalized_flow_is_energy_ascent():
    # Chain rule: dE/dt = Σ_i ⟨∇_i E, v_i⟩ with ∇_i E = (1/n²) Σ_j e^{β⟨x_i,x_j⟩} x_j = u_i / n and
    # v_i = P_{x_i} u_i, so dE/dt = (1/n) Σ_i |v_i|². Check against a central difference along v.
    x, beta, eps = random_sphere(9, 3, seed=2), 3.0, 1e-6
    v = velocity(x, beta, normalized=False)
    rate = (energy(x + eps * v, beta) - energy(x - eps * v, beta)) / (2 * eps)
    assert rate == pytest.approx(np.sum(v * v) / len(x), rel=1e-6)


@pytest.mark.parametrize("d,beta,seed", [(2, 1.0, 0), (3, 1.0, 1), (3, 4.0, 2), (5, 2.0, 3)])
def test_unnormalized_energy_never_decreases(d, beta, seed):
    # The unnormalized flow is stiff: inside a cluster it contracts at a rate ~ e^β, so the step must be
    # small against e^{-β} (h = 0.01 is fine up to β ≈ 4).
    traj = simulate(random_sphere(24, d, seed), beta, t_end=3.0, h=0.01, normalized=False)
    e = energies(traj)
    assert np.all(np.diff(e) >= -1e-12 * e[1:])
    assert e[-1] > e[0]


# ---------------------------------------------------------------------------------------------- circle form


@settings(max_examples=60, deadline=None)
@given(
    theta=st.lists(st.floats(-10, 10, allow_nan=False), min_size=1, max_size=12),
    beta=st.floats(0, 10),
    normalized=st.booleans(),
)
def test_circle_form_agrees_with_the_vector_form(theta, beta, normalized):
    # dθ_i/dt is the component of dx_i/dt along the unit tangent (−sin θ_i, cos θ_i), and the vector
    # velocity is tangent, so v_i = θ'_i · tangent_i exactly.
    theta = np.array(theta)
    tangent = np.stack([-np.sin(theta), np.cos(theta)], axis=1)
    v = velocity(angles_to_points(theta), beta, normalized)
    scale = np.exp(beta) if not normalized else 1.0  # unnormalized weights reach e^β / n
    np.testing.assert_allclose(v, circle_velocity(theta, beta, normalized)[:, None] * tangent, atol=1e-12 * scale)


def test_circle_velocity_by_hand():
    # two points a quarter turn apart, unnormalized: dθ_0/dt = −(1/2)(e^β sin 0 + e^{β cos(−π/2)} sin(−π/2)) = 1/2
    np.testing.assert_allclose(circle_velocity(np.array([0.0, np.pi / 2]), beta=3.0), [0.5, -0.5], atol=1e-15)


@pytest.mark.parametrize("normalized", [True, False])
def test_circle_and_vector_integrators_agree(normalized):
    # Both are first-order schemes for the same ODE; the vector step moves each angle by atan(h·θ'), the
    # angle step by h·θ', so they differ by O(h³) per step.
    theta0 = random_circle(16, seed=5)
    a = simulate_circle(theta0, beta=2.0, t_end=5.0, h=0.01, normalized=normalized)
    b = simulate(angles_to_points(theta0), beta=2.0, t_end=5.0, h=0.01, normalized=normalized)
    np.testing.assert_allclose(a.times, b.times)
    np.testing.assert_allclose(a.positions, b.positions, atol=1e-3)
    np.testing.assert_allclose(np.exp(1j * a.angles[0]), np.exp(1j * theta0), atol=1e-12)  # same angle mod 2π
    assert np.all(np.abs(np.diff(a.angles, axis=0)) < 0.1)  # unwrapped: traces have no 2π jumps


# ---------------------------------------------------------------------------------------------- clusters


def test_cluster_labels_single_linkage_by_hand():
    theta = np.array([0.0, 0.04, 0.08, 0.12, 1.0, 1.01, 3.0])  # a chain of 0.04 hops, a pair, a loner
    labels = cluster_labels(angles_to_points(theta), threshold=0.05)
    np.testing.assert_array_equal(labels, [0, 0, 0, 0, 1, 1, 2])
    # below the hop length the chain breaks into singletons; the pair (0.01 apart) stays together
    assert count_clusters(angles_to_points(theta), threshold=0.03) == 6


@pytest.mark.parametrize("beta", [0.0, 0.5])
@pytest.mark.parametrize("normalized", [True, False])
def test_small_beta_ends_in_one_cluster_on_the_circle(beta, normalized):
    for seed in range(5):
        traj = simulate_circle(random_circle(32, seed), beta, t_end=40.0, h=0.1, normalized=normalized)
        assert count_clusters(traj.final, threshold=0.05) == 1
        assert angular_distances(traj.final).max() < 0.01  # one tight cluster, not a long chain


def test_paper_setting_beta_1_on_the_sphere_ends_in_one_cluster():
    # Geshkovski et al.'s simulation: n = 64 on the 2-sphere, β = 1, time 15, Euler step 0.1.
    for seed in range(3):
        traj = simulate(random_sphere(64, 3, seed), beta=1.0, t_end=15.0, h=0.1)
        assert count_clusters(traj.final, threshold=0.05) == 1


def test_moderate_beta_is_metastable_on_the_sphere():
    # β = 9, n = 32 on the 2-sphere, softmax (normalized) flow. By t = 20 the points have collapsed into
    # several tight clusters; those clusters are still there at t = 50 (they outlive the time it took to
    # form them), and by t = 400 some of them have merged.
    for seed in range(5):
        traj = simulate(random_sphere(32, 3, seed), beta=9.0, t_end=400.0, h=0.2)
        x20 = _at(traj, 20.0)
        labels20 = cluster_labels(x20)
        k20 = labels20.max() + 1
        assert k20 >= 3
        assert _diameter_within_clusters(x20, labels20) < 0.1  # real clusters, not a chain
        assert count_clusters(_at(traj, 50.0)) >= 3
        assert 1 <= count_clusters(traj.final) < k20
