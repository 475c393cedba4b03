"""NumericMatrix: a matrix of real numbers from the record, cells coloured by sign and magnitude.

In Manim's own idiom (like manim.Matrix): data and style in the constructor, accessors such as
get_cell(i, j), get_row(i), get_column(j), and methods that return self so calls chain. Rows or columns
beyond what fits are elided with ⋮ / ⋯ : the first ones, an ellipsis, the last one. Indices passed to the
accessors are always the data's own indices.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
from manim import (DOWN, LEFT, RIGHT, PI, Rectangle, SurroundingRectangle, Text, VGroup, VMobject)

from ..theme import Theme, readable_fill_opacity
from mathcore.display import MINUS, format_number  # noqa: F401  (re-exported: the components draw numbers with it)
from mathcore.elide import elide, shown_indices, shown_subset  # noqa: F401  (shown_* re-exported)
from .text import fit_label, flat_text, label_max_width
from .tokens import bottom_above_baseline, word_text


def first_readable(layouts, width: float, height: float, min_scale: float):
    """The first of the candidate layouts (callables that build a Mobject, the least elided first) that
    fits width x height scaled by no less than min_scale (the theme's size_min over the font size it is
    built at, so nothing shrinks below the theme's minimum); the last one when none does."""
    mob = None
    for build in layouts:
        mob = build()
        if min(width / max(mob.width, 1e-9), height / max(mob.height, 1e-9)) >= min_scale - 1e-9:
            return mob
    return mob


class Cell(VGroup):
    """One entry: a filled box and its number."""

    def __init__(self, value: float, text: VMobject, box: Rectangle, **kwargs):
        super().__init__(box, text, **kwargs)
        self.value = value
        self.box = box
        self.text = text
        self.fill_opacity = box.get_fill_opacity()  # as constructed, so it can be restored


BOX_WIDTH = 0.94    # a cell's box, as a fraction of the column pitch (a thin gap between neighbours)
BOX_HEIGHT = 0.9    # and of the row pitch


class NumericMatrix(VGroup):
    """Geometry (stays right after .scale()): cell_pitch_x / cell_pitch_y (distance between the centres of
    neighbouring columns / rows), box_width / box_height (a cell's filled box). cell_width / cell_height
    are the pitches as constructed (before any scaling)."""

    def __init__(self, values, theme: Theme, *, decimals: int = 2,
                 row_labels: Sequence[str] | None = None, col_labels: Sequence[str] | None = None,
                 max_rows: int = 8, max_cols: int = 8, font_size: float = 20,
                 cell_width: float | None = None, cell_height: float | None = None,
                 fill_color: str | None = None, color_cells: bool = True, column_vector: bool = False,
                 label_color: str | None = None, label_font_size: float | None = None,
                 bracket_color: str | None = None, max_label_width: float | None = None,
                 rows: Sequence[int | None] | None = None, cols: Sequence[int | None] | None = None, **kwargs):
        """rows / cols: explicit indices to show (None marks an ellipsis), overriding max_rows / max_cols.
        max_label_width: a row or column label wider than this is cut with an ellipsis (default:
        label_max_width of the label font size, the same cap everywhere; the full label stays in the label's
        full_text), so a long word never pushes the matrix, and its numbers, out of the room."""
        super().__init__(**kwargs)
        values = np.asarray(values, dtype=float)
        if values.ndim == 0:
            values = values.reshape(1, 1)
        elif values.ndim == 1:
            values = values[:, None] if column_vector else values[None, :]
        self.values = values
        self.theme = theme
        self.decimals = decimals
        n_rows, n_cols = values.shape
        self.shown_rows = list(rows) if rows is not None else elide(n_rows, max_rows)
        self.shown_cols = list(cols) if cols is not None else elide(n_cols, max_cols)
        texts = self._numbers(font_size, cell_width, cell_height)
        self._body(texts, font_size, fill_color, color_cells)._brackets(bracket_color or theme.dim)
        lfs = label_font_size or font_size
        cap = label_max_width(lfs) if max_label_width is None else max_label_width
        self._labels(row_labels, col_labels, label_color or theme.dim, lfs, cap)

    # ------------------------------------------------------------ sub-builders
    def _numbers(self, font_size: float, cell_width: float | None, cell_height: float | None) -> dict:
        """The shown numbers (first, so the cell size fits the widest one); sets cell_width, cell_height."""
        theme, values = self.theme, self.values
        texts: dict[tuple[int, int], Text] = {}
        for i in self.shown_rows:
            for j in self.shown_cols:
                if i is None or j is None:
                    continue
                v = float(values[i, j])
                color = theme.mask if math.isinf(v) else theme.text
                texts[i, j] = flat_text(format_number(v, self.decimals), theme.mono, font_size, color)
        probe = flat_text("0", theme.mono, font_size, theme.text)
        widest = max((t.width for t in texts.values()), default=probe.width)
        self.cell_width = cell_width or widest + 0.45 * probe.height + 0.12
        self.cell_height = cell_height or probe.height * 2.1
        return texts

    def _box(self, v: float, max_abs: float, fill_color: str | None, color_cells: bool) -> Rectangle:
        """A cell's box, filled by sign and magnitude (masked cells in the mask colour)."""
        theme = self.theme
        box = Rectangle(width=self.cell_width * BOX_WIDTH, height=self.cell_height * BOX_HEIGHT, stroke_width=0)
        if math.isinf(v):
            box.set_fill(theme.mask, opacity=readable_fill_opacity(theme, theme.mask, theme.mask, 0.35))
        elif color_cells:
            base = fill_color or (theme.positive if v >= 0 else theme.negative)
            # the strongest cells are as strong as the number on them stays readable (4.5:1)
            top = readable_fill_opacity(theme, str(base), theme.text, theme.cell_opacity)
            box.set_fill(base, opacity=top * min(abs(v) / max_abs, 1.0))
        else:
            box.set_fill(theme.panel, opacity=0.0)
        return box

    def _body(self, texts: dict, font_size: float, fill_color: str | None, color_cells: bool) -> "NumericMatrix":
        """The grid of cells and ellipses (body); sets cells and ellipses."""
        theme, w, h = self.theme, self.cell_width, self.cell_height
        finite = self.values[np.isfinite(self.values)]
        max_abs = float(np.max(np.abs(finite))) if finite.size else 1.0
        max_abs = max_abs or 1.0
        self.cells: dict[tuple[int, int], Cell] = {}
        self.ellipses = VGroup()
        body = VGroup()
        for r, i in enumerate(self.shown_rows):
            for c, j in enumerate(self.shown_cols):
                center = RIGHT * (c * w) + DOWN * (r * h)
                if i is None or j is None:
                    glyph = "⋱" if (i is None and j is None) else ("⋮" if i is None else "⋯")
                    dots = flat_text(glyph, theme.font, font_size, theme.dim).move_to(center)
                    self.ellipses.add(dots)
                    body.add(dots)
                    continue
                v = float(self.values[i, j])
                box = self._box(v, max_abs, fill_color, color_cells).move_to(center)
                cell = Cell(v, texts[i, j].move_to(center), box)
                self.cells[i, j] = cell
                body.add(cell)
        self.body = body
        self.add(body)
        return self

    def _brackets(self, color: str) -> "NumericMatrix":
        """Brackets: thin lines, cheap to draw (no TeX)."""
        body = self.body
        top, bottom = body.get_top()[1] + 0.06, body.get_bottom()[1] - 0.06
        left, right = body.get_left()[0] - 0.08, body.get_right()[0] + 0.08
        tick = min(0.14, 0.35 * self.cell_width)
        self.brackets = VGroup(
            VMobject(stroke_color=color, stroke_width=2).set_points_as_corners(
                [[left + tick, top, 0], [left, top, 0], [left, bottom, 0], [left + tick, bottom, 0]]),
            VMobject(stroke_color=color, stroke_width=2).set_points_as_corners(
                [[right - tick, top, 0], [right, top, 0], [right, bottom, 0], [right - tick, bottom, 0]]),
        )
        self.add(self.brackets)
        return self

    def _labels(self, row_labels, col_labels, color: str, font_size: float, cap: float) -> "NumericMatrix":
        """Row labels right-aligned against the left bracket, column labels above (rotated when one is wider
        than its column)."""
        theme, body, w, h = self.theme, self.body, self.cell_width, self.cell_height
        top = body.get_top()[1] + 0.06
        self.row_labels: dict[int, VMobject] = {}
        self.col_labels: dict[int, VMobject] = {}
        if row_labels is not None:
            for r, i in enumerate(self.shown_rows):
                if i is None:
                    continue
                t, offset = word_text(str(row_labels[i]), theme.font, font_size, color, max_width=cap)
                t.next_to(self.brackets[0], LEFT, buff=0.15)   # its line centred on the row: one baseline
                t.set_y(body[0].get_y() - r * h + offset)
                self.row_labels[i] = t
        if col_labels is not None:
            raw = {j: fit_label(str(col_labels[j]), theme.font, font_size, color, cap)
                   for j in self.shown_cols if j is not None}
            rotate = any(t.width > w * 0.88 for t in raw.values())   # keep a gap between neighbours
            for c, j in enumerate(self.shown_cols):
                if j is None:
                    continue
                t = raw[j]
                x = body[0].get_x() + c * w
                if rotate:
                    t.rotate(PI / 2)
                    t.move_to([x, 0, 0]).align_to([0, top + 0.1, 0], DOWN)
                else:   # on one baseline: a word with a descender ("you") reaches below the others
                    lift = bottom_above_baseline(t.drawn_text, theme.font, font_size)
                    t.move_to([x, top + 0.1 + lift + t.height / 2, 0])
                self.col_labels[j] = t
        if self.row_labels:
            edge = self.brackets[0].get_left()[0] - 0.15
            for t in self.row_labels.values():
                t.set_x(edge - t.width / 2)
        self.row_label_group = VGroup(*self.row_labels.values())
        self.col_label_group = VGroup(*self.col_labels.values())
        self.add(self.row_label_group, self.col_label_group)
        return self

    # ------------------------------------------------------------ geometry after any scaling
    def _first_box(self) -> Rectangle:
        return next(iter(self.cells.values())).box

    @property
    def box_width(self) -> float:
        """Width of a cell's filled box, as drawn now."""
        return self._first_box().width

    @property
    def box_height(self) -> float:
        return self._first_box().height

    @property
    def cell_pitch_x(self) -> float:
        """Distance between the centres of neighbouring columns, as drawn now."""
        return self.box_width / BOX_WIDTH

    @property
    def cell_pitch_y(self) -> float:
        """Distance between the centres of neighbouring rows, as drawn now."""
        return self.box_height / BOX_HEIGHT

    # ------------------------------------------------------------ accessors (data indices)
    def has_cell(self, i: int, j: int) -> bool:
        return (i, j) in self.cells

    def get_cell(self, i: int, j: int) -> Cell:
        try:
            return self.cells[i, j]
        except KeyError:
            raise IndexError(f"cell ({i}, {j}) is elided or out of range") from None

    def get_row(self, i: int) -> VGroup:
        return VGroup(*(self.cells[i, j] for j in self.shown_cols if (i, j) in self.cells))

    def get_column(self, j: int) -> VGroup:
        return VGroup(*(self.cells[i, j] for i in self.shown_rows if (i, j) in self.cells))

    def get_entries(self) -> VGroup:
        return VGroup(*(c.text for c in self.cells.values()))

    def get_boxes(self) -> VGroup:
        return VGroup(*(c.box for c in self.cells.values()))

    def shown_row_indices(self) -> list[int]:
        return [i for i in self.shown_rows if i is not None]

    def shown_col_indices(self) -> list[int]:
        return [j for j in self.shown_cols if j is not None]

    def get_grid(self) -> VGroup:
        """Cells, ellipses and brackets: the matrix without its labels."""
        return VGroup(self.body, self.brackets)

    # ------------------------------------------------------------ styling (returns self)
    def hide_entries(self) -> "NumericMatrix":
        """Numbers and fills invisible, brackets kept: a result matrix waiting to be filled."""
        for c in self.cells.values():
            c.text.set_opacity(0)
            c.box.set_fill(opacity=0)
        return self

    def set_cell_color(self, i: int, j: int, color: str) -> "NumericMatrix":
        self.get_cell(i, j).text.set_color(color)
        return self

    def set_row_color(self, i: int, color: str) -> "NumericMatrix":
        for c in self.get_row(i):
            c.text.set_color(color)
        return self

    def set_column_color(self, j: int, color: str) -> "NumericMatrix":
        for c in self.get_column(j):
            c.text.set_color(color)
        return self

    # ------------------------------------------------------------ highlight shapes (new mobjects to animate)
    def row_box(self, i: int, color: str, buff: float = 0.04) -> SurroundingRectangle:
        return SurroundingRectangle(self.get_row(i), color=color, buff=buff, stroke_width=3)

    def column_box(self, j: int, color: str, buff: float = 0.04) -> SurroundingRectangle:
        return SurroundingRectangle(self.get_column(j), color=color, buff=buff, stroke_width=3)

    def cell_box(self, i: int, j: int, color: str, buff: float = 0.02) -> SurroundingRectangle:
        return SurroundingRectangle(self.get_cell(i, j), color=color, buff=buff, stroke_width=3)

    def show_entry(self, i: int, j: int) -> "NumericMatrix":
        """Undo hide_entries for one cell: its number and its fill as constructed."""
        cell = self.get_cell(i, j)
        cell.text.set_opacity(1)
        cell.box.set_fill(opacity=cell.fill_opacity)
        return self
