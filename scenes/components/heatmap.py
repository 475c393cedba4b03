"""WeightsHeatmap: an attention pattern as a grid of squares, each as opaque as its recorded weight.

For when a weights matrix is too big to show its numbers (many heads side by side, long sentences): the
colour carries the value, on an absolute scale (weight 1 is fully opaque), so heads and rows compare at a
glance. Masked (−∞) or zero weights are empty squares. Labels are user text, drawn with flat_text.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
from manim import DOWN, LEFT, PI, RIGHT, UP, Square, VGroup, VMobject

from ..theme import Theme
from mathcore.elide import elide
from .text import fit_label, flat_text, label_max_width
from .tokens import bottom_above_baseline, word_text


class WeightsHeatmap(VGroup):
    """squares[i, j] (data indices); rows / cols: explicit indices to show (None: a ⋮ / ⋯ slot), or
    max_rows / max_cols to elide with elide() (default: every row and column)."""

    def __init__(self, values, theme: Theme, *, cell_size: float = 0.3, color: str | None = None,
                 row_labels: Sequence[str] | None = None, col_labels: Sequence[str] | None = None,
                 label_font_size: float = 18, max_opacity: float = 0.95, max_label_width: float | None = None,
                 rows: Sequence[int | None] | None = None, cols: Sequence[int | None] | None = None,
                 max_rows: int | None = None, max_cols: int | None = None, **kwargs):
        """max_label_width: labels wider than this are cut with an ellipsis (default: label_max_width of the
        label font size as given, so the cap does not depend on the cell size)."""
        super().__init__(**kwargs)
        values = np.asarray(values, dtype=float)
        self.values = values
        self.theme = theme
        self.cell_size = cell_size
        self.max_opacity = max_opacity
        n_rows, n_cols = values.shape
        self.shown_rows = list(rows) if rows is not None else elide(n_rows, max_rows or n_rows)
        self.shown_cols = list(cols) if cols is not None else elide(n_cols, max_cols or n_cols)
        self._grid(color or theme.weights)
        self.row_labels: dict[int, VMobject] = {}
        self.col_labels: dict[int, VMobject] = {}
        # labels no taller than a row (so neighbours never touch), however small the cells
        cap = label_max_width(label_font_size) if max_label_width is None else max_label_width
        tallest = flat_text("Ayg", theme.font, label_font_size, theme.dim).height
        if tallest > 0.8 * cell_size:
            cap *= 0.8 * cell_size / tallest
            label_font_size *= 0.8 * cell_size / tallest
        self._labels(row_labels, col_labels, label_font_size, cap)

    def _grid(self, color: str) -> "WeightsHeatmap":
        """A square per shown cell, as opaque as its weight; ⋮ / ⋯ in the gaps (ellipses)."""
        theme, cell_size = self.theme, self.cell_size
        self.squares: dict[tuple[int, int], Square] = {}
        self.ellipses = VGroup()
        grid = VGroup()
        for r, i in enumerate(self.shown_rows):
            for c, j in enumerate(self.shown_cols):
                center = RIGHT * c * cell_size + DOWN * r * cell_size
                if i is None or j is None:
                    glyph = "⋱" if (i is None and j is None) else ("⋮" if i is None else "⋯")
                    dots = flat_text(glyph, theme.font, 18, theme.dim)
                    self.ellipses.add(dots.scale_to_fit_height(min(dots.height, cell_size * 0.6)).move_to(center))
                    continue
                v = float(self.values[i, j])
                sq = Square(side_length=cell_size, stroke_color=theme.dim, stroke_width=0.6, stroke_opacity=0.35)
                op = 0.0 if (math.isinf(v) or v <= 0) else min(v, 1.0) * self.max_opacity
                sq.set_fill(color, opacity=op)
                sq.move_to(center)
                self.squares[i, j] = sq
                grid.add(sq)
        self.grid = grid
        self.add(grid)
        if len(self.ellipses):
            self.add(self.ellipses)
        return self

    def _labels(self, row_labels, col_labels, font_size: float, cap: float) -> "WeightsHeatmap":
        """Row labels left of the first shown column, on a common baseline through each row's middle (like a
        line of text); column labels above the first shown row, rotated when one is wider than a cell."""
        theme, cell_size = self.theme, self.cell_size
        rows = [i for i in self.shown_rows if i is not None]
        cols = [j for j in self.shown_cols if j is not None]
        if row_labels is not None:
            for i in rows:
                t, offset = word_text(str(row_labels[i]), theme.font, font_size, theme.dim, max_width=cap)
                t.next_to(self.squares[i, cols[0]], LEFT, buff=0.12).shift(UP * offset)
                self.row_labels[i] = t
        if col_labels is not None:
            raw = {j: fit_label(str(col_labels[j]), theme.font, font_size, theme.dim, cap) for j in cols}
            rotate = any(t.width > cell_size * 0.88 for t in raw.values())
            for j, t in raw.items():
                if rotate:
                    t.rotate(PI / 2)
                t.next_to(self.squares[rows[0], j], UP, buff=0.1)
                if rotate:
                    t.align_to(self.squares[rows[0], j].get_top() + UP * 0.1, DOWN)
                else:   # on one baseline: a word with a descender ("you") reaches below the others
                    t.shift(UP * bottom_above_baseline(t.drawn_text, theme.font, font_size))
                self.col_labels[j] = t
        self.row_label_group = VGroup(*self.row_labels.values())
        self.col_label_group = VGroup(*self.col_labels.values())
        self.add(self.row_label_group, self.col_label_group)
        return self

    def get_square(self, i: int, j: int) -> Square:
        return self.squares[i, j]

    def opacity_of(self, i: int, j: int) -> float:
        return self.squares[i, j].get_fill_opacity()
