"""Chapter 13: Tokens as particles. Attention seen as a flow of points on a sphere that cluster
(Geshkovski, Letrouit, Polyanskiy, Rigollet; docs/teaching-notes.md §6).

Our encoder's tokens are placed on a circle (their angle: mathcore.dynamics.circle_angles of the recorded
encoder output) and flow together; then 64 points flow on a rotating sphere (the paper's setting,
dynamics.PAPER_FLOW), the same start at β = 1 and β = 9 side by side, the metastable plateaus of the cluster
count, and a bridge back to LayerNorm and attention. Every trajectory is computed once by mathcore (seeded)
and only interpolated here for drawing: each sphere is one VGroup of dots moved by a single updater.
"""
from __future__ import annotations

import dataclasses
import math
from functools import lru_cache

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, Circle, Create, Dot, FadeIn, FadeOut, Indicate, Line, MathTex,
                   ReplacementTransform, ValueTracker, VGroup, VMobject, linear)

from mathcore import dynamics as dyn
from mathcore.scale import format_number
from scenes.components import format_number as format_decimals
from scenes.base import ChapterScene
from scenes.components.bars import ProbabilityBars
from scenes.components.stage import Region, centre_y, clear_stage, content_region
from scenes.components.text import fit_label, label_max_width
from scenes.components.tokens import TokenChip, word_text

TILT = 0.38            # the camera looks down on the sphere by this angle (radians)
TURNS = 0.6            # turns of the sphere over one run
MERIDIANS = 6


def palette(theme) -> list[str]:
    return [theme.query, theme.key, theme.value, theme.weights, theme.positional, theme.ffn, theme.embedding,
            theme.residual, theme.mask, theme.highlight]


class SphereView(VGroup):
    """A unit sphere drawn in 2-D: outline, equator, rotating meridians, and one dot per point.

    show(x, angle) rotates the points (n, 3) by angle about the vertical axis, tilts them towards the viewer
    and places the dots; points on the far side are dimmed and drawn first.
    """

    def __init__(self, theme, radius: float, colors: list[str], dot_radius: float = 0.06, **kwargs):
        super().__init__(**kwargs)
        self.radius = radius
        self.theme = theme
        self.outline = Circle(radius=radius, color=theme.dim, stroke_width=2)
        self.outline.set_fill(theme.panel, 0.5)
        self.equator = VMobject(stroke_color=theme.dim, stroke_width=1.2, stroke_opacity=0.5)
        self.meridians = VGroup(*(VMobject(stroke_color=theme.dim, stroke_width=1.0, stroke_opacity=0.3)
                                  for _ in range(MERIDIANS)))
        self.dots = VGroup(*(Dot(radius=dot_radius, color=c) for c in colors))
        self._by_index = list(self.dots.submobjects)   # dots in point order (self.dots is kept in depth order)
        self.add(self.outline, self.equator, self.meridians, self.dots)
        self._u = np.linspace(0, 2 * np.pi, 64)
        self.equator.set_points_as_corners(self._project(np.stack(
            [np.cos(self._u), np.sin(self._u), 0 * self._u], axis=1))[0])
        self.show(np.tile([[0.0, 0.0, 1.0]], (len(colors), 1)), 0.0)

    def _project(self, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # (m, 3) -> screen (m, 3), depth (m,)
        s, c = math.sin(TILT), math.cos(TILT)
        y_screen = p[:, 1] * s + p[:, 2] * c
        depth = -p[:, 1] * c + p[:, 2] * s
        centre = self.outline.get_center()
        screen = np.stack([p[:, 0], y_screen, 0 * depth], axis=1) * self.radius + centre
        return screen, depth

    def show(self, x: np.ndarray, angle: float) -> "SphereView":
        ca, sa = math.cos(angle), math.sin(angle)
        rot = np.array([[ca, -sa, 0.0], [sa, ca, 0.0], [0.0, 0.0, 1.0]])
        screen, depth = self._project(x @ rot.T)
        order = np.argsort(depth)  # far side first
        for k in range(len(self._by_index)):
            d = self._by_index[k]
            d.move_to(screen[k])
            d.set_fill(opacity=1.0 if depth[k] >= 0 else 0.3)
        self.dots.submobjects = [self._by_index[k] for k in order]
        v = self._u
        for m, mer in enumerate(self.meridians):
            lon = np.pi * m / MERIDIANS + angle
            pts = np.stack([np.sin(v) * math.cos(lon), np.sin(v) * math.sin(lon), np.cos(v)], axis=1)
            mer.set_points_as_corners(self._project(pts)[0])
        return self

    def dot(self, i: int) -> Dot:
        return self._by_index[i]


@lru_cache(maxsize=1)
def simulations() -> dict:
    """The simulations, once per process: the paper's β = 1 run, and the same start at β = 9 for a long time."""
    slow = dyn.METASTABLE_FLOW
    fast_long = dataclasses.replace(dyn.PAPER_FLOW, t_end=slow.t_end)
    return {"paper": dyn.PAPER_FLOW.run(), "meta": slow.run(), "paper_long": fast_long.run()}


def cluster_colors(runs: dict, theme) -> list[str]:
    """One colour per point: its cluster in the β = 9 run at the end of the paper's run."""
    labels = dyn.cluster_labels(dyn.positions_at(runs["meta"], dyn.PAPER_FLOW.t_end))
    pal = palette(theme)
    return [pal[int(k) % len(pal)] for k in labels]


DOT_ROOM = 0.12   # a ring label keeps this far from every dot's centre (the dots' radius, 0.09, and a gap)


def place_on_ring(dots, ring, a: np.ndarray):
    """Each dot at its angle on the ring."""
    c, r = ring.get_center(), ring.width / 2
    for i, d in enumerate(dots):
        d.move_to(c + r * np.array([math.cos(a[i]), math.sin(a[i]), 0.0]))


def place_ring_labels(labels, ring, a: np.ndarray, area: Region | None = None):
    """Each label outside its dot; labels of nearby dots step away vertically (away from the ring's middle),
    so none overlap; a label that would so leave area (top or bottom) steps the other way instead. One too
    wide to stand beside its dot within area stands over (under) it instead, kept inside area, and off every
    dot (a coloured dot under a word of another colour would hide it)."""
    c, r = ring.get_center(), ring.width / 2
    placed: list[VMobject] = []
    spots = [c + r * np.array([math.cos(t), math.sin(t), 0.0]) for t in a]

    def clash(lab):
        return (any(abs(lab.get_x() - p.get_x()) < (lab.width + p.width) / 2 + 0.05 and
                    abs(lab.get_y() - p.get_y()) < (lab.height + p.height) / 2 + 0.08 for p in placed) or
                any(abs(lab.get_x() - p[0]) < lab.width / 2 + DOT_ROOM and
                    abs(lab.get_y() - p[1]) < lab.height / 2 + DOT_ROOM for p in spots))

    for i in np.argsort(np.mod(a, 2 * np.pi)):
        lab = labels[i]
        u = np.array([math.cos(a[i]), math.sin(a[i]), 0.0])
        off = r + 0.2 + 0.5 * (abs(u[0]) * lab.width + abs(u[1]) * lab.height)
        home = c + off * u
        lab.move_to(home)
        if area is not None and (lab.get_left()[0] < area.left or lab.get_right()[0] > area.right):
            up = 1 if u[1] >= 0 else -1
            home = c + r * u + up * UP * (0.2 + lab.height / 2)
            home[0] = min(max(home[0], area.left + lab.width / 2), area.right - lab.width / 2)
        step = (lab.height + 0.12) * (1 if u[1] >= 0 else -1)

        def inside():
            return area is None or area.bottom <= lab.get_bottom()[1] and lab.get_top()[1] <= area.top

        # outside the ring beside the dot; when neither way stays in the area (a crowded side of the ring),
        # inside the ring beside the dot, where there is room
        inner = c + (r - 0.2 - 0.5 * (abs(u[0]) * lab.width + abs(u[1]) * lab.height)) * u
        if any(place_in_column(lab, start, step, clash, inside) for start in (home, inner)):
            placed.append(lab)
            continue
        # no room one step at a time: the free height nearest its dot in either column, scanned finely
        lab.move_to(home)
        if area is not None:
            free = []
            for start in (home, inner):
                for y in np.arange(area.bottom + lab.height / 2, area.top - lab.height / 2, 0.05):
                    lab.move_to([start[0], y, 0])
                    if not clash(lab):
                        free.append((abs(y - spots[i][1]), start[0], y))
            _, x, y = min(free) if free else (0, home[0], min(max(home[1], area.bottom + lab.height / 2),
                                                                area.top - lab.height / 2))
            lab.move_to([x, y, 0])
        placed.append(lab)


def place_in_column(lab, start, step: float, clash, inside) -> bool:
    """Move lab to start, then step by step (one way, else the other) until it clashes with nothing; True
    when it then lies inside the area."""
    for direction in (1, -1):
        lab.move_to(start)
        while clash(lab):
            lab.shift(UP * step * direction)
        if inside():
            return True
    return False


def plot_intro(plot: VGroup) -> list:
    """The animations that bring in an angle plot's axes and labels (its traces draw with the flow)."""
    axes, _, xlab, ylab, ticks = plot
    return [Create(axes), FadeIn(xlab), FadeIn(ylab), FadeIn(ticks)]


class ParticlesScene(ChapterScene):
    def construct(self):
        self.title_card("Attention as particles on a sphere")
        self.idea()
        self.circle()
        runs = self.expose("runs", simulations())
        colors = cluster_colors(runs, self.theme)
        self.sphere(runs, colors)
        self.beta(runs, colors)
        self.plateaus(runs)
        self.bridge()

    # ------------------------------------------------------------ helpers
    def animate_sphere(self, views, trajs, t_end: float, run_time: float, extra=()):
        """Play the flows from t = 0 to t_end: one tracker, one updater per sphere."""
        tracker = ValueTracker(0.0)
        for view in views:   # the view itself must be in the scene for its updater to run (not just its parts)
            self.remove(*view.submobjects)
            self.add(view)
        for view, traj in zip(views, trajs):
            view.add_updater(lambda m, traj=traj: m.show(dyn.positions_at(traj, tracker.get_value()),
                                                         2 * np.pi * TURNS * tracker.get_value() / t_end))
        self.play(tracker.animate.set_value(t_end), *extra, run_time=run_time, rate_func=linear)
        self.remove(tracker)   # a tracker "sits" at x = its value: keep it out of the scene
        for view, traj in zip(views, trajs):
            view.clear_updaters()
            view.show(dyn.positions_at(traj, t_end), 2 * np.pi * TURNS)

    # ------------------------------------------------------------ steps
    def idea(self):
        th = self.theme
        words = ("Stack many thin attention layers and follow one token: depth becomes time. LayerNorm keeps every "
                 "token on a sphere, and with Q, K and V set to the identity, attention moves each token toward a "
                 "softmax-weighted average of all the others. Tokens behave like particles that attract.")
        with self.step("ch13.idea", narration=words, heading="Depth as time"):
            eq = MathTex(r"\frac{dx_i}{dt} \;=\; P_{x_i}\!\Big(\sum_j "
                         r"\frac{e^{\beta\langle x_i,\,x_j\rangle}}"
                         r"{\sum_k e^{\beta\langle x_i,\,x_k\rangle}}\;x_j\Big)",
                         font_size=52, color=th.text)
            notes = VGroup(
                self.t("softmax of ⟨x_i, x_j⟩: attention weights with Q = K = V = I", 26, th.weights),
                self.t("P_x y = y − ⟨x, y⟩ x: move along the sphere, as LayerNorm keeps it", 26, th.residual),
                self.t("β: how sharply each token prefers its nearest neighbours", 26, th.query),
            ).arrange(DOWN, buff=0.3, aligned_edge=LEFT)
            group = VGroup(eq, notes).arrange(DOWN, buff=0.7)
            self.fit(group)
            group.move_to([0, centre_y(self), 0])
            self.play(FadeIn(eq), run_time=1.2)
            self.wait(2)
            for n in notes:
                self.play(FadeIn(n, shift=0.2 * UP), run_time=0.8)
                self.wait(2)
        clear_stage(self, fade=FadeOut)

    def circle(self):
        X = self.value("encoder.output")
        toks = self.example.tokens["source"]
        f = dyn.CIRCLE_FLOW
        traj = dyn.simulate_circle(dyn.circle_angles(X), f.beta, f.t_end, f.h, f.normalized)
        k_end = dyn.count_clusters(traj.final)
        words = (f"Start with our own sentence. Each row of the encoder output, seen in its best-fitting plane, "
                 f"gives the token an angle on a circle. Let them flow with β = {format_number(f.beta)}: "
                 f"every token is pulled toward the others, and by time {format_number(f.t_end)} the "
                 f"{len(toks)} tokens sit in {k_end} cluster{'s' if k_end != 1 else ''}.")
        with self.step("ch13.circle", narration=words, heading="Our tokens on a circle"):
            ring, dots, labels = self.circle_tokens(toks)
            plot = self.angle_plot(traj, len(toks))
            eq = MathTex(r"\frac{d\theta_i}{dt} = -\frac{1}{n}\sum_j e^{\beta\cos(\theta_i-\theta_j)}"
                         r"\sin(\theta_i-\theta_j)", font_size=34, color=self.theme.text)
            whole = VGroup(VGroup(ring, dots, labels), VGroup(eq, plot).arrange(DOWN, buff=0.45))
            whole.arrange(RIGHT, buff=1.2)
            # place the left part first (dots and labels are positioned on the ring below)
            self.fit(whole)
            whole.move_to([0, centre_y(self), 0])
            place_on_ring(dots, ring, traj.angles[0])
            area = content_region(self)   # less a gap under the heading, whose text can reach into the area
            place_ring_labels(labels, ring, traj.angles[0], Region(area.left, area.right, area.bottom, area.top - 0.15))
            self.play(Create(ring), run_time=0.8)
            self.play(FadeIn(dots), FadeIn(labels, lag_ratio=0.1), run_time=1.2)
            self.labels_to_legend(toks, ring, labels, FadeIn(eq), *plot_intro(plot))
            self.flow_on_ring(traj, ring, dots, plot)
            done = self.t(f"{k_end} cluster{'s' if k_end != 1 else ''}", 26, self.theme.highlight)
            done.next_to(plot[0][0], UP, buff=0.1).align_to(plot[0][0], RIGHT)
            self.play(FadeIn(done), run_time=0.6)
        clear_stage(self, fade=FadeOut)

    def circle_tokens(self, toks):
        """A ring, one dot and one label per token (placed on the ring later)."""
        pal = palette(self.theme)
        ring = Circle(radius=2.0, color=self.theme.dim, stroke_width=2)
        dots = VGroup(*(Dot(radius=0.09, color=pal[i % len(pal)]) for i in range(len(toks))))
        labels = VGroup(*(fit_label(w, self.theme.font, 24, pal[i % len(pal)], label_max_width(24))
                          for i, w in enumerate(toks)))
        return ring, dots, labels

    def angle_plot(self, traj, n: int) -> VGroup:
        """Angle traces θ_i(t), unwrapped, on small axes: VGroup(axes, traces, xlab, ylab, ticks)."""
        th, pal = self.theme, palette(self.theme)
        ang = traj.angles  # (T, n) unwrapped
        W, H = 5.4, 3.6
        t_end = float(traj.times[-1])
        lo, hi = float(ang.min()), float(ang.max())
        pad = 0.1 * (hi - lo or 1.0)
        lo, hi = lo - pad, hi + pad

        def to_plot(t, a):
            return np.array([t / t_end * W, (a - lo) / (hi - lo) * H, 0.0])

        axes = VGroup(Line(to_plot(0, lo), to_plot(t_end, lo), color=th.dim, stroke_width=2),
                      Line(to_plot(0, lo), to_plot(0, hi), color=th.dim, stroke_width=2))
        xlab = self.t("time", 22, th.dim).next_to(axes[0], DOWN, buff=0.12)
        ylab = self.t("angle θ", 22, th.dim).rotate(math.pi / 2).next_to(axes[1], LEFT, buff=0.12)
        ticks = VGroup(self.t("0", 20, th.dim, mono=True).next_to(to_plot(0, lo), DOWN, buff=0.1),
                       self.t(format_number(t_end), 20, th.dim, mono=True).next_to(to_plot(t_end, lo), DOWN,
                                                                                    buff=0.1))
        traces = VGroup()
        for i in range(n):
            pts = [to_plot(t, a) for t, a in zip(traj.times, ang[:, i])]
            traces.add(VMobject(stroke_color=pal[i % len(pal)], stroke_width=3).set_points_as_corners(pts))
        return VGroup(axes, traces, xlab, ylab, ticks)

    def labels_to_legend(self, toks, ring, labels, *extra):
        """The colours carry the names from here on: the labels move into a legend inside the ring."""
        legend = self.token_legend(toks, ring.width * 0.6, ring.height * 0.75)
        legend.move_to(ring)
        if legend.plain:    # the labels themselves move (and shrink) into the legend
            self.play(*(lab.animate.move_to(legend[i]).scale(legend[i].height / lab.height)
                        for i, lab in enumerate(labels)), *extra, run_time=1.2)
        else:               # the legend's words differ (columns, cut words): the labels become them
            self.play(*(ReplacementTransform(lab, legend[i]) for i, lab in enumerate(labels)), *extra,
                      run_time=1.2)

    def token_legend(self, toks, width: float, height: float) -> VGroup:
        """The tokens' names in their colours, one per line on a common baseline grid, fitted to width x
        height: in one column when its words stay at the theme's smallest size or more, else in 2 or 3
        columns (top to bottom, then left to right), then with the longest words cut with an ellipsis (to
        no less than half a label's room); else the one column, however small. .plain: the one column."""
        pal, th = palette(self.theme), self.theme
        fs, pitch, gap = 22, 0.42, 0.3
        smallest = th.size_min / fs     # the least a legend may shrink
        n, plain = len(toks), None
        for cut in (False, True):
            for cols in (1, 2, 3):
                rows = -(-n // cols)
                if cols > 1 and -(-n // rows) < cols:   # fewer columns would hold them (4 words in 3: 2, 2, 0)
                    continue
                room = (width / smallest - gap * (cols - 1)) / cols if cut else None   # cut as little as can be
                if cut and room < label_max_width(fs) / 2:
                    continue
                legend = VGroup()
                for i, w in enumerate(toks):
                    mob, offset = word_text(w, th.font, fs, pal[i % len(pal)], max_width=room)
                    legend.add(mob.move_to([0, -(i % rows) * pitch + offset, 0]))
                if cols > 1:
                    x = 0.0
                    for k in range(cols):
                        column = VGroup(*legend[k * rows:(k + 1) * rows])
                        column.set_x(x + column.width / 2)
                        x += column.width + gap
                legend.plain = cols == 1 and not cut
                plain = legend if legend.plain else plain
                if min(1.0, width / legend.width, height / legend.height) >= smallest - 1e-9:
                    return self.fit(legend, width=width, height=height)
        return self.fit(plain, width=width, height=height)

    def flow_on_ring(self, traj, ring, dots, plot):
        """The dots follow the recorded angles while the traces draw; one tracker, one updater."""
        ang, n = traj.angles, len(dots)
        tracker = ValueTracker(0.0)
        self.remove(*dots)
        self.add(dots)   # the group itself in the scene, so its updater runs

        def follow(m):
            t = tracker.get_value()
            place_on_ring(dots, ring, np.array([np.interp(t, traj.times, ang[:, i]) for i in range(n)]))

        dots.add_updater(follow)
        self.play(tracker.animate.set_value(float(traj.times[-1])), *(Create(tr) for tr in plot[1]), run_time=6,
                  rate_func=linear)
        dots.clear_updaters()
        self.remove(tracker)
        place_on_ring(dots, ring, ang[-1])

    def sphere(self, runs: dict, colors: list[str]):
        th = self.theme
        f = dyn.PAPER_FLOW
        traj = runs["paper"]
        k_end = dyn.count_clusters(traj.final)
        words = (f"Now the paper's own experiment: {f.n} points on a sphere, β = {format_number(f.beta)}, run to time "
                 f"{format_number(f.t_end)} in steps of {format_number(f.h)}, each step followed by a return to the "
                 f"sphere, as LayerNorm does. The points gather, faster and faster, into {k_end} "
                 f"cluster{'s' if k_end != 1 else ''}.")
        with self.step("ch13.sphere", narration=words, heading=f"{f.n} tokens on a sphere"):
            view = SphereView(th, 2.5, colors)
            view.move_to([0, centre_y(self) + 0.2, 0])
            view.show(traj.positions[0], 0.0)
            info = VGroup(self.t(f"n = {f.n}", 26), self.t(f"β = {format_number(f.beta)}", 26, th.query),
                          self.t(f"step {format_number(f.h)}", 26, th.dim)).arrange(DOWN, buff=0.25, aligned_edge=LEFT)
            info.next_to(view, LEFT, buff=1.0)
            bar, t_dot = self.time_bar(view, f.t_end)
            self.play(FadeIn(view.outline), Create(view.equator), FadeIn(view.meridians), run_time=0.8)
            self.play(FadeIn(view.dots, lag_ratio=0.01), FadeIn(info), FadeIn(bar), FadeIn(t_dot), run_time=1)
            self.animate_sphere([view], [traj], f.t_end, 9, extra=[t_dot.animate.move_to(bar[0].get_end())])
            result = self.t(f"{k_end} cluster{'s' if k_end != 1 else ''}", 30, th.highlight)
            result.next_to(view, RIGHT, buff=0.8)
            self.expose("sphere_clusters", str(k_end))
            self.play(FadeIn(result), run_time=0.6)
        clear_stage(self, fade=FadeOut)

    def time_bar(self, view, t_end: float):
        th = self.theme
        line = Line(LEFT * 1.6, RIGHT * 1.6, color=th.dim, stroke_width=3)
        line.next_to(view, DOWN, buff=0.35)
        ends = VGroup(self.t("t = 0", 20, th.dim).next_to(line, LEFT, buff=0.15),
                      self.t(f"t = {format_number(t_end)}", 20, th.dim).next_to(line, RIGHT, buff=0.15))
        dot = Dot(line.get_start(), radius=0.07, color=th.highlight)
        return VGroup(line, ends), dot

    def beta(self, runs: dict, colors: list[str]):
        th = self.theme
        a, b = dyn.PAPER_FLOW, dyn.METASTABLE_FLOW
        t_end = a.t_end
        ka = dyn.count_clusters(runs["paper"].final)
        kb = dyn.count_clusters(dyn.positions_at(runs["meta"], t_end))
        words = (f"The same start, twice. At β = {format_number(a.beta)} every token feels all the others and they "
                 f"end in {ka} cluster{'s' if ka != 1 else ''}. At β = {format_number(b.beta)} the softmax is sharp: "
                 f"each token feels only its near neighbours, and by the same time there are {kb} separate clusters.")
        with self.step("ch13.beta", narration=words, heading="Temperature: β = 1 and β = 9"):
            va = SphereView(th, 2.1, colors, dot_radius=0.055)
            vb = SphereView(th, 2.1, colors, dot_radius=0.055)
            VGroup(va, vb).arrange(RIGHT, buff=2.2).move_to([0, centre_y(self) + 0.15, 0])
            for v in (va, vb):
                v.show(runs["paper"].positions[0], 0.0)
            la = self.t(f"β = {format_number(a.beta)}", 30, th.query).next_to(va, UP, buff=0.15)
            lb = self.t(f"β = {format_number(b.beta)}", 30, th.query).next_to(vb, UP, buff=0.15)
            self.play(FadeIn(va), FadeIn(vb), FadeIn(la), FadeIn(lb), run_time=1)
            self.animate_sphere([va, vb], [runs["paper"], runs["meta"]], t_end, 8)
            ra = self.t(f"{ka} cluster{'s' if ka != 1 else ''}", 28, th.highlight).next_to(va, DOWN, buff=0.2)
            rb = self.t(f"{kb} clusters", 28, th.highlight).next_to(vb, DOWN, buff=0.2)
            self.expose("beta_clusters", f"{ka} / {kb}")
            self.play(FadeIn(ra), FadeIn(rb), run_time=0.6)
        clear_stage(self, fade=FadeOut)

    def plateaus(self, runs: dict):
        th = self.theme
        f = dyn.METASTABLE_FLOW
        curves = {}
        for key in ("meta", "paper_long"):
            traj = runs[key]
            counts = dyn.cluster_counts(traj)
            curves[key] = (traj, counts, dyn.plateaus(traj.times, counts))
        meta_runs = curves["meta"][2]
        t0 = float(curves["meta"][0].times[1])  # first step: a log axis cannot show t = 0
        t1 = f.t_end
        lx0, lx1 = math.log10(t0), math.log10(t1)
        n = f.n
        W, H = 9.0, 4.2
        long_runs = [p for p in meta_runs if p.count <= 8 and math.log10(max(p.end, t0)) - math.log10(max(p.start, t0))
                     > 0.15 * (lx1 - lx0)]
        longest = max(long_runs, key=lambda p: p.length) if long_runs else meta_runs[-1]
        words = (f"Count the clusters over a long run at β = {format_number(f.beta)}, on a logarithmic clock. They "
                 f"form fast, then hold: {longest.count} clusters last from time {format_number(longest.start)} to "
                 f"{format_number(longest.end)} before two merge. These long plateaus are metastable states; the "
                 "wait grows like e to the β. At β = 1 a single cluster forms at once.")
        with self.step("ch13.plateaus", narration=words, heading="Metastable plateaus"):
            def to_plot(t, c):
                x = (math.log10(max(t, t0)) - lx0) / (lx1 - lx0) * W
                y = math.log2(max(c, 1)) / math.log2(n) * H
                return np.array([x, y, 0.0])

            axes = VGroup(Line(to_plot(t0, 1), to_plot(t1, 1), color=th.dim, stroke_width=2),
                          Line(to_plot(t0, 1), to_plot(t0, n), color=th.dim, stroke_width=2))
            ticks = VGroup()
            for tk in dyn.decade_ticks(t0, t1):
                p = to_plot(tk, 1)
                ticks.add(Line(p, p + DOWN * 0.1, color=th.dim, stroke_width=2))
                ticks.add(self.t(format_number(tk), 20, th.dim, mono=True).next_to(p, DOWN, buff=0.15))
            ylabels = VGroup()
            for c in (1, n):
                p = to_plot(t0, c)
                ylabels.add(self.t(str(c), 20, th.dim, mono=True).next_to(p, LEFT, buff=0.15))
            xlab = self.t("time (log scale)", 22, th.dim).next_to(axes[0], DOWN, buff=0.55)
            ylab = self.t("clusters", 22, th.dim).rotate(math.pi / 2).next_to(axes[1], LEFT, buff=0.6)
            steps = {}
            for key, color in (("paper_long", th.weights), ("meta", th.query)):
                pts = []
                for p in curves[key][2]:
                    if p.end < t0:
                        continue
                    pts += [to_plot(p.start, p.count), to_plot(p.end, p.count)]
                steps[key] = VMobject(stroke_color=color, stroke_width=3.5).set_points_as_corners(pts)
            key_a = self.t(f"β = {format_number(dyn.PAPER_FLOW.beta)}", 24, th.weights)
            key_b = self.t(f"β = {format_number(f.beta)}", 24, th.query)
            legend = VGroup(key_b, key_a).arrange(DOWN, buff=0.15, aligned_edge=LEFT)
            plot = VGroup(axes, ticks, ylabels, xlab, ylab, steps["meta"], steps["paper_long"])
            legend.next_to(axes, RIGHT, buff=0.3).align_to(axes[1], UP)
            whole = VGroup(plot, legend)
            self.fit(whole)
            whole.move_to([0, centre_y(self), 0])
            a0 = axes[0].get_start()
            sx = axes[0].get_length() / W

            def at(t, c):
                return a0 + to_plot(t, c) * sx

            mark = Line(at(longest.start, longest.count), at(longest.end, longest.count), color=th.highlight,
                        stroke_width=8, stroke_opacity=0.5)
            note = self.t(f"{longest.count} clusters, t = {format_number(longest.start)} to "
                          f"{format_number(longest.end)}", 22, th.highlight)
            note.next_to(mark, DOWN, buff=0.2).align_to(mark, RIGHT).shift(LEFT * 0.35)
            note.set_x(max(note.get_x(), axes[1].get_x() + note.width / 2 + 0.2))
            counts_on = VGroup(*(
                self.t(str(p.count), 22, th.query).move_to(at(math.sqrt(max(p.start, t0) * p.end), p.count) + UP * 0.22)
                for p in long_runs))
            self.expose("plateau", f"{longest.count}: {format_number(longest.start)}-{format_number(longest.end)}")
            self.play(Create(axes), FadeIn(ticks), FadeIn(ylabels), FadeIn(xlab), FadeIn(ylab), FadeIn(legend),
                      run_time=1.2)
            self.play(Create(steps["paper_long"]), Create(steps["meta"]), run_time=4, rate_func=linear)
            self.play(FadeIn(counts_on), run_time=0.6)
            self.wait(1)
            self.play(FadeIn(mark), FadeIn(note), run_time=0.8)
        clear_stage(self, fade=FadeOut)

    def bridge(self):
        th = self.theme
        last = self.cfg.n_encoder_layers - 1
        norm_id = f"encoder.{last}.norm2.normalized"   # LayerNorm's normalized rows, before γ and β
        X = self.value(norm_id)
        toks = self.example.tokens["source"]
        norms = dyn.row_norms(X)
        dec = self.cfg.decimals
        w_id = "encoder.0.self_attn.head1.weights"
        A = self.value(w_id)
        d = X.shape[1]
        words = (f"Back to our transformer. LayerNorm divides each row by its spread, and after that every row "
                 f"has the same length, {format_decimals(float(norms[0]), dec)}, the square root of {d}: the tokens "
                 "live on a sphere, which gamma and beta then stretch the same way for all. And "
                 f"each row of an attention matrix, like this one from chapter 4, says how hard one token pulls on "
                 "the others. Trained Q, K and V bend the pull; the clustering instinct is the same.")
        with self.step("ch13.bridge", narration=words, heading="Back to LayerNorm and attention"):
            # left: the rows' lengths
            rows = VGroup()
            for w, r in zip(toks, norms):
                chip = TokenChip(w, th, font_size=22)
                val = self.t(f"|x̂| = {format_decimals(float(r), dec)}", 22, th.residual, mono=True)
                rows.add(VGroup(chip, val).arrange(RIGHT, buff=0.3))
            rows.arrange(DOWN, buff=0.12, aligned_edge=LEFT)
            cap_l = self.t("LayerNorm (chapter 6): every row, one length", 24, th.residual)
            left = VGroup(cap_l, rows).arrange(DOWN, buff=0.3)
            # right: one attention row from the record
            i = 0
            bars = ProbabilityBars(A[i], th, labels=list(toks), direction="up", length=3.0, show_values=True,
                                   decimals=dec, max_bars=12, slot=0.85, bar_width=0.5, font_size=22,
                                   scale_max=None)
            cap_r = self.t(f"attention (chapter 4): how “{toks[i]}” pulls", 24, th.weights)
            right = VGroup(cap_r, bars).arrange(DOWN, buff=0.35)
            whole = VGroup(left, right).arrange(RIGHT, buff=1.4, aligned_edge=UP)
            self.fit(whole)
            whole.move_to([0, centre_y(self), 0])
            self.expose("norm", format_decimals(float(norms[0]), dec))
            self.play(FadeIn(cap_l), FadeIn(rows, lag_ratio=0.1), run_time=1.5)
            self.wait(2)
            self.play(Indicate(VGroup(*(r[1] for r in rows)), color=th.highlight), run_time=1)
            self.wait(4)
            self.add(bars)
            self.play(FadeIn(cap_r), bars.grow(), run_time=1.5)
