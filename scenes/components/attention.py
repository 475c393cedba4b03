"""Attention, step by step, as chapters 4, 8 and 9 draw it (self-attention, masked self-attention,
cross-attention; chapter 10's output grid too): a grid of same-shaped matrices that give way to each other
in place, the Q, K and V projections one after another, the scores step, notes wrapped into the work panel,
the mask's styling, the mix of value rows.
The stage (clearing it, copy-free fades, placing a formula) is stage.py's."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from manim import (LEFT, RIGHT, AnimationGroup, LaggedStart, MathTex, Rectangle, ReplacementTransform, Transform,
                   VGroup, VMobject, Write)

from .choreography import ProductLayout, effective_font_size, hide, layout_product, reveal, show_matrix_product
from ..theme import readable_fill_opacity
from .stage import Region, clear_stage, content_region, fade_in, fade_out, place_formula
from .matrix import NumericMatrix, format_number, shown_indices
from .text import flat_text, label_max_width, label_width
from .tokens import balanced_lines, line_offset

PANEL_ROWS = 3     # s, e^s, e^s/Σ under the grid
TAG_GAP = 0.2      # the softmax panel's labels and row tag end this far left of the grid (SoftmaxPanel.label_x)
BARS = 0.9         # at least this much room for the softmax bars


def focus_row(m: int) -> int:
    """The position worked in detail: the third (it sees two earlier tokens and has later ones hidden), or
    the last but one when the target is shorter."""
    return max(0, min(2, m - 2))


def ordinal(k: int) -> str:
    if 10 <= k % 100 <= 20:
        return f"{k}th"
    return f"{k}" + {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")


LINE_GAP = 0.1    # between two lines of a note
PART_GAP = 0.12   # more between two parts (another colour, another thought)


def wrapped_note(scene, parts, region: Region, *, font_size: float = 22,
                 min_font_size: float = 18) -> VGroup | None:
    """Words wrapped into lines that fit region at the largest font size from font_size down to
    min_font_size; None when even the smallest does not fit (the caption then says it alone).
    parts: (text, colour) pairs; each part starts on a new line. A part's lines are balanced (the narrowest
    measure that needs no more lines, so no word is left alone on the last one), and lines sit on evenly
    spaced baselines, whatever their ascenders and descenders."""
    font = scene.theme.font
    fs = font_size
    while fs >= min_font_size - 1e-9:
        # measure words once (cached shapes), build only the final lines
        space = flat_text("x x", font, fs, "#fff").width - flat_text("xx", font, fs, "#fff").width
        limit = region.width - 0.15
        plan = []   # (line, colour, whether it starts a part)
        for text, color in parts:
            words = text.split()
            widths = [flat_text(word, font, fs, "#fff").width for word in words]
            for k in range(1, len(words) + 1):   # the fewest lines that fit, balanced
                lines = balanced_lines(widths, k, space)
                if max(sum(widths[i] for i in line) + space * (len(line) - 1) for line in lines) <= limit:
                    break
            plan.extend((" ".join(words[i] for i in line), color, k == 0) for k, line in enumerate(lines))
        line_h = flat_text("Xg", font, fs, "#fff").height
        starts = sum(first for _, _, first in plan[1:])
        if len(plan) * (line_h + LINE_GAP) + starts * PART_GAP <= region.height - 0.05:
            lines, y = VGroup(), 0.0
            for i, (t, c, first) in enumerate(plan):
                if i:
                    y -= line_h + LINE_GAP + (PART_GAP if first else 0.0)
                lines.add(scene.text(t, fs, c).move_to([0.0, y + line_offset(t, font, fs), 0.0]))
            if lines.width <= region.width - 0.05 and lines.height <= region.height - 0.05:
                return lines.move_to(region.center)
        fs -= 2
    return None


def style_masked(M: NumericMatrix, masked_values, theme, *, zero: bool = False) -> NumericMatrix:
    """Cells the mask hides (−∞ in masked_values, the record): −∞ drawn in the text colour on the mask
    colour (readable); with zero=True (a weights matrix) their exact zeros get a faint mask tint, so they
    read apart from weights that merely round to 0.00."""
    for (i, j), cell in M.cells.items():
        if math.isinf(masked_values[i, j]):
            if zero:
                cell.text.set_color(theme.mask)
                tint = readable_fill_opacity(theme, theme.mask, theme.mask, 0.18)   # the 0.00 stays 4.5:1
                cell.box.set_fill(theme.mask, opacity=tint)
                cell.fill_opacity = tint
            else:
                cell.text.set_color(theme.text)
    return M


@dataclass
class AttentionGrid:
    """Matrices of one shape drawn with one geometry, each lying exactly over the first (so one can give way
    to the next cell by cell); the first carries the row and column labels. panel: the room below."""
    mats: list[NumericMatrix]
    name: MathTex
    panel: Region
    name_x: float


def _cell_width(scene, recs, widest_by_ink: bool) -> float:
    """One cell width for all the grid's matrices: that of the widest number (a monospaced font: the longest,
    up to its ink; widest_by_ink measures the ink)."""
    numbers = (float(v) for r in recs for v in r.value.ravel())
    if widest_by_ink:
        widest = max(numbers, key=lambda v: flat_text(format_number(v, scene.cfg.decimals), scene.theme.mono, 20,
                                                      scene.theme.text).width)
    else:
        widest = max(numbers, key=lambda v: len(format_number(v, scene.cfg.decimals)))
    return NumericMatrix([[widest]], scene.theme).cell_width


def _clear_the_tags(group: VGroup, tags, f: float, area: Region, theme) -> None:
    """The softmax panel's row tag (a shown row's token beside its bars, SoftmaxPanel.tag_for) ends at
    TAG_GAP left of the grid, like the panel's labels: one wider than its row label may hang past the
    content area, and the grid (group, its first matrix first) moves right as far."""
    tag_w = max((label_width(str(t), theme.font, 20, label_max_width(20)) for t in tags), default=0.0)
    tag_left = group[0].get_grid().get_left()[0] - TAG_GAP - tag_w * min(f, 1.0)   # tags scale with the grid
    if tag_left < area.left:
        group.shift(RIGHT * (area.left - tag_left))


def attention_grid(scene, recs, *, fills=None, name_tex: str = "S", name_color: str | None = None,
                   panel_rows: int = PANEL_ROWS, bars: float = BARS, min_scale: float = 0.9,
                   col_candidates=None, keep_row: int | None = None, widest_by_ink: bool = False,
                   top_gap: float = 0.15, name_gap: float = 0.17) -> AttentionGrid:
    """recs: records of one shape (e.g. scores, scaled, masked, weights). As many columns as fit beside the
    labels and the softmax's Σ, then as many rows as leave room below for the softmax panel.
    col_candidates: column choices (lists of indices, None for ⋯), best first; default: the first ones.
    keep_row: a row that is never elided (the one the chapter works through in detail).
    widest_by_ink: the common cell width is that of the number drawn widest (else: the longest one, the
    same up to the ink of its end glyphs in the monospaced font). top_gap: between the grid's name band and
    the content area's top; name_gap: between the grid and its name."""
    theme = scene.theme
    fills = fills or [None] * len(recs)
    n, p = recs[0].value.shape
    area = content_region(scene)
    finite = recs[-1].value[np.isfinite(recs[-1].value)]
    probe = NumericMatrix(finite[:1].reshape(1, 1) if finite.size else [[0.0]], theme)
    pitch = probe.cell_height
    panel_h = panel_rows * pitch + 0.2 + bars + 0.1
    lab_w = MathTex(r"e^{s} / \Sigma", font_size=27).width
    sigma_w = max(MathTex(r"\Sigma =", font_size=27).width + 0.9, MathTex(r"e^{-\infty} = 0", font_size=27).width) + 0.6
    name_h = 0.45

    w = _cell_width(scene, recs, widest_by_ink)

    def build(rows, cols, full=False):
        """The labelled first matrix (all have its geometry); the others too when full."""
        ms = [NumericMatrix(r.value, theme, rows=rows, cols=cols, cell_width=w,
                            row_labels=r.rows if idx == 0 else None, col_labels=r.cols if idx == 0 else None,
                            fill_color=fills[idx])
              for idx, r in enumerate(recs if full else recs[:1])]
        extra_left = max(0.0, lab_w + 0.3 - (ms[0].get_grid().get_left()[0] - ms[0].get_left()[0]))
        width = ms[0].width + extra_left + sigma_w
        height = ms[0].height + panel_h + 0.35 + name_h
        return ms, extra_left, min(1.0, area.width / width, area.height / height)

    def rows_for(limit):
        rows = shown_indices(n, limit)
        if keep_row is None or keep_row in rows:
            return rows
        return list(range(keep_row + 1)) + ([None] if keep_row < n - 2 else []) + [n - 1]

    row_limits = list(range(min(n, 12), min(n, 4) - 1, -1))
    candidates = list(col_candidates or []) + [shown_indices(p, limit)
                                                for limit in range(min(p, 12), min(p, 4) - 1, -1)]
    for cols in candidates:              # as many columns as fit (the width does not depend on the rows)
        ms, extra_left, f = build(shown_indices(n, 1)[:1], cols)
        if (ms[0].width + extra_left + sigma_w) * min_scale <= area.width:
            break
    for limit in row_limits:             # then as many rows as fit
        rows = rows_for(limit)
        ms, extra_left, f = build(rows, cols)
        if f >= min_scale:
            break
    ms, extra_left, f = build(rows, cols, full=True)
    if f < 1.0:
        for m in ms:
            m.scale(f, about_point=ms[0].get_center())
        extra_left *= f
    first = ms[0]
    for m in ms[1:]:
        m.shift(first.body[0].get_center() - m.body[0].get_center())
        m.brackets.set_stroke(opacity=0)
    group = VGroup(*ms)
    total_w = group.width + extra_left + sigma_w * f
    x_center = area.left + (area.width - total_w) / 2 + extra_left + group.width / 2
    top = area.top - name_h - top_gap
    group.move_to([x_center, top - group.height / 2, 0])
    if panel_rows and recs[0].rows:
        _clear_the_tags(group, [recs[0].rows[i] for i in first.shown_row_indices()], f, area, theme)
    name = MathTex(name_tex, font_size=34, color=name_color or theme.text)
    name.move_to([0, first.get_top()[1] + name_gap + name.height / 2, 0]).align_to(first, LEFT)
    panel = Region(area.left, area.right, area.bottom, first.get_bottom()[1] - 0.2)
    return AttentionGrid(ms, name, panel, first.get_left()[0])


def scale_in_place(scene, grid: AttentionGrid, old: NumericMatrix, formula: str, head_no: int,
                   run_time: float, formula_y: float | None = None, layered: bool = False) -> VMobject:
    """Inside the scaled-scores step: the scores of the scores step become the grid's first matrix, and the
    scaled scores replace them cell by cell under the formula; the grid's later matrices wait hidden.
    formula_y: the formula's centre height (default: its top 0.2 under the work panel's top).
    layered=True (chapter 4's drawing): every matrix of the grid is on the scene from here on, the later ones
    hidden over the first (their elision dots drawn over each other); else the first leaves when it has
    given way, and the later ones come when their turn comes.
    Returns the formula (in the work panel)."""
    S, scaled = grid.mats[0], grid.mats[1]
    clear_stage(scene, old, run_time=0.5, detach=True)
    scene.play(ReplacementTransform(old, S), fade_in(grid.name), run_time=1.0)
    for mat in grid.mats[1:]:
        mat.hide_entries()
    scene.add(*(grid.mats[1:] if layered else [scaled]), grid.name)
    f = formula_in(scene, formula, grid.panel, 36, below=grid.panel.top - 0.2 if formula_y is None else None)
    if formula_y is not None:
        f.move_to([grid.panel.center[0], formula_y, 0])
    scene.play(Write(f), run_time=0.8)
    scene.play(LaggedStart(*(AnimationGroup(*[hide(S.get_cell(i, j)) for j in S.shown_col_indices()],
                                            *[reveal(scaled, i, j) for j in scaled.shown_col_indices()])
                             for i in S.shown_row_indices()), lag_ratio=0.2),
               rename(scene, grid, rf"S_{head_no} / \sqrt{{d_k}}"), run_time=run_time)
    if not layered:
        retire(scene, grid, S, scaled)
    return f


def retire(scene, grid: AttentionGrid, mat: NumericMatrix, *active) -> None:
    """A grid matrix whose cells have all given way leaves the scene (hidden cells still cost render time);
    the first matrix's brackets and labels stay. The active matrices (and the name) move behind it in the
    drawing order, so animating them re-draws only what follows them."""
    scene.remove(mat)
    first = grid.mats[0]
    if mat is first:
        scene.add(first.brackets, first.row_label_group, first.col_label_group)
    scene.add(*active, grid.name)


def rename(scene, grid: AttentionGrid, tex: str, color: str | None = None) -> Transform:
    new = MathTex(tex, font_size=34, color=color or scene.theme.text)
    new.move_to(grid.name).align_to([grid.name_x, 0, 0], LEFT)
    return Transform(grid.name, new)


def formula_in(scene, tex: str, region: Region, font_size: float = 34, color: str | None = None,
               below: float | None = None) -> MathTex:
    """A formula fitted into region, centred (or its top at `below`)."""
    f = MathTex(tex, font_size=font_size, color=color or scene.theme.text)
    scene.fit(f, width=region.width - 0.2, height=max(region.height - 0.1, 0.3))
    f.move_to(region.center)
    if below is not None:
        f.move_to([region.center[0], below - f.height / 2, 0])
    return f


def scores_layout(scene, head: str, head_no: int) -> ProductLayout:
    """S = Q·Kᵀ of a head (head: its record prefix, head_no: its number) laid out as a product."""
    rec = scene.record(f"{head}.scores")
    q, k = scene.value(f"{head}.q"), scene.value(f"{head}.k")
    return layout_product(scene, q, k.T, rec.value, names=(f"Q_{head_no}", rf"K_{head_no}^\top", f"S_{head_no}"),
                          colors=(scene.theme.query, scene.theme.key, None), left_row_labels=rec.rows,
                          right_col_labels=rec.cols, result_col_labels=rec.cols, kinds=("scheme", "row"))


def scores_step(scene, head: str, head_no: int, note, *, too_small: str = "shrink", detailed: int = 1,
                speed: float = 1.4, moment: str | None = None) -> ProductLayout:
    """The scores step of a head: Q·Kᵀ laid out, its first `detailed` entries worked (moment: the still of
    the first one's work), the rest filled fast, then a note in the work panel. note: wrapped_note parts, or
    a function of the work panel that returns the note (or None). too_small: place_formula's. Returns the
    layout (its result: the scores)."""
    rec = scene.record(f"{head}.scores")
    lay = scores_layout(scene, head, head_no)
    S = lay.result.hide_entries()
    with scene.step(f"{head}.scores"):
        clear_stage(scene, run_time=0.5, detach=True)
        f = MathTex(rec.formula, font_size=34, color=scene.theme.text)
        in_panel = place_formula(scene, f, lay, too_small=too_small)
        scene.play(fade_in(lay.left), fade_in(lay.right), fade_in(S), fade_in(lay.name_group), fade_in(lay.ops),
                   fade_in(f), run_time=0.8)
        if in_panel:
            scene.play(fade_out(f), run_time=0.3)
        show_matrix_product(scene, lay.left, lay.right, S, detailed=detailed, rows=1, rest=True, panel=lay.panel,
                            speed=speed, moment=moment)
        note = note(lay.panel) if callable(note) else wrapped_note(scene, note, lay.panel)
        if note is not None:
            scene.play(fade_in(note), run_time=0.6)
    return lay


class ProjectionSteps:
    """Q, K and V one after another: the input on the left stays when it is the same for the next
    projection, the weight slice and the result are replaced. too_small: place_formula's, for the record's
    formula. lay, formula: a projection already on screen (one the chapter played itself), which the next
    one replaces."""

    def __init__(self, scene, layer: str, head: int, *, too_small: str = "shrink",
                 lay: ProductLayout | None = None, formula: VMobject | None = None):
        self.scene, self.layer, self.head, self.too_small = scene, layer, head, too_small
        self.lay = lay
        self.formula = formula

    def layout(self, which: str, wname: str, color: str, input_values, input_name: str, labels):
        scene = self.scene
        rec = scene.record(f"{self.layer}.head{self.head}.{which}")
        W = scene.example.head_weight(f"{self.layer}.{wname}", self.head)
        return layout_product(scene, input_values, W, rec.value,
                              names=(input_name, f"{wname}^{{({self.head})}}", f"{which.upper()}_{self.head}"),
                              colors=(None, color, color), left_row_labels=labels, kinds=("scheme", "row"))

    def play(self, which: str, wname: str, color: str, input_values, input_name: str, labels, *,
             same_input: bool, **speed):
        """One projection step (its section is opened by the caller); speed: show_matrix_product's options.
        Returns the layout."""
        scene = self.scene
        rec = scene.record(f"{self.layer}.head{self.head}.{which}")
        lay = self.layout(which, wname, color, input_values, input_name, labels)
        f = MathTex(rec.formula, font_size=34, color=color)
        in_panel = place_formula(scene, f, lay, too_small=self.too_small)
        lay.result.hide_entries()
        old = self.lay
        if old is None:
            scene.play(fade_in(lay.left), fade_in(lay.right), fade_in(lay.result), fade_in(lay.name_group),
                       fade_in(lay.ops), fade_in(f), run_time=0.8)
        else:
            gone = [old.right, old.result, old.ops, self.formula]
            if same_input:
                gone += [old.names["right"], old.names["result"]]
                keep = [ReplacementTransform(old.left, lay.left),
                        ReplacementTransform(old.names["left"], lay.names["left"])]
                new = [lay.names["right"], lay.names["result"]]
            else:
                gone += [old.left, old.name_group]
                keep = [fade_in(lay.left)]
                new = [lay.name_group]
            scene.add(*gone, old.left, old.name_group)     # last in the drawing order: only they re-draw
            scene.play(*(fade_out(m) for m in gone), *keep, run_time=0.7)
            scene.play(fade_in(lay.right), fade_in(lay.result), *(fade_in(m) for m in new), fade_in(lay.ops),
                       fade_in(f), run_time=0.6)
        # the work of the detailed entries (a row, a column, their products) is drawn in the panel, fast
        # ones too: a formula there makes way while it is shown (not when no entry is detailed)
        in_the_way = in_panel and speed.get("detailed", 2) > 0
        if in_the_way:
            scene.play(fade_out(f), run_time=0.3)
        show_matrix_product(scene, lay.left, lay.right, lay.result, panel=lay.panel, **speed)
        if in_the_way:
            scene.play(fade_in(f), run_time=0.3)
        self.lay, self.formula = lay, f
        return lay


def mix_layout(scene, head: str, head_no: int, row: int) -> ProductLayout:
    """head_k = A_k·V_k of a head (head: its record prefix), with room left of V for the weights of `row`
    (weights_beside_values) and no work panel."""
    theme = scene.theme
    rec = scene.record(f"{head}.out")
    A_vals, V_vals = scene.value(f"{head}.weights"), scene.value(f"{head}.v")
    widest = max(flat_text(format_number(x, scene.cfg.decimals), theme.mono, 20, "#fff").width for x in A_vals[row])
    return layout_product(scene, A_vals, V_vals, rec.value,
                          names=(f"A_{head_no}", f"V_{head_no}", rf"\mathrm{{head}}_{head_no}"),
                          colors=(theme.weights, theme.value, None), left_row_labels=rec.rows,
                          right_row_labels=scene.record(f"{head}.v").rows, fills=(theme.weights, None, None),
                          extra_gap=widest + 0.65, kinds=("scheme", "row"), panel_rows=0)


def weights_beside_values(scene, A: NumericMatrix, V: NumericMatrix, row: int, weights):
    """For the mix of A's row `row`: beside each shown value row of V, a copy of the weight that scales it
    and a ×; and an outline round each value row as strong as its weight relative to the row's largest
    (display only). weights: the record's weights. Returns (the weight-and-× items, the weights they copy
    in A, the outlines)."""
    theme = scene.theme
    fs = effective_font_size(A)
    top_weight = max(float(weights[row].max()), 1e-9)
    col, srcs, glows = VGroup(), VGroup(), VGroup()
    left_edge = (V.row_label_group if V.row_labels else V.get_grid()).get_left()[0] - 0.22
    first_col = V.shown_col_indices()[0]
    for j in A.shown_col_indices():
        if not V.has_cell(j, first_col):
            continue
        value_row = V.get_row(j)
        num = A.get_cell(row, j).text.copy().set_color(theme.weights)
        times = flat_text("×", theme.font, fs, theme.dim)
        item = VGroup(num, times).arrange(RIGHT, buff=0.08)
        item.move_to([0, value_row.get_y(), 0]).align_to([left_edge, 0, 0], RIGHT)
        col.add(item)
        srcs.add(A.get_cell(row, j).text)
        strength = float(weights[row, j]) / top_weight
        glow = Rectangle(width=value_row.width + 0.12, height=value_row.height + 0.06)
        glow.set_stroke(theme.weights, width=1 + 4 * strength, opacity=0.15 + 0.85 * strength)
        glows.add(glow.move_to(value_row))
    return col, srcs, glows
