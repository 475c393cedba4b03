"""A + B = C, cell by cell: the matrix-sum layout and choreography of the positional encoding (chapter 3)
and the residual additions (chapters 6, 7 and 10), with the cell size they share."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, AnimationGroup, Create, FadeIn, FadeOut, LaggedStart, MathTex, Mobject,
                   ReplacementTransform, Succession, TransformFromCopy, VGroup)

from .matrix import NumericMatrix, format_number
from .text import fit_label, flat_text, label_max_width, label_width


def drop(scene, *mobs):
    """Take mobjects off screen for good, even when animating a part of one (a row) split it into top-level
    pieces: gather each back into one mobject first, then remove it."""
    for m in mobs:
        scene.add(m)
        scene.remove(m)


def cell_size(values, theme, font_size: float, decimals: int) -> tuple[float, float]:
    """The cell width and height NumericMatrix would choose for the widest of these numbers, shown with
    decimals."""
    probe = flat_text("0", theme.mono, font_size, theme.text)
    widest = max(flat_text(format_number(float(v), decimals), theme.mono, font_size, theme.text).width
                 for v in (np.min(values), np.max(values), -abs(np.max(np.abs(values)))))
    return widest + 0.16, probe.height * 2.1


def columns_that_fit(d: int, width: float, cell_w: float) -> list[int | None] | None:
    """The most columns (the first ones, ⋯, the last) whose cells fit in width; None if not even 3 fit."""
    slots = int((width - 0.2) // cell_w)
    if slots >= d:
        return list(range(d))
    if slots < 3:
        return None
    return list(range(slots - 2)) + [None, d - 1]


@dataclass
class MatrixSum:
    """A + B = C laid out for the content area. layout "grid": A + B on top, C below them, the worked cell
    beside C. layout "focus" (many rows or wide rows): C on the left and, beside it, one row's sum written
    out number by number (A and B are then shown one row at a time, in the panel)."""
    a: NumericMatrix | None
    b: NumericMatrix | None
    c: NumericMatrix
    names: VGroup           # the names above a, b (grid only) and c
    ops: VGroup             # the "+" between a and b (grid only)
    a_vals: np.ndarray
    b_vals: np.ndarray
    tex: tuple[str, str, str]
    layout: str
    font_size: float
    side: tuple[float, float, float, float]   # left, right, bottom, top of the room beside C

    @property
    def side_center(self) -> np.ndarray:
        l, r, b, t = self.side
        return np.array([(l + r) / 2, (b + t) / 2, 0.0])

    def place_beside(self, mob):
        """Put mob in the room beside C, level with C's middle when it fits there."""
        l, r, b, t = self.side
        y = min(max(self.c.get_y(), b + mob.height / 2), t - mob.height / 2)
        return mob.move_to([(l + r) / 2, y, 0])

    @property
    def side_width(self) -> float:
        return self.side[1] - self.side[0]


def build_matrix_sum(scene, a_vals, b_vals, c_vals, names: tuple[str, str, str], row_labels,
                     *, decimals: int = 2, top: float | None = None) -> MatrixSum:
    """Lay out A + B = C at the largest readable size. With few rows and all columns fitting, the three
    matrices (A + B over C); otherwise C with every row and column, and one row's sum written out beside."""
    theme = scene.theme
    a_vals, b_vals, c_vals = (np.asarray(v, dtype=float) for v in (a_vals, b_vals, c_vals))
    n, d = c_vals.shape
    top = scene.content_top if top is None else top
    W, H = scene.content_width, top - scene.content_bottom
    x0 = -W / 2
    allv = np.concatenate([a_vals.ravel(), b_vals.ravel(), c_vals.ravel()])
    name_h, op_w = 0.55, 0.75
    texs = [MathTex(t, font_size=32, color=theme.text) for t in names]
    sizes = (theme.size_label, theme.size_min)
    layout, fs, w = None, theme.size_min, None
    for f in sizes:
        cw, h = cell_size(allv, theme, f, decimals)
        label_w = max(label_width(str(t), theme.font, f, label_max_width(f)) for t in row_labels) + 0.3
        if (columns_that_fit(d, (W - label_w - op_w) / 2, cw) == list(range(d))
                and 2 * (n * h + name_h) + 0.2 <= H):
            layout, fs, w = "grid", f, cw
            break
    if layout is None:
        for f in sizes:
            cw, h = cell_size(allv, theme, f, decimals)
            label_w = max(label_width(str(t), theme.font, f, label_max_width(f)) for t in row_labels) + 0.3
            if label_w + d * cw + 0.3 + panel_width(theme, texs, f) + 0.4 <= W and n * h + name_h <= H:
                layout, fs, w = "focus", f, cw
                break
    if layout is None:
        layout, fs = "focus", theme.size_min
        w, _ = cell_size(allv, theme, theme.size_min, decimals)
    mk = dict(theme=theme, decimals=decimals, font_size=fs, max_rows=12, cell_width=w)
    C = NumericMatrix(c_vals, row_labels=row_labels, **mk).hide_entries()
    if layout == "grid":
        A = NumericMatrix(a_vals, row_labels=row_labels, **mk)
        B = NumericMatrix(b_vals, **mk)
        plus = MathTex("+", font_size=44, color=theme.text)
        texs[2] = MathTex(f"{names[2]} = {names[0]} + {names[1]}", font_size=32, color=theme.text)
        pair = VGroup(A, plus, B).arrange(RIGHT, buff=0.3)
        pair.move_to([0, top - name_h - pair.height / 2, 0])
        C.next_to(A, DOWN, buff=name_h + 0.2, aligned_edge=RIGHT)
        for t, m in zip(texs, (A, B, C)):
            t.move_to([m.get_grid().get_x(), m.get_top()[1] + name_h / 2, 0])
        texs[2].align_to(C.get_grid(), LEFT)
        everything = VGroup(pair, C, *texs)     # centred in the room when the rows are few
        everything.shift(UP * ((top + scene.content_bottom) / 2 - everything.get_y()))
        side = (C.get_right()[0] + 0.3, W / 2, scene.content_bottom, B.get_bottom()[1] - 0.15)
        return MatrixSum(A, B, C, VGroup(*texs), VGroup(plus), a_vals, b_vals, names, layout, fs, side)
    texs = [None, None, MathTex(f"{names[2]} = {names[0]} + {names[1]}", font_size=32, color=theme.text)]
    C.move_to([x0 + C.width / 2, (top - name_h - 0.05 + scene.content_bottom) / 2, 0])
    texs[2].next_to(C.get_grid(), UP, buff=0.15).align_to(C.get_grid(), LEFT)
    if texs[2].get_left()[0] < x0:
        texs[2].align_to(C, LEFT)
    side = (C.get_right()[0] + 0.4, W / 2, scene.content_bottom, top)
    return MatrixSum(None, None, C, VGroup(texs[2]), VGroup(), a_vals, b_vals, names, layout, fs, side)


def panel_width(theme, texs, font_size: float) -> float:
    """About how wide the written-out row sum is (index, a + b = c) with these names as headings."""
    num = flat_text(format_number(-9.99, 2), theme.mono, font_size, theme.text).width
    cols = [max(num, t.width * 0.75) for t in texs]
    return 0.35 + sum(cols) + 2 * 0.55


class SumPanel:
    """One row of A + B = C written out beside C, one column per line:  k   a + b = c.

    The headings are built once; each row's title and lines are built on demand at the same place, so
    rows can be swapped in turn. Every number is a record number (A, B and C values of that row)."""

    def __init__(self, scene, ms: MatrixSum, position_word: str = "row", decimals: int = 2):
        theme = scene.theme
        self.scene, self.ms, self.theme = scene, ms, theme
        self.position_word, self.decimals = position_word, decimals
        self.d = ms.c.values.shape[1]
        side_h = ms.side[3] - ms.side[2]
        heads = [MathTex(t, font_size=24, color=theme.text) for t in ms.tex]
        for fs in (24, 22, 20, ms.font_size):   # as large as the room beside C allows
            self.fs = fs
            num_w = flat_text(format_number(-9.99, decimals), theme.mono, fs, theme.text).width
            col_w = [max(num_w, hd.width) for hd in heads]
            k_w, op_w = flat_text("0", theme.mono, fs, theme.text).width + 0.3, 0.55
            pitch = flat_text("0", theme.mono, fs, theme.text).height * 2.1
            if k_w + sum(col_w) + 2 * op_w <= ms.side_width - 0.2 and (self.d + 3) * pitch <= side_h:
                break
        self.num_w, self.k_w, self.pitch = num_w, k_w, pitch
        self.xs = [k_w + col_w[0] / 2, k_w + col_w[0] + op_w + col_w[1] / 2,
                   k_w + col_w[0] + op_w + col_w[1] + op_w + col_w[2] / 2]
        # each operator midway between the numbers it joins (numbers are right-aligned in their columns)
        ends = [(x - num_w / 2, x + num_w / 2) for x in self.xs]
        self.ops_x = [(ends[0][1] + ends[1][0]) / 2, (ends[1][1] + ends[2][0]) / 2]
        for c, hd in enumerate(heads):
            hd.move_to([self.xs[c], pitch * 0.9 + hd.height / 2, 0])
        self.heads = VGroup(*heads)
        self.head_h = max(h.height for h in heads)
        # where everything goes: fit the headings, a full set of lines and a title into the room beside C
        # a token in the title gets the room the lines take (a label's cap at most): a long word is cut
        suffix = flat_text(f"· {self.position_word} {ms.c.values.shape[0] - 1}", theme.font, 22, theme.dim).width
        self.title_room = min(label_max_width(24), VGroup(self.heads, self._lines(0)).width - suffix - 0.12)
        sample = VGroup(self.heads.copy(), self._lines(0), self._title(0, "0"))
        self.k = min(1.0, (ms.side_width - 0.05) / sample.width)
        sample.scale(self.k, about_point=np.zeros(3))
        self.shift = ms.side_center - sample.get_center()
        self._place(self.heads)

    def _place(self, mob):
        return mob.scale(self.k, about_point=np.zeros(3)).shift(self.shift)

    def _lines(self, i: int) -> VGroup:
        theme, fs, ms = self.theme, self.fs, self.ms
        lines = VGroup()
        for j in range(self.d):
            y = -j * self.pitch
            vals = (ms.a_vals[i, j], ms.b_vals[i, j], ms.c.values[i, j])
            nums = [flat_text(format_number(float(v), self.decimals), theme.mono, fs,
                              theme.highlight if c == 2 else theme.text) for c, v in enumerate(vals)]
            for c, t in enumerate(nums):   # right-aligned in its column, like the matrix cells' decimals
                t.move_to([self.xs[c] + self.num_w / 2 - t.width / 2, y, 0])
            ops = [flat_text(o, theme.mono, fs, theme.dim).move_to([x, y, 0]) for o, x in zip("+=", self.ops_x)]
            k = flat_text(str(j), theme.mono, fs, theme.dim).move_to([(self.k_w - 0.3) / 2, y, 0])
            lines.add(VGroup(k, nums[0], ops[0], nums[1], ops[1], nums[2]))
        return lines

    def _title(self, i: int, token: str) -> VGroup:
        title = VGroup(fit_label(token, self.theme.font, 24, self.theme.highlight, max(self.title_room, 0.3)),
                       flat_text(f"· {self.position_word} {i}", self.theme.font, 22, self.theme.dim))
        title.arrange(RIGHT, buff=0.12)
        top = self.pitch * 0.9 + self.head_h + 0.2
        return title.move_to([title.width / 2, top + title.height / 2, 0])

    def lines(self, i: int) -> VGroup:
        """Row i's d lines; line j is (k, a, +, b, =, c)."""
        return self._place(self._lines(i))

    def title(self, i: int, token: str) -> VGroup:
        return self._place(self._title(i, token))


def operand(v: float, decimals: int) -> str:
    """A record number as the right-hand operand of + or ×: negative ones in parentheses."""
    s = format_number(float(v), decimals)
    return f"({s})" if s.startswith("\u2212") else s


def sum_callout(theme, a: float, b: float, c: float, decimals: int, font_size: float = 26) -> VGroup:
    """The worked cell, numbers from the record: a + b = c."""
    parts = [flat_text(format_number(a, decimals), theme.mono, font_size, theme.text),
             flat_text("+", theme.mono, font_size, theme.dim),
             flat_text(operand(b, decimals), theme.mono, font_size, theme.text),
             flat_text("=", theme.mono, font_size, theme.dim),
             flat_text(format_number(c, decimals), theme.mono, font_size, theme.highlight)]
    return VGroup(*parts).arrange(RIGHT, buff=0.18)


def sum_note(scene, ms: MatrixSum, n: int, d: int) -> VGroup:
    """n × d + n × d = n × d: an addition, not a concatenation; placed beside C."""
    theme = scene.theme
    shapes = scene.t(f"{n} × {d}  +  {n} × {d}  =  {n} × {d}", 24, theme.text)
    words = VGroup(scene.t("an addition, number by number,", 22, theme.dim),
                   scene.t("not a concatenation", 22, theme.dim)).arrange(DOWN, buff=0.1)
    note = VGroup(shapes, words).arrange(DOWN, buff=0.2)
    scene.fit(note, width=ms.side_width - 0.1)
    return ms.place_beside(note)


def play_matrix_sum(scene, ms: MatrixSum, focus_row: int, *, a_from: Mobject | None = None,
                    b_from: Mobject | None = None, slow_cells: int = 2, row_time: float = 0.3,
                    decimals: int = 2, tokens=None, position_word: str = "row",
                    moment: str | None = None) -> VGroup:
    """C fills cell by cell. Grid: A and B appear (from a_from / b_from when given), a few cells of the focus
    row are worked one by one beside C, then the rest. Focus: the focus row is written out number by number
    beside C and carried in, then every other row the same way, quickly. Returns what is left beside C."""
    tokens = tokens or [str(i) for i in range(ms.c.values.shape[0])]
    if ms.layout == "grid":
        show_sum_operands(scene, ms, a_from, b_from)
        callout = work_cells(scene, ms, focus_row, slow_cells, decimals, moment)
        fill_other_rows(scene, ms.c, focus_row, row_time)
        return callout
    maker = SumPanel(scene, ms, position_word, decimals)
    title, lines = write_out_row(scene, ms, maker, focus_row, tokens[focus_row], slow_cells, moment,
                                 fading=[m for m in (a_from, b_from) if m is not None])
    title, lines = write_out_other_rows(scene, ms, maker, focus_row, tokens, title, lines, row_time)
    return VGroup(maker.heads, title, lines)


def show_sum_operands(scene, ms: MatrixSum, a_from: Mobject | None, b_from: Mobject | None):
    """Grid layout: A and B appear (from a_from / b_from when given), then C's brackets and labels."""
    A, B, C = ms.a, ms.b, ms.c
    intro = [ReplacementTransform(a_from, A) if a_from is not None else FadeIn(A),
             ReplacementTransform(b_from, B) if b_from is not None else FadeIn(B)]
    scene.play(*intro, FadeIn(ms.ops), FadeIn(ms.names[:2]), run_time=1.0)
    scene.play(Create(C.brackets), FadeIn(C.row_label_group), FadeIn(ms.names[2]), run_time=0.6)


def work_cells(scene, ms: MatrixSum, row: int, slow_cells: int, decimals: int, moment: str | None) -> VGroup:
    """Grid layout: the first slow_cells cells of row worked one by one with a callout beside C, then the
    rest of the row at once. Returns the last callout."""
    theme, A, B, C = scene.theme, ms.a, ms.b, ms.c
    cols = C.shown_col_indices()
    callout = None
    for n_done, j in enumerate(cols[:slow_cells]):
        marks = VGroup(*(m.cell_box(row, j, theme.highlight) for m in (A, B, C)))
        new = sum_callout(theme, A.values[row, j], B.values[row, j], C.values[row, j], decimals)
        scene.fit(new, width=ms.side_width - 0.1)
        ms.place_beside(new)
        anims = [Create(marks)] + ([FadeOut(callout)] if callout is not None else []) + [FadeIn(new)]
        scene.play(*anims, run_time=0.8 if n_done == 0 else 0.5)
        C.show_entry(row, j)
        scene.play(TransformFromCopy(VGroup(A.get_cell(row, j), B.get_cell(row, j)), C.get_cell(row, j)),
                   run_time=0.9 if n_done == 0 else 0.6)
        scene.wait(0.4)
        if moment and n_done == 0:
            scene.key_moment(moment)
        scene.play(FadeOut(marks), run_time=0.25)
        callout = new
    rest = cols[slow_cells:]
    if rest:
        for j in rest:
            C.show_entry(row, j)
        scene.play(TransformFromCopy(VGroup(*(A.get_cell(row, j) for j in rest),
                                            *(B.get_cell(row, j) for j in rest)),
                                     VGroup(*(C.get_cell(row, j) for j in rest))), run_time=0.8)
    return callout if callout is not None else VGroup()


def fill_other_rows(scene, C: NumericMatrix, row: int, row_time: float):
    """Every row but row fills in, one after another (one play: far fewer animation set-ups)."""
    cols = C.shown_col_indices()
    others = [i for i in C.shown_row_indices() if i != row]
    for i in others:
        for j in cols:
            C.show_entry(i, j)
    if others:
        scene.play(LaggedStart(*(FadeIn(C.get_row(i), shift=DOWN * 0.1) for i in others), lag_ratio=0.6),
                   run_time=row_time * (len(others) * 0.6 + 0.4))
    scene.add(C)   # its cells were filled one by one: one mobject again


def write_out_row(scene, ms: MatrixSum, maker: "SumPanel", row: int, token: str, slow_cells: int,
                  moment: str | None, fading) -> tuple[VGroup, VGroup]:
    """Focus layout: C's frame appears (fading the given mobjects), row's sum is written out beside C
    number by number and carried into C. Returns the row's title and lines, left on screen."""
    C = ms.c
    cols = C.shown_col_indices()
    scene.play(*(FadeOut(m) for m in fading), Create(C.brackets), FadeIn(C.row_label_group), FadeIn(ms.names),
               run_time=0.8)
    title, lines = maker.title(row, token), maker.lines(row)
    box = C.row_box(row, scene.theme.highlight)
    scene.play(FadeIn(title), FadeIn(maker.heads), Create(box), run_time=0.7)
    for j in range(min(slow_cells, len(lines))):
        k, a, p, b, e, c = lines[j]
        scene.play(FadeIn(VGroup(k, a, p, b)), run_time=0.6)
        scene.play(FadeIn(VGroup(e, c)), run_time=0.5)
        if j in cols:
            C.show_entry(row, j)
            scene.play(TransformFromCopy(c, C.get_cell(row, j)), run_time=0.7)
            scene.wait(0.3)
    rest_lines = lines[slow_cells:]
    rest_cols = [j for j in cols if j >= slow_cells]
    if len(rest_lines):
        scene.play(FadeIn(rest_lines, lag_ratio=0.1), run_time=0.9)
    if rest_cols:
        for j in rest_cols:
            C.show_entry(row, j)
        scene.play(TransformFromCopy(VGroup(*(lines[j][5] for j in rest_cols)),
                                     VGroup(*(C.get_cell(row, j) for j in rest_cols))), run_time=0.8)
    scene.wait(0.5)
    if moment:
        scene.key_moment(moment)
    scene.play(FadeOut(box), run_time=0.3)
    return title, lines


def write_out_other_rows(scene, ms: MatrixSum, maker: "SumPanel", row: int, tokens, title: VGroup,
                         lines: VGroup, row_time: float) -> tuple[VGroup, VGroup]:
    """Focus layout: every other row the same way, quickly: its sum written out beside C in place of the
    previous one, its numbers carried in (one play). Returns the last title and lines."""
    C = ms.c
    cols = C.shown_col_indices()
    turns = []
    for i in C.shown_row_indices():
        if i == row:
            continue
        new_title, new_lines = maker.title(i, tokens[i]), maker.lines(i)
        for j in cols:
            C.show_entry(i, j)
        turns.append(AnimationGroup(FadeOut(title), FadeOut(lines), FadeIn(new_title), FadeIn(new_lines),
                                    FadeIn(C.get_row(i), shift=LEFT * 0.2)))
        title, lines = new_title, new_lines
    if turns:
        scene.play(Succession(*turns), run_time=row_time * len(turns))
    scene.add(C)
    return title, lines
