"""Choreography: functions that take the scene first and play several animations (3Blue1Brown's helpers
style). Every number they draw is a record number held by a NumericMatrix, or the on-screen arithmetic
derived from record numbers by mathcore.display; totals shown are always the recorded result.

    lay = layout_product(scene, X, W, Q, names=("X", "W_Q", "Q"), left_row_labels=tokens)
    scene.add(lay.left, lay.right, lay.result.hide_entries(), lay.name_group, lay.ops)
    show_matrix_product(scene, lay.left, lay.right, lay.result, panel=lay.panel)

    show_row_softmax(scene, scaled, weights, row=0, panel=region)

The layouts are Mobjects that build themselves and expose their geometry: ProductLayout (what
layout_product returns) and SoftmaxPanel (the work show_row_softmax plays). Clearing the stage, the
copy-free fades and place_formula live in stage.py.

Only small parts are animated (a row, a column, the few numbers of one entry), so renders stay cheap.
Cells of matrices already on screen are filled and emptied in place (FadeCell, reveal, hide: no copies, so
a whole matrix stays cheap) or with Transform-like animations, never introduced or removed by FadeIn/FadeOut,
which would split the matrix off the scene.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, Animation, AnimationGroup, Create, FadeIn, LaggedStart, Line, MathTex,
                   Rectangle, Succession, Transform, TransformFromCopy, VGroup, VMobject)

from mathcore.display import product_terms, softmax_terms

from ..theme import Theme
from .bars import ProbabilityBars
from .matrix import MINUS, Cell, NumericMatrix, format_number, shown_indices
from .stage import Region, content_region, fade_out
from .text import fit_label, flat_text, label_max_width


# ---------------------------------------------------------------- small helpers

def is_hidden(matrix: NumericMatrix, i: int, j: int) -> bool:
    """True while a cell is still hidden (hide_entries) and waiting to be filled."""
    return matrix.get_cell(i, j).text.get_fill_opacity() < 0.01


class FadeCell(Animation):
    """Fade one matrix cell's number and/or fill to given opacities, in place and without copying it (so
    revealing a whole matrix cell by cell stays cheap). None leaves that part as it is."""

    def __init__(self, cell: Cell, text_to: float | None = None, fill_to: float | None = None, **kwargs):
        self.text_to, self.fill_to = text_to, fill_to
        super().__init__(cell, **kwargs)

    def begin(self):
        self.text_from = self.mobject.text.get_fill_opacity()
        self.fill_from = self.mobject.box.get_fill_opacity()
        super().begin()

    def create_starting_mobject(self):
        return self.mobject

    def interpolate_mobject(self, alpha: float) -> None:
        a = self.rate_func(alpha)
        if self.text_to is not None:
            self.mobject.text.set_opacity(self.text_from + (self.text_to - self.text_from) * a)
        if self.fill_to is not None:
            self.mobject.box.set_fill(opacity=self.fill_from + (self.fill_to - self.fill_from) * a)


def reveal(matrix: NumericMatrix, i: int, j: int, **kwargs) -> FadeCell:
    """An animation that fills one hidden cell (number and fill as constructed), in place."""
    cell = matrix.get_cell(i, j)
    return FadeCell(cell, text_to=1.0, fill_to=cell.fill_opacity, **kwargs)


def hide(cell: Cell, **kwargs) -> FadeCell:
    """An animation that makes an on-screen cell invisible without removing it from the scene."""
    return FadeCell(cell, text_to=0.0, fill_to=0.0, **kwargs)


def effective_font_size(matrix: NumericMatrix) -> float:
    """The font size a matrix's numbers are drawn at after any scaling (for new numbers beside them)."""
    (i, j), cell = next(iter(matrix.cells.items()))
    probe = flat_text(format_number(cell.value, matrix.decimals), matrix.theme.mono, 20, matrix.theme.text)
    return 20 * cell.text.height / max(probe.height, 1e-9) if probe.height > 0 else 20


def number(s: str, like: NumericMatrix, color: str) -> VMobject:
    """A number drawn like like's numbers (same font, same size after scaling): shaped at the matrix's base
    size and scaled, so its glyphs come from the same cache."""
    mob = flat_text(s, like.theme.mono, 20, color)
    return mob.scale(effective_font_size(like) / 20)


def compact_number(v: float, decimals: int, max_chars: int) -> str:
    """format_number, with fewer decimals (then a short power of ten) when the number would be wider than
    max_chars: an exponential such as e^9.35 = 11498.82 must still fit its column."""
    for d in range(decimals, -1, -1):
        s = format_number(v, d)
        if len(s) <= max_chars:
            return s
    mant, exp = f"{v:.1e}".split("e")
    return f"{mant}e{int(exp)}".replace("-", MINUS)


def column_xs(matrix: NumericMatrix) -> list[float]:
    """x of every shown column slot (ellipsis slots included), left to right."""
    xs_known = {}
    for c, j in enumerate(matrix.shown_cols):
        if j is None:
            continue
        for i in matrix.shown_rows:
            if i is not None and (i, j) in matrix.cells:
                xs_known[c] = matrix.cells[i, j].get_x()
                break
    slots = len(matrix.shown_cols)
    if len(xs_known) >= 2:
        (c0, x0), (c1, x1) = sorted(xs_known.items())[0], sorted(xs_known.items())[-1]
        w = (x1 - x0) / (c1 - c0)
    else:
        c0, x0 = next(iter(xs_known.items()))
        w = matrix.cell_pitch_x
    return [x0 + (c - c0) * w for c in range(slots)]


def row_pitch(matrix: NumericMatrix) -> float:
    """Distance between the centres of two consecutive rows, after scaling."""
    return matrix.cell_pitch_y


# ---------------------------------------------------------------- laying out a product

class ProductLayout(VGroup):
    """left · right = result, built with consistent elision and placed in an area (Manim's Matrix idiom:
    data and style in the constructor, geometry as attributes).

    kind "row": the three side by side with · and = between (a work panel fits below);
    kind "scheme": right above result and left beside it, so a row of left and a column of right meet at
    their entry (the work panel sits in the free corner above left).

    The three are NumericMatrix objects that fit the area with numbers at least min_font_size, eliding
    rows and columns (never below min_shown, the shared inner dimension only as a last resort) only when
    needed. Of the kinds that fit, the one that shows the most wins; ties go to the earlier kind.
    extra_gap widens the space left of the right matrix (for a column of multipliers); panel_rows sizes
    the room kept for show_matrix_product's work (panel). A, B, C are record values; nothing is computed.

    Attributes: left, right, result (NumericMatrix), names (dict "left"/"right"/"result" of MathTex),
    name_group, ops (· and =, empty for "scheme"), kind, fit_scale (the factor the layout was scaled by
    to fit, at most 1), panel (Region), area (Region), limits (shown rows, inner, columns).
    Submobjects: left, right, result, the three names, ops.
    """

    def __init__(self, A, B, C, theme: Theme, *, area: Region, decimals: int,
                 names: Sequence[str] = ("A", "B", "C"), colors: Sequence[str | None] = (None, None, None),
                 left_row_labels: Sequence[str] | None = None, left_col_labels: Sequence[str] | None = None,
                 right_row_labels: Sequence[str] | None = None, right_col_labels: Sequence[str] | None = None,
                 result_col_labels: Sequence[str] | None = None, result_row_labels: bool = False,
                 fills: Sequence[str | None] = (None, None, None), kinds: Sequence[str] = ("scheme", "row"),
                 font_size: float = 20, min_font_size: float = 18, max_rows: int = 12, max_inner: int = 8,
                 max_cols: int = 12, min_shown: int = 4, panel_rows: int = 4, extra_gap: float = 0.0,
                 label_font_size: float | None = None, **kwargs):
        super().__init__(**kwargs)
        self.theme, self.area, self.decimals = theme, area, decimals
        self.A, self.B, self.C = (np.asarray(x, dtype=float) for x in (A, B, C))
        self.labels = dict(left_row=left_row_labels, left_col=left_col_labels, right_row=right_row_labels,
                           right_col=right_col_labels, result_col=result_col_labels,
                           result_row=result_row_labels)
        self.colors, self.fills = tuple(colors), tuple(fills)
        self.font_size, self.label_font_size = font_size, label_font_size
        self.min_scale = min_font_size / font_size
        self.min_shown, self.panel_rows, self.extra_gap = min_shown, panel_rows, extra_gap
        (n, k), p = self.A.shape, self.B.shape[1]
        self.full = [min(n, max_rows), min(k, max_inner), min(p, max_cols)]
        self._built: dict[tuple, NumericMatrix] = {}     # candidates share matrices: build each one once
        self._measure(names)._place(*self._choose(kinds))

    # ------------------------------------------------------------ sub-builders
    def _measure(self, names) -> "ProductLayout":
        """The shared column width of right and result (that of their widest number, measured by a 1x1
        matrix) and the three names."""
        theme, dec, fs = self.theme, self.decimals, self.font_size
        widest = max((v for v in np.concatenate([self.B.ravel(), self.C.ravel()])),
                     key=lambda v: flat_text(format_number(float(v), dec), theme.mono, fs, theme.text).width)
        self.column_width = NumericMatrix(np.array([[widest]]), theme, **self._common()).cell_width
        self.name_mobs = [MathTex(s, font_size=36, color=c or theme.text) for s, c in zip(names, self.colors)]
        return self

    def _common(self) -> dict:
        return dict(decimals=self.decimals, font_size=self.font_size, label_font_size=self.label_font_size)

    def _matrix(self, key, make) -> NumericMatrix:
        if key not in self._built:
            self._built[key] = make()
        return self._built[key]

    def _matrices(self, kind: str, lim) -> tuple[NumericMatrix, NumericMatrix, NumericMatrix]:
        """left, right and result showing lim = (rows, inner, columns) at most (shared between candidates)."""
        (n, k), p = self.A.shape, self.B.shape[1]
        rows, inner, cols = (tuple(shown_indices(size, m)) for size, m in zip((n, k, p), lim))
        theme, lab, common, w = self.theme, self.labels, self._common(), self.column_width
        L = self._matrix(("L", rows, inner), lambda: NumericMatrix(
            self.A, theme, rows=rows, cols=inner, row_labels=lab["left_row"], col_labels=lab["left_col"],
            fill_color=self.fills[0], bracket_color=self.colors[0], **common))
        R = self._matrix(("R", inner, cols), lambda: NumericMatrix(
            self.B, theme, rows=inner, cols=cols, col_labels=lab["right_col"], cell_width=w,
            row_labels=lab["right_row"], fill_color=self.fills[1], bracket_color=self.colors[1], **common))
        res_cols = lab["result_col"] if kind == "row" else None
        Cm = self._matrix(("C", rows, cols, res_cols is not None), lambda: NumericMatrix(
            self.C, theme, rows=rows, cols=cols, cell_width=w, col_labels=res_cols,
            row_labels=lab["left_row"] if lab["result_row"] else None,
            fill_color=self.fills[2], bracket_color=self.colors[2], **common))
        return L, R, Cm

    def _arrange_row(self, L, R, Cm, nm, panel_h: float) -> tuple[VGroup, Rectangle]:
        """left · right = result side by side, tops aligned; the panel below left. -> (ops, panel holder)."""
        dot = MathTex(r"\cdot", font_size=48, color=self.theme.text)
        eq = MathTex("=", font_size=48, color=self.theme.text)
        VGroup(L, dot, R, eq, Cm).arrange(RIGHT, buff=0.3)
        if self.extra_gap:
            for m in (R, eq, Cm):
                m.shift(RIGHT * self.extra_gap)
        top = L.body.get_top()[1]
        for m in (R, Cm):
            m.shift(UP * (top - m.body.get_top()[1]))
        mid = L.body.get_center()[1]
        for op in (dot, eq):
            op.set_y(mid)
        names_y = max(m.get_top()[1] for m in (L, R, Cm)) + 0.3
        for t, m in zip(nm, (L, R, Cm)):
            t.move_to([m.get_grid().get_center()[0], names_y, 0])
        holder = Rectangle(width=max(L.width, 0.1), height=panel_h, stroke_width=0, fill_opacity=0)
        lowest = min(m.get_bottom()[1] for m in (L, R, Cm))
        holder.next_to([L.get_left()[0], lowest, 0], DOWN, buff=0.3, aligned_edge=LEFT)
        holder.align_to(L, LEFT)
        return VGroup(dot, eq), holder

    def _arrange_scheme(self, L, R, Cm, nm, panel_h: float) -> tuple[VGroup, Rectangle]:
        """right above result, left beside it (rows and columns line up); the panel in the corner above
        left. -> (ops (empty), panel holder)."""
        gap = 0.3
        R.shift(Cm.body[0].get_center() - R.body[0].get_center())   # columns line up
        R.shift(UP * (Cm.get_top()[1] + gap - R.get_bottom()[1]))
        L.shift(UP * (Cm.body[0].get_y() - L.body[0].get_y()))       # rows line up
        L.shift(RIGHT * (Cm.get_left()[0] - gap - self.extra_gap - L.get_right()[0]))
        nm[0].next_to(L.get_grid(), DOWN, buff=0.25)
        nm[2].next_to(Cm.get_grid(), DOWN, buff=0.25)
        nm[0].set_y(min(nm[0].get_y(), nm[2].get_y()))
        nm[2].set_y(nm[0].get_y())
        nm[1].next_to(R.get_grid(), RIGHT, buff=0.3)
        holder = Rectangle(width=max(L.width, 0.1), height=panel_h, stroke_width=0, fill_opacity=0)
        holder.next_to(L, UP, buff=0.25).align_to(L, RIGHT)
        # the corner is as tall as the right matrix; a taller panel pushes everything down
        holder.align_to(R, UP) if holder.height < R.height else None
        if holder.get_right()[0] > R.get_left()[0] - 0.15:
            holder.shift(LEFT * (holder.get_right()[0] - R.get_left()[0] + 0.15))
        return VGroup(), holder

    def _candidate(self, kind: str, lim):
        """One candidate placed at scale 1. -> (group, (L, R, Cm, names, ops, holder), scale that fits)."""
        L, R, Cm = self._matrices(kind, lim)
        nm = self.name_mobs           # placed anew by every candidate
        panel_h = self.panel_rows * Cm.cell_height + 0.25
        arrange = self._arrange_row if kind == "row" else self._arrange_scheme
        ops, holder = arrange(L, R, Cm, nm, panel_h)
        group = VGroup(L, R, Cm, *nm, ops, holder)
        scale = min(1.0, self.area.width / group.width, self.area.height / group.height)
        return group, (L, R, Cm, nm, ops, holder), scale

    def _search(self, kind: str):
        """Elide this kind until it fits: rows or result columns (whichever overflows), the shared inner
        dimension only as a last resort. -> (fits, (inner shown, result cells shown), (kind, lim, scale))."""
        lim, limits, area, min_scale = list(self.full), self.full, self.area, self.min_scale
        floor = [min(m, self.min_shown) for m in limits]
        while True:
            group, parts, scale = self._candidate(kind, lim)
            if scale >= min_scale:
                return True, (lim[1], lim[0] * lim[2]), (kind, list(lim), scale)
            over_w = group.width - area.width / min_scale
            over_h = group.height - area.height / min_scale
            need_w, need_h = over_w > 0, over_h > 0
            Cm = parts[2]
            if need_h and lim[0] > floor[0]:      # every shown row (or ⋮) costs one row pitch
                lim[0] = max(floor[0], lim[0] - max(1, math.ceil(over_h / Cm.cell_height)))
            elif need_w and lim[2] > floor[2]:    # every shown column one column width
                lim[2] = max(floor[2], lim[2] - max(1, math.ceil(over_w / Cm.cell_width)))
            elif lim[0] > floor[0] and not need_w:
                lim[0] -= 1
            elif lim[1] > floor[1]:
                lim[1] -= 1
            elif lim[2] > floor[2]:
                lim[2] -= 1
            elif lim[0] > floor[0]:
                lim[0] -= 1
            else:
                return False, (lim[1], lim[0] * lim[2]), (kind, list(lim), scale)

    def _choose(self, kinds: Sequence[str]) -> tuple[str, list]:
        """The kind (and its limits) that shows the most. -> (kind, lim)."""
        limits = self.full
        results = []
        for kind in kinds:
            results.append(self._search(kind))
            if results[-1][0] and results[-1][1] == (limits[1], limits[0] * limits[2]):
                break            # fits with nothing elided: no later kind can do better
        fitting = [r for r in results if r[0]]
        pool = fitting or results
        # the kind that shows the most (inner dimension whole first, then most result cells); ties: kinds order
        best = max(pool, key=lambda r: (r[1][0], r[1][1], -results.index(r)))[2]
        if not fitting:          # nothing fits at the minimum size: shrink the least elided one anyway
            best = max(results, key=lambda r: r[2][2])[2]
        return best[0], best[1]

    def _place(self, kind: str, lim) -> "ProductLayout":
        """Place the chosen candidate again (candidates share matrices), scale it to fit, centre it in the
        area and set the fields."""
        group, (L, R, Cm, nm, ops, holder), scale = self._candidate(kind, lim)
        if scale < 1.0:
            group.scale(scale)
        group.move_to(self.area.center)
        self.add(L, R, Cm, *nm, ops)
        self.left, self.right, self.result = L, R, Cm
        self.names = {"left": nm[0], "right": nm[1], "result": nm[2]}
        self.name_group = VGroup(*nm)
        self.ops = ops
        self.kind = kind
        self.limits = tuple(lim)
        self.fit_scale = scale
        self.panel = Region.of(holder)
        return self


def layout_product(scene, A, B, C, *, area: Region | None = None, decimals: int | None = None,
                   **options) -> ProductLayout:
    """A ProductLayout of left (A) · right (B) = result (C) in the scene's theme, fitted to area (default:
    the content area), numbers with the scene's decimals unless given; options as for ProductLayout."""
    return ProductLayout(A, B, C, scene.theme, area=area or content_region(scene),
                         decimals=scene.cfg.decimals if decimals is None else decimals, **options)


# ---------------------------------------------------------------- a matrix product, entry by entry

def _product_panel(scene, left: NumericMatrix, right: NumericMatrix, result: NumericMatrix, i: int, j: int,
                   panel: Region) -> dict:
    """The work for one entry: the row of left, the column of right laid under it, the products and the
    running sum (its last entry is the recorded result). Columns line up with left's columns when the
    panel is beside them (above or below left), else the work is centred in the panel."""
    theme = scene.theme
    inner = left.shown_cols
    elided = any(k is None for k in inner)
    terms, partial = product_terms(left.values[i], right.values[:, j])
    fs = effective_font_size(left)
    pitch = row_pitch(left)
    xs = column_xs(left)
    if not (panel.left - 1e-6 <= xs[0] - pitch * 1.2 and xs[-1] + pitch * 0.6 <= panel.right + 1e-6):
        shift = panel.center[0] - (xs[0] + xs[-1]) / 2
        xs = [x + shift for x in xs]
    ys = [panel.top - pitch * (r + 0.5) for r in range(4)]
    ys[2] -= 0.12
    ys[3] -= 0.12
    # products and running sums no wider than the factors (at least 5 characters, as in −0.24)
    factors = (*left.values[i], *right.values[:, j])
    width = max([5] + [len(format_number(float(v), left.decimals)) for v in factors])
    w = dict(a=VGroup(), b=VGroup(), p=VGroup(), s=VGroup(), dots=VGroup(), a_src=VGroup(), b_src=VGroup())
    last_shown = max(c for c, k in enumerate(inner) if k is not None)
    for c, k in enumerate(inner):
        if k is None:
            for y in ys[:3] + ([] if elided else ys[3:]):
                w["dots"].add(flat_text("⋯", theme.font, fs, theme.dim).move_to([xs[c], y, 0]))
            continue
        a_cell, b_cell = left.get_cell(i, k), right.get_cell(k, j)
        w["a"].add(a_cell.text.copy().set_opacity(1).set_color(theme.text).move_to([xs[c], ys[0], 0]))
        w["b"].add(b_cell.text.copy().set_opacity(1).set_color(theme.text).move_to([xs[c], ys[1], 0]))
        w["a_src"].add(a_cell.text)
        w["b_src"].add(b_cell.text)
        w["p"].add(number(compact_number(terms[k], left.decimals, width), left, theme.dim)
                   .move_to([xs[c], ys[2], 0]))
        if c == last_shown:      # the total: the recorded entry, not our sum
            s = number(format_number(result.values[i, j], result.decimals), left, theme.highlight)
        elif elided:             # a partial sum over hidden terms would puzzle: show only the total
            continue
        else:
            s = number(compact_number(partial[k], result.decimals, width), left, theme.text)
        w["s"].add(s.move_to([xs[c], ys[3], 0]))
    colw = (xs[1] - xs[0]) if len(xs) > 1 else left.cell_pitch_x
    lx = xs[0] - colw / 2 - pitch * 0.45
    sign = dict(font_size=fs * 1.45, color=theme.dim)
    w["labels"] = VGroup(MathTex(r"\times", **sign).move_to([lx, ys[1], 0]),
                         MathTex("=", **sign).move_to([lx, ys[2], 0]),
                         MathTex(r"\Sigma", **sign).move_to([lx, ys[3], 0]))
    rule_y = (ys[1] + ys[2]) / 2
    w["rule"] = Line([lx - pitch * 0.3, rule_y, 0], [xs[-1] + colw / 2, rule_y, 0],
                     stroke_width=1.5, color=theme.dim)
    w["total"] = w["s"][-1]
    return w


def show_matrix_product(scene, left: NumericMatrix, right: NumericMatrix, result: NumericMatrix, *,
                        detailed: int = 2, rows: int = 2, rest: bool = True, speed: float = 1.0,
                        panel: Region | None = None, highlight: str | None = None,
                        moment: str | None = None) -> None:
    """Fill result = left · right cell by cell: the cells still hidden (result.hide_entries()) are filled
    in row-major order. The first `detailed` cells in full (the row of left and the column of right light
    up, the pairs line up, their products and running sum appear, the sum lands in the cell; the second
    one faster), then `rows` rows one at a time, then (if rest) all remaining cells together.
    speed > 1 plays faster. panel: where the work goes (default: below the three matrices). moment: a
    key-moment id marked when the first entry's work is complete (a still of the arithmetic).
    The three matrices must be on screen. Call again to continue where a previous call stopped."""
    theme = scene.theme
    hl = highlight or theme.highlight
    cells = [(i, j) for i in result.shown_row_indices() for j in result.shown_col_indices()]
    hidden = [c for c in cells if is_hidden(result, *c)]
    if not hidden and cells:
        result.hide_entries()
        hidden = list(cells)
    if panel is None:
        lowest = min(m.get_bottom()[1] for m in (left, right, result))
        area = content_region(scene)
        panel = Region(area.left, area.right, area.bottom, lowest - 0.25)

    def t(x):
        return x / speed

    # 1. detailed cells
    for n_done in range(min(detailed, len(hidden))):
        i, j = hidden.pop(0)
        f = 1.0 if n_done == 0 else 0.55
        marks = VGroup(left.row_box(i, hl), right.column_box(j, hl), result.cell_box(i, j, hl))
        w = _product_panel(scene, left, right, result, i, j, panel)
        # the row and the column light up, then their numbers line up in the panel
        scene.play(Succession(
            AnimationGroup(*(Create(m) for m in marks), run_time=t(0.6 * f)),
            AnimationGroup(TransformFromCopy(w["a_src"], w["a"]), TransformFromCopy(w["b_src"], w["b"]),
                           FadeIn(w["labels"][0]), Create(w["rule"]), run_time=t(1.1 * f))))
        # the products, then the running sum
        scene.play(Succession(
            AnimationGroup(LaggedStart(*(FadeIn(m, shift=DOWN * 0.1) for m in w["p"]), lag_ratio=0.25),
                           FadeIn(w["labels"][1]), *([FadeIn(w["dots"])] if len(w["dots"]) else []),
                           run_time=t(1.0 * f)),
            AnimationGroup(LaggedStart(*(FadeIn(m, shift=DOWN * 0.1) for m in w["s"]), lag_ratio=0.3),
                           FadeIn(w["labels"][2]), run_time=t(1.1 * f))))
        if n_done == 0 and moment:
            scene.key_moment(moment)
        text = result.get_cell(i, j).text.set_opacity(1)
        cell = result.get_cell(i, j)
        scene.play(TransformFromCopy(w["total"], text), FadeCell(cell, fill_to=cell.fill_opacity),
                   run_time=t(0.8 * f))
        if n_done == 0:
            scene.wait(t(0.4))
        gone = [w[k] for k in ("a", "b", "p", "s", "dots", "labels", "rule")]
        scene.play(*(fade_out(m) for m in (*gone, marks) if len(m.family_members_with_points())),
                   run_time=t(0.35 * f))

    # 2. rows one at a time
    for _ in range(rows):
        if not hidden:
            break
        i = hidden[0][0]
        todo = [c for c in hidden if c[0] == i]
        hidden = [c for c in hidden if c[0] != i]
        box = left.row_box(i, hl)
        scene.play(Succession(Create(box, run_time=t(0.3)),
                              LaggedStart(*(reveal(result, *c) for c in todo), lag_ratio=0.25, run_time=t(0.7)),
                              fade_out(box, run_time=t(0.2))))

    # 3. the rest together
    if rest and hidden:
        scene.play(LaggedStart(*(reveal(result, *c) for c in hidden), lag_ratio=min(0.15, 3.0 / len(hidden))),
                   run_time=t(1.4))


# ---------------------------------------------------------------- a row softmax

class SoftmaxPanel(VGroup):
    """The work of one row's softmax, laid out in a panel under the scores (not yet on screen): the row's
    scores s (s_row, copies of s_src), their exponentials e^s (e_row; masked −∞ scores give exactly 0,
    said by note), their sum Σ (sigma), the recorded weights e^s/Σ (p_row), the row labels (labels) and ⋯
    where columns are elided (dots), aligned with the scores' columns. bars_for(r) and tag_for(r) build
    the bars of a row's weights (heights proportional to the record) and the row's token beside them.

    Geometry: fs (font size of the numbers), pitch (row pitch), xs (column x's), ys (the three rows' y's),
    slot (column width), bars_length, base_y (the bars' baseline), label_x (labels' right edge),
    right_x (where Σ starts). Submobjects: s_row, e_row, p_row, labels, sigma, dots, note."""

    def __init__(self, scores: NumericMatrix, weights: NumericMatrix, row: int, theme: Theme, *,
                 panel: Region, bars_length: float | None = None, highlight: str | None = None,
                 row_names: Sequence[str] | None = None, **kwargs):
        super().__init__(**kwargs)
        if list(scores.shown_cols) != list(weights.shown_cols):
            raise ValueError("scores and weights must show the same columns")
        self.scores, self.weights, self.row, self.theme = scores, weights, row, theme
        self.highlight = highlight or theme.highlight
        self.row_names = row_names
        self._geometry(panel, bars_length)._numbers()._labels()
        self.add(self.s_row, self.e_row, self.p_row, self.labels, self.sigma, self.dots, self.note)

    # ------------------------------------------------------------ sub-builders
    def _geometry(self, panel: Region, bars_length: float | None) -> "SoftmaxPanel":
        scores = self.scores
        self.fs = effective_font_size(scores)
        self.pitch = pitch = row_pitch(scores)
        self.xs = xs = column_xs(scores)
        self.ys = ys = [panel.top - pitch * (r + 0.5) for r in range(3)]
        room = ys[2] - pitch * 0.5 - 0.15 - (panel.bottom + 0.05)
        self.bars_length = max(0.3, min(room, 2.0 if bars_length is None else bars_length))
        self.base_y = ys[2] - pitch * 0.5 - 0.15 - self.bars_length
        self.slot = (xs[1] - xs[0]) if len(xs) > 1 else scores.cell_pitch_x
        self.label_x = scores.get_grid().get_left()[0] - 0.2
        self.right_x = xs[-1] + self.slot / 2 + 0.25
        self.col_of = {j: c for c, j in enumerate(scores.shown_cols) if j is not None}
        return self

    def _numbers(self) -> "SoftmaxPanel":
        """s, e^s and e^s/Σ of every shown column, ⋯ for elided ones."""
        scores, weights, row, theme, xs, ys = self.scores, self.weights, self.row, self.theme, self.xs, self.ys
        s_vals = scores.values[row]
        self.exps, self.total = softmax_terms(s_vals)
        self.masked = bool(np.any(np.isinf(s_vals)))
        # exponentials may not be wider than the row's widest score (at least 5 characters, as in −0.24)
        self.num_chars = max([5] + [len(format_number(float(v), scores.decimals)) for v in s_vals])
        self.s_row, self.e_row, self.p_row, self.s_src, self.dots = VGroup(), VGroup(), VGroup(), VGroup(), VGroup()
        for c, j in enumerate(scores.shown_cols):
            if j is None:
                for y in ys:
                    self.dots.add(flat_text("⋯", theme.font, self.fs, theme.dim).move_to([xs[c], y, 0]))
                continue
            src = scores.get_cell(row, j).text
            self.s_src.add(src)
            self.s_row.add(src.copy().set_opacity(1).move_to([xs[c], ys[0], 0]))
            inf = math.isinf(s_vals[j])
            self.e_row.add(number("0" if inf else compact_number(self.exps[j], scores.decimals, self.num_chars),
                                  scores, theme.mask if inf else theme.text)    # e^−∞ is exactly 0
                           .move_to([xs[c], ys[1], 0]))
            self.p_row.add(number(format_number(weights.values[row, j], weights.decimals), scores, theme.weights)
                           .move_to([xs[c], ys[2], 0]))
        return self

    def _labels(self) -> "SoftmaxPanel":
        """s, e^s, e^s/Σ left of the rows; Σ = total right of e^s; e^−∞ = 0 right of s when masked."""
        theme, ys, fs = self.theme, self.ys, self.fs
        lab = dict(font_size=fs * 1.35, color=theme.dim)
        self.labels = VGroup(MathTex("s", **lab), MathTex("e^{s}", **lab), MathTex(r"e^{s} / \Sigma", **lab))
        for m, y in zip(self.labels, ys):
            m.move_to([0, y, 0]).align_to([self.label_x, 0, 0], RIGHT)
        self.sigma = VGroup(MathTex(r"\Sigma =", **lab),
                            number(compact_number(self.total, self.scores.decimals, self.num_chars + 2), self.scores,
                                   theme.text))
        self.sigma.arrange(RIGHT, buff=0.12).move_to([0, ys[1], 0]).align_to([self.right_x, 0, 0], LEFT)
        self.note = VGroup()
        if self.masked:
            self.note = MathTex(r"e^{-\infty} = 0", font_size=fs * 1.35, color=theme.mask)
            self.note.move_to([0, ys[0], 0]).align_to([self.right_x, 0, 0], LEFT)
        return self

    # ------------------------------------------------------------ bars
    def bars_for(self, r: int) -> ProbabilityBars:
        """Bars of row r's weights, aligned with the columns, on the panel's baseline."""
        slot = self.slot
        b = ProbabilityBars(self.weights.values[r], self.theme, indices=self.weights.shown_cols, slot=slot,
                            bar_width=slot * 0.62, length=self.bars_length, scale_max=1.0, baseline=True)
        b.align_slots_to({j: self.xs[self.col_of[j]] for j in self.col_of})
        b.shift(UP * (self.base_y - b.baseline.get_y()))
        b.source_row = r     # which row of weights the bars show
        return b

    def tag_for(self, r: int) -> VMobject:
        """Row r's token beside the bars (row_names, cut to a label's width like the scores' row labels,
        else the scores' row label; empty if neither)."""
        theme, scores = self.theme, self.scores
        if self.row_names is not None:
            tag = fit_label(str(self.row_names[r]), theme.font, 20, self.highlight, label_max_width(20))
            tag.scale(self.fs / 20)
        elif r in scores.row_labels:
            tag = scores.row_labels[r].copy().set_color(self.highlight)
        else:
            return VGroup()
        return tag.move_to([0, self.base_y + tag.height / 2 + 0.05, 0]).align_to([self.label_x, 0, 0], RIGHT)


def show_row_softmax(scene, scores: NumericMatrix, weights: NumericMatrix, row: int, *,
                     panel: Region | None = None, replace: bool = False, others: int = 2, rest: bool = True,
                     speed: float = 1.0, bars_length: float | None = None, keep_bars: bool = False,
                     highlight: str | None = None, moment: str | None = None,
                     row_names: Sequence[str] | None = None) -> ProbabilityBars | None:
    """The softmax of one row in detail, then the other rows quickly.

    Under the scores (in panel, default: below the lowest matrix) a SoftmaxPanel's work appears row by
    row, then the bars of the weights. The weights land in their row of the weights matrix (whose cells
    start hidden); with replace=True the weights matrix lies over the scores (same cells) and each scores
    row gives way to its weights row. Then `others` rows one at a time, the bars following each row, then
    (if rest) all remaining rows together. moment: a key-moment id marked when the row's work is complete,
    bars included. row_names: the rows' tokens, shown beside the bars (default: the scores' row labels).
    Returns the bars if keep_bars (still on screen), else fades them out and returns None."""
    if list(scores.shown_cols) != list(weights.shown_cols):
        raise ValueError("scores and weights must show the same columns")
    cells = [(i, j) for i in weights.shown_row_indices() for j in weights.shown_col_indices()]
    if not any(is_hidden(weights, *c) for c in cells):
        weights.hide_entries()
    if panel is None:
        lowest = min(m.get_bottom()[1] for m in (scores, weights))
        area = content_region(scene)
        panel = Region(area.left, area.right, area.bottom, lowest - 0.25)
    work = SoftmaxPanel(scores, weights, row, scene.theme, panel=panel, bars_length=bars_length,
                        highlight=highlight, row_names=row_names)
    bars, tag = _play_softmax_row(scene, work, replace, speed, moment)
    _play_other_rows(scene, work, bars, tag, replace, others, rest, speed)
    if keep_bars:
        return bars
    scene.play(fade_out(bars), run_time=0.4 / speed)
    return None


def _play_softmax_row(scene, work: SoftmaxPanel, replace: bool, speed: float, moment: str | None):
    """The row in detail: s, e^s and Σ, e^s/Σ, the bars; the weights land in their row. -> (bars, tag)."""
    def t(x):
        return x / speed

    scores, weights, row = work.scores, work.weights, work.row
    bars = work.bars_for(row)
    marks = scores.row_box(row, work.highlight)
    labels = work.labels
    scene.play(Succession(
        Create(marks, run_time=t(0.5)),
        AnimationGroup(TransformFromCopy(work.s_src, work.s_row), FadeIn(labels[0]), FadeIn(work.dots),
                       *([FadeIn(work.note)] if work.masked else []), run_time=t(0.9))))
    scene.play(Succession(
        AnimationGroup(LaggedStart(*(FadeIn(m, shift=DOWN * 0.1) for m in work.e_row), lag_ratio=0.2),
                       FadeIn(labels[1]), run_time=t(1.1)),
        FadeIn(work.sigma, shift=LEFT * 0.2, run_time=t(0.7))))
    scene.play(LaggedStart(*(FadeIn(m, shift=DOWN * 0.1) for m in work.p_row), lag_ratio=0.2),
               FadeIn(labels[2]), run_time=t(1.1))
    tag = work.tag_for(row)
    scene.add(bars)
    scene.play(bars.grow(run_time=t(0.9)), FadeIn(tag), run_time=t(0.9))
    bars.add(tag)
    if moment:
        scene.key_moment(moment)
    scene.wait(t(0.5))
    fill = [TransformFromCopy(p, weights.get_cell(row, j).text.set_opacity(1))
            for p, j in zip(work.p_row, weights.shown_col_indices())]
    fill += [FadeCell(weights.get_cell(row, j), fill_to=weights.get_cell(row, j).fill_opacity)
             for j in weights.shown_col_indices()]
    if replace:
        fill += [hide(scores.get_cell(row, j)) for j in scores.shown_col_indices()]
    scene.play(*fill, run_time=t(0.9))
    gone = (work.s_row, work.e_row, work.p_row, labels, work.sigma, work.dots, marks,
            *([work.note] if work.masked else []))
    scene.play(*(fade_out(m) for m in gone if len(m.family_members_with_points())), run_time=t(0.4))
    return bars, tag


def _play_other_rows(scene, work: SoftmaxPanel, bars: ProbabilityBars, tag: VMobject, replace: bool,
                     others: int, rest: bool, speed: float) -> None:
    """`others` rows one at a time (the bars and the tag follow), then (if rest) the remaining rows."""
    def t(x):
        return x / speed

    scores, weights = work.scores, work.weights
    todo = [r for r in weights.shown_row_indices()
            if any(is_hidden(weights, r, j) for j in weights.shown_col_indices())]

    def fill_row(r):
        anims = [reveal(weights, r, j) for j in weights.shown_col_indices()]
        if replace:
            anims += [hide(scores.get_cell(r, j)) for j in scores.shown_col_indices()]
        return anims

    for r in todo[:others]:
        box = scores.row_box(r, work.highlight)
        new_tag = work.tag_for(r)
        morph = bars.morph_to(work.bars_for(r))
        if len(tag.family_members_with_points()) and len(new_tag.family_members_with_points()):
            morph.append(Transform(tag, new_tag))
            # the tag becomes the new word: it carries the new text's marks (what it says, its size as made),
            # which the layout audit reads
            for attr in ("drawn_text", "glyph_count", "size0", "diag0", "full_text"):
                if hasattr(new_tag, attr):
                    setattr(tag, attr, getattr(new_tag, attr))
        scene.play(Succession(AnimationGroup(Create(box), *morph, run_time=t(0.5)),
                              AnimationGroup(*fill_row(r), run_time=t(0.6)),
                              fade_out(box, run_time=t(0.2))))
        bars.source_row = r
    remaining = todo[others:]
    if rest and remaining:
        scene.play(LaggedStart(*(AnimationGroup(*fill_row(r)) for r in remaining),
                               lag_ratio=min(0.3, 2.0 / len(remaining))), run_time=t(1.4))
