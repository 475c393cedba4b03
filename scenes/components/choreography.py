"""Choreography: functions that take the scene first and play several animations (3Blue1Brown's helpers
style). Every number they draw is a record number held by a NumericMatrix, or the on-screen arithmetic
derived from record numbers by mathcore.display; totals shown are always the recorded result.

    lay = layout_product(scene, X, W, Q, names=("X", "W_Q", "Q"), left_row_labels=tokens)
    scene.add(lay.left, lay.right, lay.result.hide_entries(), lay.name_group, lay.ops)
    show_matrix_product(scene, lay.left, lay.right, lay.result, panel=lay.panel)

    show_row_softmax(scene, scaled, weights, row=0, panel=region)

Only small parts are animated (a row, a column, the few numbers of one entry), so renders stay cheap.
Cells of matrices already on screen are filled and emptied in place (FadeCell, reveal, hide: no copies, so
a whole matrix stays cheap) or with Transform-like animations, never introduced or removed by FadeIn/FadeOut,
which would split the matrix off the scene.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, Animation, AnimationGroup, Create, FadeIn, FadeOut, LaggedStart, Line,
                   MathTex, Mobject, Rectangle, Succession, Transform, TransformFromCopy, VGroup, VMobject,
                   config)

from mathcore.display import product_terms, softmax_terms

from ..theme import Theme
from .bars import ProbabilityBars
from .matrix import MINUS, Cell, NumericMatrix, format_number, shown_indices
from .text import flat_text


# ---------------------------------------------------------------- small helpers

@dataclass(frozen=True)
class Region:
    """An axis-aligned area of the frame (for a work panel)."""
    left: float
    right: float
    bottom: float
    top: float

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.top - self.bottom

    @property
    def center(self) -> np.ndarray:
        return np.array([(self.left + self.right) / 2, (self.bottom + self.top) / 2, 0.0])

    @classmethod
    def of(cls, mob) -> "Region":
        return cls(mob.get_left()[0], mob.get_right()[0], mob.get_bottom()[1], mob.get_top()[1])


def content_region(scene) -> Region:
    """The scene's content area (below the heading band, above the caption band)."""
    half = config.frame_width / 2 - 0.3
    return Region(-half, half, scene.content_bottom, scene.content_top)


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


class QuickFade(Animation):
    """FadeIn or FadeOut without copies: Manim's own fades deep-copy the mobject twice, which for a whole
    matrix costs more than the frames. This one scales the opacities of the mobject's own points in place
    and puts them back when it is done (after a fade-out the mobject leaves the scene at full opacity, so it
    can come back)."""

    def __init__(self, mobject: Mobject, fade_in: bool, **kwargs):
        self.fade_in = fade_in
        super().__init__(mobject, introducer=fade_in, remover=not fade_in, **kwargs)

    def begin(self):
        self.saved = [(m, m.fill_rgbas[:, 3].copy(), m.stroke_rgbas[:, 3].copy(),
                       m.background_stroke_rgbas[:, 3].copy())
                      for m in self.mobject.get_family() if isinstance(m, VMobject)]
        super().begin()

    def create_starting_mobject(self):
        return self.mobject

    def _scale(self, factor: float):
        for m, fill, stroke, back in self.saved:
            if len(m.fill_rgbas) == len(fill):
                m.fill_rgbas[:, 3] = fill * factor
            if len(m.stroke_rgbas) == len(stroke):
                m.stroke_rgbas[:, 3] = stroke * factor
            if len(m.background_stroke_rgbas) == len(back):
                m.background_stroke_rgbas[:, 3] = back * factor

    def interpolate_mobject(self, alpha: float) -> None:
        a = self.rate_func(alpha)
        self._scale(a if self.fade_in else 1 - a)

    def clean_up_from_scene(self, scene) -> None:
        super().clean_up_from_scene(scene)
        self._scale(1.0)


def fade_in(mob: Mobject, **kwargs) -> QuickFade:
    return QuickFade(mob, True, **kwargs)


def fade_out(mob: Mobject, **kwargs) -> QuickFade:
    return QuickFade(mob, False, **kwargs)


def clear_stage(scene, *keep: Mobject, run_time: float = 0.5):
    """Like ChapterScene.clear_stage (fade out everything but the heading, the chapter tag and keep), with
    QuickFade."""
    fixed = {id(m) for m in (scene.heading, getattr(scene, "chapter_tag", None), *keep) if m is not None}
    gone = [m for m in scene.mobjects if id(m) not in fixed]
    if gone:
        scene.play(*(fade_out(m) for m in gone), run_time=run_time)


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
        w = next(iter(matrix.cells.values())).box.width / 0.94
    return [x0 + (c - c0) * w for c in range(slots)]


def row_pitch(matrix: NumericMatrix) -> float:
    """Distance between the centres of two consecutive rows, after scaling."""
    cell = next(iter(matrix.cells.values()))
    return cell.box.height / 0.9


# ---------------------------------------------------------------- laying out a product

class ProductLayout(VGroup):
    """left · right = result, built with consistent elision and placed in the content area.

    kind "row": the three side by side with · and = between (a work panel fits below);
    kind "scheme": right above result and left beside it, so a row of left and a column of right meet at
    their entry (the work panel sits in the free corner above left).
    Attributes: left, right, result (NumericMatrix), names (dict "left"/"right"/"result" of MathTex),
    name_group, ops (· and =, empty for "scheme"), kind, scale, panel (Region).
    """


def layout_product(scene, A, B, C, *, names: Sequence[str] = ("A", "B", "C"),
                   colors: Sequence[str | None] = (None, None, None),
                   left_row_labels: Sequence[str] | None = None, left_col_labels: Sequence[str] | None = None,
                   right_row_labels: Sequence[str] | None = None,
                   right_col_labels: Sequence[str] | None = None, result_col_labels: Sequence[str] | None = None,
                   result_row_labels: bool = False,
                   fills: Sequence[str | None] = (None, None, None),
                   kinds: Sequence[str] = ("scheme", "row"), font_size: float = 20, min_font_size: float = 18,
                   max_rows: int = 12, max_inner: int = 8, max_cols: int = 12, min_shown: int = 4,
                   panel_rows: int = 4, extra_gap: float = 0.0, area: Region | None = None,
                   decimals: int | None = None, label_font_size: float | None = None) -> ProductLayout:
    """Build left (A), right (B) and result (C) as NumericMatrix objects that fit the area (default: the
    content area) with numbers at least min_font_size, eliding rows and columns (never below min_shown, the
    shared inner dimension only as a last resort) only when needed. Of the kinds that fit, the one that
    shows the most wins; ties go to the earlier kind. extra_gap widens the space left of the right matrix
    (for a column of multipliers); panel_rows sizes the room kept for show_matrix_product's work (lay.panel).
    A, B, C are record values; nothing is computed."""
    theme: Theme = scene.theme
    area = area or content_region(scene)
    A, B, C = (np.asarray(x, dtype=float) for x in (A, B, C))
    n, k = A.shape
    p = B.shape[1]
    dec = scene.cfg.decimals if decimals is None else decimals
    limits = [min(n, max_rows), min(k, max_inner), min(p, max_cols)]

    common = dict(decimals=dec, font_size=font_size, label_font_size=label_font_size)
    # right and result share a column width: that of their widest number (one 1x1 matrix measures it)
    widest = max((v for v in np.concatenate([B.ravel(), C.ravel()])),
                 key=lambda v: flat_text(format_number(float(v), dec), theme.mono, font_size, theme.text).width)
    w = NumericMatrix(np.array([[widest]]), theme, **common).cell_width
    name_mobs = [MathTex(s, font_size=36, color=c or theme.text) for s, c in zip(names, colors)]

    built: dict[tuple, NumericMatrix] = {}   # candidates share matrices: build each one once

    def matrix(key, make):
        if key not in built:
            built[key] = make()
        return built[key]

    def build(kind, lim):
        rows = tuple(shown_indices(n, lim[0]))
        inner = tuple(shown_indices(k, lim[1]))
        cols = tuple(shown_indices(p, lim[2]))
        L = matrix(("L", rows, inner), lambda: NumericMatrix(
            A, theme, rows=rows, cols=inner, row_labels=left_row_labels, col_labels=left_col_labels,
            fill_color=fills[0], bracket_color=colors[0], **common))
        R = matrix(("R", inner, cols), lambda: NumericMatrix(
            B, theme, rows=inner, cols=cols, col_labels=right_col_labels, cell_width=w,
            row_labels=right_row_labels, fill_color=fills[1], bracket_color=colors[1], **common))
        res_cols = result_col_labels if kind == "row" else None
        Cm = matrix(("C", rows, cols, res_cols is not None), lambda: NumericMatrix(
            C, theme, rows=rows, cols=cols, cell_width=w, col_labels=res_cols,
            row_labels=left_row_labels if result_row_labels else None,
            fill_color=fills[2], bracket_color=colors[2], **common))
        nm = name_mobs           # placed anew by every build
        pitch = Cm.cell_height
        panel_h = panel_rows * pitch + 0.25
        if kind == "row":
            dot = MathTex(r"\cdot", font_size=48, color=theme.text)
            eq = MathTex("=", font_size=48, color=theme.text)
            row = VGroup(L, dot, R, eq, Cm).arrange(RIGHT, buff=0.3)
            if extra_gap:
                R.shift(RIGHT * extra_gap)
                eq.shift(RIGHT * extra_gap)
                Cm.shift(RIGHT * extra_gap)
            top = L.body.get_top()[1]
            for m in (R, Cm):
                m.shift(UP * (top - m.body.get_top()[1]))
            mid = L.body.get_center()[1]
            for op in (dot, eq):
                op.set_y(mid)
            names_y = max(m.get_top()[1] for m in (L, R, Cm)) + 0.3
            for t, m in zip(nm, (L, R, Cm)):
                t.move_to([m.get_grid().get_center()[0], names_y, 0])
            ops = VGroup(dot, eq)
            holder = Rectangle(width=max(L.width, 0.1), height=panel_h, stroke_width=0, fill_opacity=0)
            lowest = min(m.get_bottom()[1] for m in (L, R, Cm))
            holder.next_to([L.get_left()[0], lowest, 0], DOWN, buff=0.3, aligned_edge=LEFT)
            holder.align_to(L, LEFT)
        else:
            gap = 0.3
            R.shift(Cm.body[0].get_center() - R.body[0].get_center())   # columns line up
            R.shift(UP * (Cm.get_top()[1] + gap - R.get_bottom()[1]))
            L.shift(UP * (Cm.body[0].get_y() - L.body[0].get_y()))       # rows line up
            L.shift(RIGHT * (Cm.get_left()[0] - gap - extra_gap - L.get_right()[0]))
            nm[0].next_to(L.get_grid(), DOWN, buff=0.25)
            nm[2].next_to(Cm.get_grid(), DOWN, buff=0.25)
            nm[0].set_y(min(nm[0].get_y(), nm[2].get_y()))
            nm[2].set_y(nm[0].get_y())
            nm[1].next_to(R.get_grid(), RIGHT, buff=0.3)
            ops = VGroup()
            corner_w = max(L.width, 0.1)
            holder = Rectangle(width=corner_w, height=panel_h, stroke_width=0, fill_opacity=0)
            holder.next_to(L, UP, buff=0.25).align_to(L, RIGHT)
            # the corner is as tall as the right matrix; a taller panel pushes everything down
            holder.align_to(R, UP) if holder.height < R.height else None
            if holder.get_right()[0] > R.get_left()[0] - 0.15:
                holder.shift(LEFT * (holder.get_right()[0] - R.get_left()[0] + 0.15))
        group = VGroup(L, R, Cm, *nm, ops, holder)
        scale = min(1.0, area.width / group.width, area.height / group.height)
        return group, (L, R, Cm, nm, ops, holder), scale

    min_scale = min_font_size / font_size

    def search(kind):
        """Elide this kind until it fits: rows or result columns (whichever overflows), the shared inner
        dimension only as a last resort. -> (fits, shown result cells, inner elided, built parts)."""
        lim = list(limits)
        while True:
            group, parts, scale = build(kind, lim)
            if scale >= min_scale:
                return True, (lim[1], lim[0] * lim[2]), (kind, list(lim), scale)
            over_w = group.width - area.width / min_scale
            over_h = group.height - area.height / min_scale
            need_w, need_h = over_w > 0, over_h > 0
            floor = [min(m, min_shown) for m in limits]
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

    results = []
    for kind in kinds:
        results.append(search(kind))
        if results[-1][0] and results[-1][1] == (limits[1], limits[0] * limits[2]):
            break            # fits with nothing elided: no later kind can do better
    fitting = [r for r in results if r[0]]
    pool = fitting or results
    # the kind that shows the most (inner dimension whole first, then most result cells); ties: kinds order
    best = max(pool, key=lambda r: (r[1][0], r[1][1], -results.index(r)))[2]
    if not fitting:          # nothing fits at the minimum size: shrink the least elided one anyway
        best = max(results, key=lambda r: r[2][2])[2]

    kind, lim, _ = best
    group, (L, R, Cm, nm, ops, holder), scale = build(kind, lim)   # placed again: candidates share matrices
    if scale < 1.0:
        group.scale(scale)
    group.move_to(area.center)
    lay = ProductLayout(L, R, Cm, *nm, ops)
    lay.left, lay.right, lay.result = L, R, Cm
    lay.names = {"left": nm[0], "right": nm[1], "result": nm[2]}
    lay.name_group = VGroup(*nm)
    lay.ops = ops
    lay.kind = kind
    lay.scale = scale
    lay.panel = Region.of(holder)
    return lay


def place_formula(scene, f: VMobject, lay: ProductLayout, min_scale: float = 0.7) -> bool:
    """Put a formula (e.g. the record's) where a product layout leaves room: above it when it fits there
    (returns False: it may stay), else in the work panel's corner (returns True: it must make way while the
    work is shown). If neither has room at min_scale or more, the formula is made invisible (the names
    already say it) and False is returned."""
    area = content_region(scene)
    top = max(m.get_top()[1] for m in (lay.left, lay.right, lay.result, lay.name_group))
    if top + 0.15 + f.height <= area.top:
        x = lay.right.get_grid().get_center()[0] if lay.kind == "scheme" else 0
        f.move_to([x, top + 0.15 + f.height / 2, 0])
        if f.get_left()[0] < area.left:
            f.shift(RIGHT * (area.left - f.get_left()[0]))
        if f.get_right()[0] <= area.right:
            return False
    region = lay.panel
    factor = min(1.0, region.width / max(f.width, 1e-9), region.height / max(f.height, 1e-9))
    if factor >= min_scale:
        f.scale(factor).move_to(region.center)
        return True
    f.set_opacity(0)
    return False


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
    colw = (xs[1] - xs[0]) if len(xs) > 1 else left.get_cell(i, inner[last_shown]).box.width / 0.94
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

def show_row_softmax(scene, scores: NumericMatrix, weights: NumericMatrix, row: int, *,
                     panel: Region | None = None, replace: bool = False, others: int = 2, rest: bool = True,
                     speed: float = 1.0, bars_length: float | None = None, keep_bars: bool = False,
                     highlight: str | None = None, moment: str | None = None,
                     row_names: Sequence[str] | None = None) -> ProbabilityBars | None:
    """The softmax of one row in detail, then the other rows quickly.

    Under the scores (in panel, default: below the lowest matrix): the row's scores s, their exponentials
    e^s (masked −∞ scores give exactly 0, said on screen), their sum Σ, the recorded weights e^s/Σ and
    bars of those weights (heights proportional to the record), aligned with the columns. The weights
    land in their row of the weights matrix (whose cells start hidden); with replace=True the weights
    matrix lies over the scores (same cells) and each scores row gives way to its weights row. Then
    `others` rows one at a time, the bars following each row, then (if rest) all remaining rows together.
    moment: a key-moment id marked when the row's work is complete, bars included. row_names: the rows'
    tokens, shown beside the bars (default: the scores' row labels, if any).
    Returns the bars if keep_bars (still on screen), else fades them out and returns None."""
    theme = scene.theme
    hl = highlight or theme.highlight
    if list(scores.shown_cols) != list(weights.shown_cols):
        raise ValueError("scores and weights must show the same columns")
    cells = [(i, j) for i in weights.shown_row_indices() for j in weights.shown_col_indices()]
    if not any(is_hidden(weights, *c) for c in cells):
        weights.hide_entries()

    def t(x):
        return x / speed

    fs = effective_font_size(scores)
    pitch = row_pitch(scores)
    xs = column_xs(scores)
    if panel is None:
        lowest = min(m.get_bottom()[1] for m in (scores, weights))
        area = content_region(scene)
        panel = Region(area.left, area.right, area.bottom, lowest - 0.25)
    ys = [panel.top - pitch * (r + 0.5) for r in range(3)]
    room = ys[2] - pitch * 0.5 - 0.15 - (panel.bottom + 0.05)
    bars_length = max(0.3, min(room, 2.0 if bars_length is None else bars_length))
    base_y = ys[2] - pitch * 0.5 - 0.15 - bars_length

    s_vals = scores.values[row]
    exps, total = softmax_terms(s_vals)
    masked = bool(np.any(np.isinf(s_vals)))
    col_of = {j: c for c, j in enumerate(scores.shown_cols) if j is not None}

    # exponentials may not be wider than the row's widest score (at least 5 characters, as in −0.24)
    width = max([5] + [len(format_number(float(v), scores.decimals)) for v in s_vals])
    s_row, e_row, p_row, s_src, dots = VGroup(), VGroup(), VGroup(), VGroup(), VGroup()
    for c, j in enumerate(scores.shown_cols):
        if j is None:
            for y in ys:
                dots.add(flat_text("⋯", theme.font, fs, theme.dim).move_to([xs[c], y, 0]))
            continue
        src = scores.get_cell(row, j).text
        s_src.add(src)
        s_row.add(src.copy().set_opacity(1).move_to([xs[c], ys[0], 0]))
        inf = math.isinf(s_vals[j])
        e_row.add(number("0" if inf else compact_number(exps[j], scores.decimals, width),  # e^−∞ is exactly 0
                         scores, theme.mask if inf else theme.text)
                  .move_to([xs[c], ys[1], 0]))
        p_row.add(number(format_number(weights.values[row, j], weights.decimals), scores, theme.weights)
                  .move_to([xs[c], ys[2], 0]))
    label_x = scores.get_grid().get_left()[0] - 0.2
    lab = dict(font_size=fs * 1.35, color=theme.dim)
    labels = VGroup(MathTex("s", **lab), MathTex("e^{s}", **lab), MathTex(r"e^{s} / \Sigma", **lab))
    for m, y in zip(labels, ys):
        m.move_to([0, y, 0]).align_to([label_x, 0, 0], RIGHT)
    colw = (xs[1] - xs[0]) if len(xs) > 1 else next(iter(scores.cells.values())).box.width / 0.94
    right_x = xs[-1] + colw / 2 + 0.25
    sigma = VGroup(MathTex(r"\Sigma =", **lab),
                   number(compact_number(total, scores.decimals, width + 2), scores, theme.text))
    sigma.arrange(RIGHT, buff=0.12).move_to([0, ys[1], 0]).align_to([right_x, 0, 0], LEFT)
    note = VGroup()
    if masked:
        note = MathTex(r"e^{-\infty} = 0", font_size=fs * 1.35, color=theme.mask)
        note.move_to([0, ys[0], 0]).align_to([right_x, 0, 0], LEFT)
    slot = colw

    def bars_for(r):
        b = ProbabilityBars(weights.values[r], theme, indices=weights.shown_cols, slot=slot,
                            bar_width=slot * 0.62, length=bars_length, scale_max=1.0, baseline=True)
        b.align_slots_to({j: xs[col_of[j]] for j in col_of})
        b.shift(UP * (base_y - b.baseline.get_y()))
        b.source_row = r     # which row of weights the bars show
        return b

    def tag_for(r):         # the row's token beside the bars
        if row_names is not None:
            tag = flat_text(str(row_names[r]), theme.font, 20, hl).scale(fs / 20)
        elif r in scores.row_labels:
            tag = scores.row_labels[r].copy().set_color(hl)
        else:
            return VGroup()
        return tag.move_to([0, base_y + tag.height / 2 + 0.05, 0]).align_to([label_x, 0, 0], RIGHT)

    bars = bars_for(row)

    marks = scores.row_box(row, hl)
    scene.play(Succession(
        Create(marks, run_time=t(0.5)),
        AnimationGroup(TransformFromCopy(s_src, s_row), FadeIn(labels[0]), FadeIn(dots),
                       *([FadeIn(note)] if masked else []), run_time=t(0.9))))
    scene.play(Succession(
        AnimationGroup(LaggedStart(*(FadeIn(m, shift=DOWN * 0.1) for m in e_row), lag_ratio=0.2),
                       FadeIn(labels[1]), run_time=t(1.1)),
        FadeIn(sigma, shift=LEFT * 0.2, run_time=t(0.7))))
    scene.play(LaggedStart(*(FadeIn(m, shift=DOWN * 0.1) for m in p_row), lag_ratio=0.2), FadeIn(labels[2]),
               run_time=t(1.1))
    tag = tag_for(row)
    scene.add(bars)
    scene.play(bars.grow(run_time=t(0.9)), FadeIn(tag), run_time=t(0.9))
    bars.add(tag)
    if moment:
        scene.key_moment(moment)
    scene.wait(t(0.5))
    fill = [TransformFromCopy(p, weights.get_cell(row, j).text.set_opacity(1))
            for p, j in zip(p_row, weights.shown_col_indices())]
    fill += [FadeCell(weights.get_cell(row, j), fill_to=weights.get_cell(row, j).fill_opacity)
             for j in weights.shown_col_indices()]
    if replace:
        fill += [hide(scores.get_cell(row, j)) for j in scores.shown_col_indices()]
    scene.play(*fill, run_time=t(0.9))
    gone = (s_row, e_row, p_row, labels, sigma, dots, marks, *([note] if masked else []))
    scene.play(*(fade_out(m) for m in gone if len(m.family_members_with_points())), run_time=t(0.4))

    todo = [r for r in weights.shown_row_indices()
            if any(is_hidden(weights, r, j) for j in weights.shown_col_indices())]

    def fill_row(r):
        anims = [reveal(weights, r, j) for j in weights.shown_col_indices()]
        if replace:
            anims += [hide(scores.get_cell(r, j)) for j in scores.shown_col_indices()]
        return anims

    for r in todo[:others]:
        box = scores.row_box(r, hl)
        new_tag = tag_for(r)
        morph = bars.morph_to(bars_for(r))
        if len(tag.family_members_with_points()) and len(new_tag.family_members_with_points()):
            morph.append(Transform(tag, new_tag))
        scene.play(Succession(AnimationGroup(Create(box), *morph, run_time=t(0.5)),
                              AnimationGroup(*fill_row(r), run_time=t(0.6)),
                              fade_out(box, run_time=t(0.2))))
        bars.source_row = r
    remaining = todo[others:]
    if rest and remaining:
        scene.play(LaggedStart(*(AnimationGroup(*fill_row(r)) for r in remaining),
                               lag_ratio=min(0.3, 2.0 / len(remaining))), run_time=t(1.4))
    if keep_bars:
        return bars
    scene.play(fade_out(bars), run_time=t(0.4))
    return None
