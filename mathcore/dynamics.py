"""Tokens as interacting particles: the attention flow of Geshkovski, Letrouit, Polyanskiy and Rigollet.

Chapter 13 (docs/teaching-notes.md §6). LayerNorm keeps every token on the unit sphere S^{d-1}; stack infinitely
many thin self-attention layers with Q = K = V = I and depth becomes time. The n tokens x_1 ... x_n (rows
of X, n x d, unit norm) then move by

    normalized (softmax, the real transformer):  dx_i/dt = P_{x_i}( Σ_j e^{β⟨x_i,x_j⟩} x_j / Σ_k e^{β⟨x_i,x_k⟩} )
    unnormalized (divide by n instead):          dx_i/dt = P_{x_i}( (1/n) Σ_j e^{β⟨x_i,x_j⟩} x_j )

where P_x y = y − ⟨x,y⟩x removes the component along x (keeps the motion tangent to the sphere) and β plays
the role of an inverse temperature. The unnormalized flow is gradient ascent of the interaction energy
E = (1/(2βn²)) Σ_ij e^{β⟨x_i,x_j⟩}, so E never decreases. On the circle, x = (cos θ, sin θ), both become
Kuramoto-like equations for the angles. Points attract each other and end in clusters: one cluster for
small β, several long-lived (metastable) clusters for moderate β that merge only after a time ~ e^β.

Everything is numpy, deterministic given a seed, and works for any dimension d ≥ 2.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# ---------------------------------------------------------------------------------------------- starts


def random_sphere(n: int, d: int, seed: int = 0) -> np.ndarray:  # -> (n, d) unit rows
    """n points uniform on S^{d-1}: normalized standard Gaussians (the Gaussian is rotation invariant)."""
    if d < 2:
        raise ValueError(f"dimension d is {d}; the sphere S^(d-1) needs d >= 2 (d = 2 is the circle).")
    x = np.random.default_rng(seed).standard_normal((n, d))  # (n, d)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def random_circle(n: int, seed: int = 0) -> np.ndarray:  # -> (n,) angles in [0, 2π)
    """n angles uniform on the circle."""
    return np.random.default_rng(seed).uniform(0.0, 2.0 * np.pi, size=n)


def angles_to_points(theta: np.ndarray) -> np.ndarray:  # (...,) angles -> (..., 2) unit vectors
    return np.stack([np.cos(theta), np.sin(theta)], axis=-1)


def points_to_angles(x: np.ndarray) -> np.ndarray:  # (..., 2) -> (...,) angles in (−π, π]
    return np.arctan2(x[..., 1], x[..., 0])


# ---------------------------------------------------------------------------------------------- vector fields


def tangent_project(x: np.ndarray, y: np.ndarray) -> np.ndarray:  # x (n, d) unit rows, y (n, d) -> (n, d)
    """P_x y = y − ⟨x,y⟩x, row by row: the part of y tangent to the sphere at x."""
    return y - np.sum(x * y, axis=1, keepdims=True) * x


def interaction_weights(x: np.ndarray, beta: float, normalized: bool = True) -> np.ndarray:  # (n, d) -> (n, n)
    """Row i holds how strongly token i is pulled towards each token j.

    normalized:   softmax_j(β⟨x_i,x_j⟩), each row sums to 1 (the attention matrix with Q = K = I)
    unnormalized: e^{β⟨x_i,x_j⟩} / n
    """
    g = beta * (x @ x.T)  # (n, n) β·Gram matrix; entries in [−β, β]
    if normalized:
        g = g - g.max(axis=1, keepdims=True)  # subtract the row max so exp cannot overflow for large β
        w = np.exp(g)
        return w / w.sum(axis=1, keepdims=True)
    return np.exp(g) / len(x)


def velocity(x: np.ndarray, beta: float, normalized: bool = True) -> np.ndarray:  # (n, d) -> (n, d)
    """dx_i/dt = P_{x_i}( Σ_j w_ij x_j ) with w from `interaction_weights` (self-attention with V = I).

    Step sizes: the normalized field has |v| ≤ 1 and h = 0.1 (the paper's) is fine for any β. The
    unnormalized field is stiff: inside a cluster of m points it contracts at a rate ~ e^β·m/n, so Euler
    needs h ≲ e^{-β} (h = 0.1 oscillates already at β = 9 on the circle, and 0.001 does too; keep h·e^β < 1).
    """
    return tangent_project(x, interaction_weights(x, beta, normalized) @ x)


def circle_velocity(theta: np.ndarray, beta: float, normalized: bool = False) -> np.ndarray:  # (n,) -> (n,)
    """The flow on the circle in angles.

    unnormalized: dθ_i/dt = −(1/n) Σ_j e^{β cos(θ_i−θ_j)} sin(θ_i−θ_j)   (docs/teaching-notes.md §6)
    normalized:   the same with 1/n replaced by 1 / Σ_k e^{β cos(θ_i−θ_k)}
    Why: the unit tangent at θ_i is (−sin θ_i, cos θ_i), and its inner product with x_j is sin(θ_j−θ_i).
    """
    diff = theta[:, None] - theta[None, :]  # (n, n) θ_i − θ_j
    c = beta * np.cos(diff)
    if normalized:
        w = np.exp(c - c.max(axis=1, keepdims=True))
        w = w / w.sum(axis=1, keepdims=True)
    else:
        w = np.exp(c) / len(theta)
    return -np.sum(w * np.sin(diff), axis=1)


# ---------------------------------------------------------------------------------------------- integration


@dataclass(frozen=True)
class Trajectory:
    """A whole run of the flow: positions[t] are the n points (rows, unit norm) at times[t]."""

    times: np.ndarray      # (T,)
    positions: np.ndarray  # (T, n, d)
    beta: float
    normalized: bool

    @property
    def final(self) -> np.ndarray:  # (n, d)
        return self.positions[-1]

    @property
    def angles(self) -> np.ndarray:  # (T, n) for d = 2, unwrapped in time so traces have no 2π jumps
        if self.positions.shape[-1] != 2:
            raise ValueError("Trajectory.angles needs points on the circle (d = 2).")
        return np.unwrap(points_to_angles(self.positions), axis=0)


def _n_steps(t_end: float, h: float) -> int:  # -> number of Euler steps
    if h <= 0 or t_end < 0:
        raise ValueError(f"need a step h > 0 and an end time t_end >= 0 (got h = {h}, t_end = {t_end}).")
    return int(round(t_end / h))


def simulate(x0: np.ndarray, beta: float, t_end: float, h: float = 0.1, normalized: bool = True) -> Trajectory:  # (n, d) -> T = steps + 1
    """Euler steps x ← x + h·v(x), each followed by renormalization onto the sphere (x ← x / |x|).

    This is the scheme of the paper's simulations (step 0.1). Renormalizing is what a LayerNorm does after
    each layer, and it keeps |x_i| = 1 to rounding error however long the run. round(t_end / h) steps.
    """
    x = np.asarray(x0, dtype=float)
    x = x / np.linalg.norm(x, axis=1, keepdims=True)  # (n, d) accept any non-zero start
    steps = _n_steps(t_end, h)
    out = np.empty((steps + 1, *x.shape))  # (T, n, d)
    out[0] = x
    for t in range(steps):
        x = x + h * velocity(x, beta, normalized)
        x = x / np.linalg.norm(x, axis=1, keepdims=True)
        out[t + 1] = x
    return Trajectory(times=h * np.arange(steps + 1), positions=out, beta=beta, normalized=normalized)


def simulate_circle(theta0: np.ndarray, beta: float, t_end: float, h: float = 0.1, normalized: bool = False) -> Trajectory:  # (n,) -> T = steps + 1
    """Euler steps on the angles θ ← θ + h·circle_velocity(θ); no renormalization needed on a circle.

    Returned as points (T, n, 2) like `simulate`; use `.angles` for the angle traces.
    """
    theta = np.asarray(theta0, dtype=float)
    steps = _n_steps(t_end, h)
    out = np.empty((steps + 1, len(theta)))  # (T, n)
    out[0] = theta
    for t in range(steps):
        theta = theta + h * circle_velocity(theta, beta, normalized)
        out[t + 1] = theta
    return Trajectory(times=h * np.arange(steps + 1), positions=angles_to_points(out), beta=beta, normalized=normalized)


# ---------------------------------------------------------------------------------------------- observables


def energy(x: np.ndarray, beta: float) -> float:  # (n, d) -> scalar
    """E = (1/(2βn²)) Σ_ij e^{β⟨x_i,x_j⟩}, which the unnormalized flow increases.

    Its gradient in x_i is (1/n²) Σ_j e^{β⟨x_i,x_j⟩} x_j, so the unnormalized velocity v_i is n × the
    projected gradient: dE/dt = Σ_i ⟨∇_i E, v_i⟩ = (1/n) Σ_i |v_i|² ≥ 0. Maximal (e^β / 2β) when all points
    coincide. Not defined at β = 0 (the constant 1/(2β) diverges; the dynamics do not care).
    """
    if beta <= 0:
        raise ValueError(f"energy needs β > 0 (got {beta}); at β = 0 the flow just follows the mean direction.")
    n = len(x)
    return float(np.exp(beta * (x @ x.T)).sum() / (2.0 * beta * n * n))


def energies(traj: Trajectory) -> np.ndarray:  # -> (T,)
    return np.array([energy(x, traj.beta) for x in traj.positions])


def angular_distances(x: np.ndarray) -> np.ndarray:  # (n, d) unit rows -> (n, n) radians in [0, π]
    return np.arccos(np.clip(x @ x.T, -1.0, 1.0))  # clip: rounding can push ⟨x,x⟩ a hair above 1


def cluster_labels(x: np.ndarray, threshold: float = 0.1) -> np.ndarray:  # (n, d) -> (n,) ints 0..k-1
    """Single-linkage clusters: i and j share a cluster if a chain of points joins them with every hop
    closer than `threshold` radians. Labels are numbered in order of first appearance.

    Connected components by label propagation: every point repeatedly takes the smallest label among its
    neighbours (itself included) until nothing changes, at most n rounds of an (n, n) min.
    """
    n = len(x)
    near = angular_distances(x) < threshold  # (n, n) adjacency, diagonal True
    labels = np.arange(n)
    while True:
        new = np.where(near, labels[None, :], n).min(axis=1)  # (n,) smallest label among neighbours
        if np.array_equal(new, labels):
            break
        labels = new
    _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    order = np.argsort(np.argsort(first))  # renumber clusters by their first member
    return order[inverse]


def count_clusters(x: np.ndarray, threshold: float = 0.1) -> int:  # (n, d) -> k
    return int(cluster_labels(x, threshold).max()) + 1 if len(x) else 0


def cluster_counts(traj: Trajectory, threshold: float = 0.1) -> np.ndarray:  # -> (T,) clusters at each time
    return np.array([count_clusters(x, threshold) for x in traj.positions])


# ---------------------------------------------------------------------------------------------- chapter 13
# The runs the chapter shows, as data (so the numbers on screen come from here), and the small helpers that
# turn a recorded matrix or a stored trajectory into what the scene draws.


@dataclass(frozen=True)
class FlowSetup:
    """One simulation: n points uniform on S^{d-1} (seeded), the flow at inverse temperature beta up to
    t_end in Euler steps of h, softmax-normalized or not."""

    n: int
    d: int
    beta: float
    t_end: float
    h: float = 0.1
    seed: int = 0
    normalized: bool = True

    def start(self) -> np.ndarray:  # -> (n, d) unit rows
        return random_sphere(self.n, self.d, self.seed)

    def run(self, x0: np.ndarray | None = None) -> Trajectory:
        return simulate(self.start() if x0 is None else x0, self.beta, self.t_end, self.h, self.normalized)


# Geshkovski et al.'s simulation: 64 points on the 2-sphere, β = 1, time 15, Euler step 0.1. Seed 4 is a
# start whose β = 9 run (METASTABLE_FLOW) shows clusters that last and then merge within t = 300; most
# starts do, some keep their clusters far longer (the waiting time grows like e^β).
PAPER_FLOW = FlowSetup(n=64, d=3, beta=1.0, t_end=15.0, h=0.1, seed=4)
METASTABLE_FLOW = FlowSetup(n=64, d=3, beta=9.0, t_end=300.0, h=0.1, seed=4)
# The worked example's tokens on the circle: the unnormalized Kuramoto-like flow of docs/teaching-notes.md §6.
CIRCLE_FLOW = FlowSetup(n=0, d=2, beta=1.0, t_end=5.0, h=0.1, normalized=False)


def plane_projection(x: np.ndarray) -> np.ndarray:  # (n, d) rows -> (n, 2)
    """The rows seen in their best-fitting plane through the origin: coordinates along the top two
    principal directions of XᵀX (uncentred, so a row's direction from the origin is kept).

    Signs are fixed so that each direction's largest loading is positive: the same matrix always gives
    the same picture. Fewer than two independent rows give zero coordinates where there is no direction.
    """
    x = np.asarray(x, dtype=float)
    _, s, vt = np.linalg.svd(x, full_matrices=True)  # vt (d, d): principal directions as rows
    v = vt[:2].copy()  # (2, d)
    for k in range(2):
        if k >= len(s) or s[k] <= 1e-12 * max(s[0], 1e-300):
            v[k] = 0.0  # no spread along this direction
            continue
        if v[k, np.argmax(np.abs(v[k]))] < 0:
            v[k] = -v[k]
    return x @ v.T  # (n, 2)


def circle_angles(x: np.ndarray) -> np.ndarray:  # (n, d) rows -> (n,) angles in (−π, π]
    """Each row's angle in the plane of `plane_projection`: the tokens placed on a circle."""
    return points_to_angles(plane_projection(x))


def row_norms(x: np.ndarray) -> np.ndarray:  # (n, d) -> (n,)
    """Length of each row. After a LayerNorm with γ = 1 and β = 0 every row has length ≈ √d: a sphere."""
    return np.linalg.norm(np.asarray(x, dtype=float), axis=1)


def positions_at(traj: Trajectory, t: float) -> np.ndarray:  # -> (n, d) unit rows at time t
    """The points at any time in [0, t_end]: linear between the two stored steps, back onto the sphere."""
    times = traj.times
    t = float(np.clip(t, times[0], times[-1]))
    k = int(np.searchsorted(times, t, side="right")) - 1
    k = min(max(k, 0), len(times) - 1)
    if k == len(times) - 1 or t == times[k]:
        return traj.positions[k].copy()
    a = (t - times[k]) / (times[k + 1] - times[k])
    x = (1.0 - a) * traj.positions[k] + a * traj.positions[k + 1]
    norm = np.linalg.norm(x, axis=1, keepdims=True)
    return np.where(norm > 1e-12, x / np.where(norm > 1e-12, norm, 1.0), traj.positions[k])


@dataclass(frozen=True)
class Plateau:
    start: float  # time the count was first reached
    end: float    # time of the next change (or the end of the run)
    count: int    # clusters during [start, end)

    @property
    def length(self) -> float:
        return self.end - self.start


def plateaus(times: np.ndarray, counts: np.ndarray) -> list[Plateau]:  # (T,), (T,) -> runs of one count
    """Maximal runs of a constant cluster count, in time order (the step plot of the metastable phase)."""
    out: list[Plateau] = []
    start = 0
    for k in range(1, len(counts) + 1):
        if k == len(counts) or counts[k] != counts[start]:
            end = times[k] if k < len(counts) else times[-1]
            out.append(Plateau(float(times[start]), float(end), int(counts[start])))
            start = k
    return out


def decade_ticks(lo: float, hi: float) -> list[float]:  # 0.1, 300 -> [0.1, 1, 10, 100]
    """Powers of ten from lo up to hi (inclusive), for a logarithmic time axis."""
    if lo <= 0 or hi < lo:
        raise ValueError(f"decade_ticks needs 0 < lo <= hi (got {lo}, {hi}).")
    k = int(np.ceil(np.log10(lo) - 1e-9))
    out = []
    while 10.0 ** k <= hi * (1 + 1e-9):
        out.append(float(10.0 ** k) if k >= 0 else float(f"1e{k}"))
        k += 1
    return out
