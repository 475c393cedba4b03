"""Chapter 3: Positional encoding. Attention alone is blind to order; sine and cosine waves of different
frequencies give every position its own pattern; the values read off the waves fill PE; X = E·√d + PE is an
addition, number by number.

Also home of the matrix-sum choreography (A + B = C, cell by cell) that chapters 6 and 7 reuse for the
residual additions.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, AnimationGroup, Create, FadeIn, FadeOut, LaggedStart, Line, MathTex, Mobject,
                   ReplacementTransform, Succession, SurroundingRectangle, TransformFromCopy, VGroup)

from mathcore.layers import frequencies
from scenes.base import ChapterScene
from scenes.components import NumericMatrix, flat_text, format_number
from scenes.components.text import fit_label, label_max_width, label_width
from scenes.components.tokens import _balanced_lines, word_text
from scenes.components.waves import PositionalWaveGrid


# ---------------------------------------------------------------------------------------------------------
# Small helpers shared by chapters 3, 6 and 7.

class SceneHelpers:
    def words(self, s: str, font_size: float = 26, color: str | None = None):
        """Script text (notes, labels) as flat text: built from Text, shaped once, cheap to animate."""
        return flat_text(s, self.theme.font, font_size, color or self.theme.text)

    def drop(self, *mobs):
        """Take mobjects off screen for good, even when animating a part of one (a row) split it into
        top-level pieces: gather each back into one mobject first, then remove it."""
        for m in mobs:
            self.add(m)
            self.remove(m)


# ---------------------------------------------------------------------------------------------------------
# A + B = C, cell by cell (shared with chapters 6 and 7)

MIN_FONT, PREFERRED_FONT = 18, 20


def cell_size(values, theme, font_size: float) -> tuple[float, float]:
    """The cell width and height NumericMatrix would choose for the widest of these numbers."""
    probe = flat_text("0", theme.mono, font_size, theme.text)
    widest = max(flat_text(format_number(float(v), 2), theme.mono, font_size, theme.text).width
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


def build_matrix_sum(scene: ChapterScene, a_vals, b_vals, c_vals, names: tuple[str, str, str], row_labels,
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
    layout, fs, w = None, MIN_FONT, None
    for f in (PREFERRED_FONT, MIN_FONT):
        cw, h = cell_size(allv, theme, f)
        label_w = max(label_width(str(t), theme.font, f, label_max_width(f)) for t in row_labels) + 0.3
        if (columns_that_fit(d, (W - label_w - op_w) / 2, cw) == list(range(d))
                and 2 * (n * h + name_h) + 0.2 <= H):
            layout, fs, w = "grid", f, cw
            break
    if layout is None:
        for f in (PREFERRED_FONT, MIN_FONT):
            cw, h = cell_size(allv, theme, f)
            label_w = max(label_width(str(t), theme.font, f, label_max_width(f)) for t in row_labels) + 0.3
            if label_w + d * cw + 0.3 + panel_width(theme, texs, f) + 0.4 <= W and n * h + name_h <= H:
                layout, fs, w = "focus", f, cw
                break
    if layout is None:
        layout, fs = "focus", MIN_FONT
        w, _ = cell_size(allv, theme, MIN_FONT)
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

    def __init__(self, scene: ChapterScene, ms: MatrixSum, position_word: str = "row", decimals: int = 2):
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


def sum_note(scene: ChapterScene, ms: MatrixSum, n: int, d: int) -> VGroup:
    """n × d + n × d = n × d: an addition, not a concatenation; placed beside C."""
    theme = scene.theme
    shapes = scene.words(f"{n} × {d}  +  {n} × {d}  =  {n} × {d}", font_size=24, color=theme.text)
    words = VGroup(scene.words("an addition, number by number,", font_size=22, color=theme.dim),
                   scene.words("not a concatenation", font_size=22, color=theme.dim)).arrange(DOWN, buff=0.1)
    note = VGroup(shapes, words).arrange(DOWN, buff=0.2)
    scene.fit(note, width=ms.side_width - 0.1)
    return ms.place_beside(note)


def play_matrix_sum(scene: ChapterScene, ms: MatrixSum, focus_row: int, *, a_from: Mobject | None = None,
                    b_from: Mobject | None = None, slow_cells: int = 2, row_time: float = 0.3,
                    decimals: int = 2, tokens=None, position_word: str = "row",
                    moment: str | None = None) -> VGroup:
    """C fills cell by cell. Grid: A and B appear (from a_from / b_from when given), a few cells of the focus
    row are worked one by one beside C, then the rest. Focus: the focus row is written out number by number
    beside C and carried in, then every other row the same way, quickly. Returns what is left beside C."""
    theme = scene.theme
    C = ms.c
    cols = C.shown_col_indices()
    tokens = tokens or [str(i) for i in range(C.values.shape[0])]
    if ms.layout == "grid":
        A, B = ms.a, ms.b
        intro = [ReplacementTransform(a_from, A) if a_from is not None else FadeIn(A),
                 ReplacementTransform(b_from, B) if b_from is not None else FadeIn(B)]
        scene.play(*intro, FadeIn(ms.ops), FadeIn(ms.names[:2]), run_time=1.0)
        scene.play(Create(C.brackets), FadeIn(C.row_label_group), FadeIn(ms.names[2]), run_time=0.6)
        callout = None
        for n_done, j in enumerate(cols[:slow_cells]):
            marks = VGroup(A.cell_box(focus_row, j, theme.highlight), B.cell_box(focus_row, j, theme.highlight),
                           C.cell_box(focus_row, j, theme.highlight))
            new = sum_callout(theme, A.values[focus_row, j], B.values[focus_row, j], C.values[focus_row, j],
                              decimals)
            scene.fit(new, width=ms.side_width - 0.1)
            ms.place_beside(new)
            anims = [Create(marks)] + ([FadeOut(callout)] if callout is not None else []) + [FadeIn(new)]
            scene.play(*anims, run_time=0.8 if n_done == 0 else 0.5)
            C.show_entry(focus_row, j)
            scene.play(TransformFromCopy(VGroup(A.get_cell(focus_row, j), B.get_cell(focus_row, j)),
                                         C.get_cell(focus_row, j)), run_time=0.9 if n_done == 0 else 0.6)
            scene.wait(0.4)
            if moment and n_done == 0:
                scene.key_moment(moment)
            scene.play(FadeOut(marks), run_time=0.25)
            callout = new
        rest = cols[slow_cells:]
        if rest:
            for j in rest:
                C.show_entry(focus_row, j)
            scene.play(TransformFromCopy(VGroup(*(A.get_cell(focus_row, j) for j in rest),
                                                *(B.get_cell(focus_row, j) for j in rest)),
                                         VGroup(*(C.get_cell(focus_row, j) for j in rest))), run_time=0.8)
        others = [i for i in C.shown_row_indices() if i != focus_row]
        for i in others:
            for j in cols:
                C.show_entry(i, j)
        if others:   # one play, rows in turn: the same rhythm, far fewer animation set-ups
            scene.play(LaggedStart(*(FadeIn(C.get_row(i), shift=DOWN * 0.1) for i in others), lag_ratio=0.6),
                       run_time=row_time * (len(others) * 0.6 + 0.4))
        scene.add(C)   # its cells were filled one by one: one mobject again
        return callout if callout is not None else VGroup()

    # focus layout: C on the left, one row's sum written out beside it
    fades = [FadeOut(m) for m in (a_from, b_from) if m is not None]
    scene.play(*fades, Create(C.brackets), FadeIn(C.row_label_group), FadeIn(ms.names), run_time=0.8)
    maker = SumPanel(scene, ms, position_word, decimals)
    title, lines = maker.title(focus_row, tokens[focus_row]), maker.lines(focus_row)
    box = C.row_box(focus_row, theme.highlight)
    scene.play(FadeIn(title), FadeIn(maker.heads), Create(box), run_time=0.7)
    for j in range(min(slow_cells, len(lines))):
        k, a, p, b, e, c = lines[j]
        scene.play(FadeIn(VGroup(k, a, p, b)), run_time=0.6)
        scene.play(FadeIn(VGroup(e, c)), run_time=0.5)
        if j in cols:
            C.show_entry(focus_row, j)
            scene.play(TransformFromCopy(c, C.get_cell(focus_row, j)), run_time=0.7)
            scene.wait(0.3)
    rest_lines = lines[slow_cells:]
    rest_cols = [j for j in cols if j >= slow_cells]
    if len(rest_lines):
        scene.play(FadeIn(rest_lines, lag_ratio=0.1), run_time=0.9)
    if rest_cols:
        for j in rest_cols:
            C.show_entry(focus_row, j)
        scene.play(TransformFromCopy(VGroup(*(lines[j][5] for j in rest_cols)),
                                     VGroup(*(C.get_cell(focus_row, j) for j in rest_cols))), run_time=0.8)
    scene.wait(0.5)
    if moment:
        scene.key_moment(moment)
    scene.play(FadeOut(box), run_time=0.3)
    # every other row the same way, quickly: its sum written out beside, its numbers carried in (one play)
    turns = []
    for i in C.shown_row_indices():
        if i == focus_row:
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
    return VGroup(maker.heads, title, lines)


def sentence_words(scene: ChapterScene, tokens, font_size: float = 28, max_word_width: float | None = None,
                   max_width: float | None = None, line_gap: float = 0.55) -> VGroup:
    """The tokens as text on a common baseline, in reading order (right to left when the sentence is written
    in a right-to-left script); item p is the glyphs of token p. Each word is drawn on its own (make_text
    keeps Arabic and Hebrew letters in order); a word wider than max_word_width is cut with an ellipsis
    (the full word stays in its full_text). With max_width, the words break into as few balanced lines as
    keep each line within max_width (line_gap apart, room for a note under each line); .lines says which
    tokens are on which line."""
    font = scene.theme.font
    gap = 2 * (flat_text("x x", font, font_size, "#fff").width - flat_text("xx", font, font_size, "#fff").width)
    mobs = [word_text(t, font, font_size, scene.theme.text, max_width=max_word_width) for t in tokens]
    widths = [m.width for m, _ in mobs]
    lines = [list(range(len(tokens)))]
    if max_width is not None and len(tokens) > 1:
        for k in range(1, len(tokens) + 1):
            lines = _balanced_lines(widths, k, gap)
            if max(sum(widths[i] for i in ln) + gap * (len(ln) - 1) for ln in lines) <= max_width:
                break
    first_strong = next((unicodedata.bidirectional(c) for c in "".join(tokens)
                         if unicodedata.bidirectional(c) in ("L", "R", "AL")), "L")
    pitch = flat_text("Xg", font, font_size, "#fff").height + line_gap
    out = VGroup()
    for li, ln in enumerate(lines):
        x = 0.0
        for i in ln:
            mob, offset = mobs[i]
            mob.move_to([x + mob.width / 2, offset - li * pitch, 0])
            x += mob.width + gap
        half = (x - gap) / 2     # each line centred; mirrored for a right-to-left sentence
        for i in ln:
            mob = mobs[i][0]
            mob.set_x(half - mob.get_x() if first_strong != "L" else mob.get_x() - half)
    out.add(*(m for m, _ in mobs))
    out.lines = lines
    return out


# ---------------------------------------------------------------------------------------------------------

class PositionalScene(SceneHelpers, ChapterScene):
    def construct(self):
        self.title_card("Where is each word?")
        self.tokens = list(self.example.tokens["source"])
        self.shown_matrices: dict[str, list[tuple[NumericMatrix, list[int] | None]]] = {}
        self.blind_to_order()
        self.waves_per_column()
        self.read_off_the_waves()
        self.add_to_the_embeddings()

    def register(self, step_id: str, m: NumericMatrix, rows: list[int] | None = None) -> NumericMatrix:
        """Keep each matrix drawn for a step; rows maps its rows to the record's (tests compare numbers)."""
        self.shown_matrices.setdefault(step_id, []).append((m, rows))
        return m

    @property
    def repeated(self) -> tuple[str, list[int]] | None:
        """The first word that occurs more than once, with its positions."""
        for p, t in enumerate(self.tokens):
            where = [q for q, u in enumerate(self.tokens) if u == t]
            if len(where) > 1:
                return t, where
        return None

    @property
    def focus(self) -> int:
        """The position read off in detail: the repeated word's first place, else position 1 (or 0)."""
        rep = self.repeated
        return rep[1][0] if rep else min(1, len(self.tokens) - 1)

    # ------------------------------------------------------------ steps
    def blind_to_order(self):
        n = len(self.tokens)
        rep = self.repeated
        if rep:
            word, where = rep
            places = ", ".join(map(str, where[:-1])) + f" and {where[-1]}"
            narration = (f"Attention on its own is blind to word order: it sees the rows as a bag of words. "
                         f"'{word}' appears at positions {places}, and its rows are identical, so nothing yet "
                         f"tells them apart.")
        elif n > 1:
            narration = (f"Attention on its own is blind to word order: it sees the rows as a bag of words. "
                         f"Swap '{self.tokens[0]}' and '{self.tokens[-1]}' and their rows simply swap places; "
                         f"nothing in the numbers says which word came first.")
        else:
            narration = ("Attention on its own is blind to word order: in a longer sentence it would see only a "
                         "bag of words. So every position, even a lone first one, gets its own pattern added.")
        rec = self.record("source.embedding_scaled")
        with self.step("ch03.order", narration=narration, heading="Attention is blind to order"):
            # one line if it fits at MIN_FONT or more, else balanced lines; only a word wider than that is cut
            room = self.content_width * 28 / MIN_FONT
            words = sentence_words(self, self.tokens, font_size=28, max_width=room, max_word_width=room)
            idx = VGroup(*(flat_text(str(p), self.theme.mono, 20, self.theme.dim) for p in range(n)))
            for ln in words.lines:
                bottom = min(words[p].get_bottom()[1] for p in ln)
                for p in ln:
                    idx[p].move_to([words[p].get_x(), bottom - 0.12 - idx[p].height / 2, 0])
            sentence = VGroup(words, idx)
            self.fit(sentence, width=self.content_width)
            sentence.move_to([0, self.content_top - 0.1 - sentence.height / 2, 0])
            E = self.register("source.embedding_scaled", NumericMatrix(
                rec.value, self.theme, decimals=self.cfg.decimals, row_labels=rec.rows, max_rows=12,
                font_size=PREFERRED_FONT))
            name = MathTex(self.embedding_name(), font_size=34, color=self.theme.text)
            space_top = sentence.get_bottom()[1] - 0.25
            avail_h = space_top - self.content_bottom
            if E.height + name.height + 0.2 > avail_h:     # many tokens: the name goes beside the matrix
                self.fit(E, height=avail_h)
                E.move_to([0, space_top - E.height / 2, 0])
                name.next_to(E, LEFT, buff=0.3)
            else:
                block = VGroup(name, E).arrange(DOWN, buff=0.2)
                block.move_to([0, space_top - 0.2 - block.height / 2, 0])
                # few tokens: centre the sentence and the matrix together, leaving room for a note below
                spare = block.get_bottom()[1] - self.content_bottom - 0.6
                if spare > 0:
                    VGroup(sentence, block).shift(DOWN * spare / 2)
            self.play(FadeIn(words, lag_ratio=0.1), FadeIn(idx), run_time=1.2)
            self.play(FadeIn(E), FadeIn(name), run_time=1.0)
            if rep:
                word, where = rep
                boxes = VGroup(*(E.row_box(p, self.theme.highlight) for p in where if E.has_cell(p, 0)))
                self.play(*(words[p].animate.set_color(self.theme.highlight) for p in where),
                          Create(boxes), run_time=1.0)
                note = self.words("same word → same numbers", font_size=24, color=self.theme.highlight)
                self.place_note(note, E)
                self.play(FadeIn(note), run_time=0.5)
                self.order_marks = VGroup(boxes, note)
            elif n > 1:
                first, last = 0, n - 1
                rows = [VGroup(E.get_row(i), E.row_labels[i]) for i in (first, last)]
                w0, w1 = words[first], words[last]
                for _ in range(2):   # swap, look, swap back
                    dy = rows[1].get_y() - rows[0].get_y()
                    self.play(rows[0].animate.shift(UP * dy), rows[1].animate.shift(DOWN * dy),
                              w0.animate.move_to(w1.get_center()), w1.animate.move_to(w0.get_center()),
                              run_time=1.2)
                    self.wait(0.8)
                self.add(E)   # the swapped rows were animated on their own: make E one mobject again
                self.order_marks = VGroup()
            else:
                self.order_marks = VGroup()
            self.sentence, self.E, self.E_name = sentence, E, name

    def place_note(self, note, matrix):
        """A short note beside the matrix (right if there is room, else below it)."""
        right = self.content_width / 2 - matrix.get_right()[0]
        if right > note.width + 0.4:
            note.next_to(matrix, RIGHT, buff=0.3)
        else:
            self.fit(note, width=self.content_width)
            note.next_to(matrix, DOWN, buff=0.15)
        return note

    def embedding_name(self) -> str:
        return r"E\sqrt{d_{\mathrm{model}}}" if self.cfg.scale_embedding else "E"

    def waves_per_column(self):
        rec = self.record("source.positional")
        n, d = rec.value.shape
        narration = ("The fix: add a pattern that depends only on the position. Each column of the positional "
                     "encoding is a wave over the positions, a sine in the even columns and a cosine in the odd "
                     "ones, each pair slower than the one before. Reading every wave at one position gives that "
                     "position's row.")
        with self.step("ch03.waves", narration=narration, heading="One wave per column"):
            self.clear_stage()
            # the PE matrix on the right (empty for now), the waves on the left in the room that is left
            for fs in (PREFERRED_FONT, MIN_FONT):
                pe = NumericMatrix(rec.value, self.theme, decimals=self.cfg.decimals,
                                   row_labels=[str(p) for p in range(n)], col_labels=[str(k) for k in range(d)],
                                   max_rows=12, font_size=fs, cell_width=cell_size(rec.value, self.theme, fs)[0])
                if self.content_width - pe.width - 0.5 >= 6.5:   # the waves need room too
                    break
            self.register("source.positional", pe)
            pe.hide_entries()
            pairs = VGroup()
            for i in range((d + 1) // 2):
                ks = [k for k in (2 * i, 2 * i + 1) if k < d]
                left, right = pe.col_labels[ks[0]].get_left()[0], pe.col_labels[ks[-1]].get_right()[0]
                mid = (pe.get_cell(0, ks[0]).get_x() + pe.get_cell(0, ks[-1]).get_x()) / 2
                tag = flat_text(f"i={i}", self.theme.font, 18, self.theme.positional)
                bar_w = max(pe.get_cell(0, ks[-1]).get_right()[0] - pe.get_cell(0, ks[0]).get_left()[0] - 0.1, 0.3)
                bar = Line(LEFT * bar_w / 2, RIGHT * bar_w / 2, color=self.theme.positional, stroke_width=2)
                bar.move_to([mid, pe.col_label_group.get_top()[1] + 0.1, 0])
                tag.next_to(bar, UP, buff=0.06)
                pairs.add(VGroup(bar, tag))
            header = VGroup(MathTex("PE", font_size=36, color=self.theme.positional),
                            self.words("row = position, column = k", font_size=18, color=self.theme.dim))
            header.arrange(RIGHT, buff=0.25)
            block = VGroup(header, pairs, pe)
            header.next_to(pairs, UP, buff=0.15)
            self.fit(block, height=self.content_height - 0.1)
            block.move_to([self.content_width / 2 - block.width / 2, (self.content_top + self.content_bottom) / 2, 0])
            header.align_to(pe.get_grid(), LEFT)
            waves_w = min(block.get_left()[0] - (-self.content_width / 2) - 0.45, 8.0)
            waves_h = self.content_height - 0.15
            grid = PositionalWaveGrid(rec.value, frequencies(d), self.theme, width=waves_w, height=waves_h,
                                      decimals=self.cfg.decimals)
            grid.move_to([-self.content_width / 2 + waves_w / 2, (self.content_top + self.content_bottom) / 2, 0])
            self.play(FadeIn(grid.backs), FadeIn(grid.pair_labels), run_time=0.8)
            for i, panel in enumerate(grid.panels):
                self.play(FadeIn(panel.rails), Create(panel.axes), FadeIn(panel.x_label_group),
                          FadeIn(grid.legends[i]), run_time=0.4 if i else 0.7)
                self.play(*(Create(w.curve) for w in panel.waves), run_time=1.4 if i == 0 else 0.7)
            self.play(Create(pe.brackets), FadeIn(pe.row_label_group), FadeIn(pe.col_label_group),
                      FadeIn(pairs), FadeIn(header), run_time=0.8)
            # columns 2i and 2i+1 share one frequency: light up pair 0's two columns and its panel
            if d >= 2:
                mark = VGroup(SurroundingRectangle(VGroup(pe.col_labels[0], pe.col_labels[1], pairs[0]),
                                                   color=self.theme.highlight, buff=0.06),
                              SurroundingRectangle(grid.backs[0], color=self.theme.highlight, buff=0.02))
                self.play(Create(mark), run_time=0.7)
                self.wait(0.8)
                self.play(FadeOut(mark), run_time=0.4)
            self.grid, self.pe, self.pe_header = grid, pe, VGroup(header, pairs)

    def read_off_the_waves(self):
        rec = self.record("source.positional")
        n, d = rec.value.shape
        grid, pe = self.grid, self.pe
        p = self.focus
        with self.step("source.positional"):
            guides, xlabels = grid.guides_at(p), grid.x_labels_at(p)
            row_box = pe.row_box(p, self.theme.highlight)
            self.play(Create(guides), FadeIn(xlabels), Create(row_box), run_time=0.8)
            dots, readings, labels = grid.dots_at(p), grid.readings_at(p), grid.labels_at(p)
            self.play(FadeIn(dots, scale=1.5), run_time=0.6)
            self.play(Create(readings), FadeIn(labels), run_time=0.9)
            self.wait(0.6)
            for j in range(d):
                pe.show_entry(p, j)
            self.play(*(TransformFromCopy(labels[j], pe.get_cell(p, j)) for j in range(d)), run_time=1.4)
            self.wait(0.5)
            self.key_moment("ch03.read-off")
            self.play(FadeOut(readings), FadeOut(labels), FadeOut(guides), FadeOut(xlabels), FadeOut(row_box),
                      run_time=0.5)
            # every other position, quickly: dots on the waves, their values into the rows
            others = [q for q in range(n) if q != p]
            for q in others:
                for j in range(d):
                    pe.show_entry(q, j)
            if others:   # one play: position after position, its dots on the waves and its row in PE
                self.play(LaggedStart(*(AnimationGroup(FadeIn(grid.dots_at(q), scale=1.5),
                                                       FadeIn(pe.get_row(q), shift=RIGHT * 0.15)) for q in others),
                                      lag_ratio=0.7), run_time=0.45 * (0.7 * len(others) + 0.3))
            self.add(pe)   # its cells were filled one by one: one mobject again
            self.wait(0.5)

    def add_to_the_embeddings(self):
        rec = self.record("source.input")
        n, d = rec.value.shape
        E_rec = self.record("source.embedding_scaled")
        with self.step("source.input"):
            self.clear_stage(self.pe)
            ms = build_matrix_sum(self, E_rec.value, self.value("source.positional"), rec.value,
                                  (self.embedding_name(), "PE", "X"), rec.rows, decimals=self.cfg.decimals)
            if ms.a is not None:
                self.register("source.embedding_scaled", ms.a)
                self.register("source.positional", ms.b)
            self.register("source.input", ms.c)
            focus = self.repeated[1][-1] if self.repeated else self.focus
            callout = play_matrix_sum(self, ms, focus, b_from=self.pe, decimals=self.cfg.decimals,
                                      tokens=self.tokens, position_word="position", moment="ch03.one-row")
            self.play(FadeOut(callout), run_time=0.3)
            shape = sum_note(self, ms, n, d)
            self.play(FadeIn(shape), run_time=0.6)
            if self.repeated:
                word, where = self.repeated
                boxes = VGroup(*(ms.c.row_box(q, self.theme.highlight) for q in where))
                same = VGroup(self.words(f"'{word}' at {len(where)} positions:", font_size=22,
                                        color=self.theme.highlight),
                              self.words("now different rows", font_size=22, color=self.theme.highlight))
                same.arrange(DOWN, buff=0.1)
                self.fit(same, width=ms.side_width - 0.1)
                same.next_to(shape, DOWN, buff=0.4)
                self.play(Create(boxes), FadeIn(same), run_time=0.8)
            self.wait(1.0)
            self.sum = ms
