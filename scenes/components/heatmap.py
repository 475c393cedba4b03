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
from .text import fit_label, flat_text, label_max_width
from .tokens import word_text


class WeightsHeatmap(VGroup):
    def __init__(self, values, theme: Theme, *, cell_size: float = 0.3, color: str | None = None,
                 row_labels: Sequence[str] | None = None, col_labels: Sequence[str] | None = None,
                 label_font_size: float = 18, max_opacity: float = 0.95, max_label_width: float | None = None,
                 **kwargs):
        """max_label_width: labels wider than this are cut with an ellipsis (default: label_max_width of the
        label font size as given, so the cap does not depend on the cell size)."""
        super().__init__(**kwargs)
        values = np.asarray(values, dtype=float)
        self.values = values
        self.theme = theme
        self.cell_size = cell_size
        self.max_opacity = max_opacity
        color = color or theme.weights
        n_rows, n_cols = values.shape
        self.squares: dict[tuple[int, int], Square] = {}
        grid = VGroup()
        for i in range(n_rows):
            for j in range(n_cols):
                v = float(values[i, j])
                sq = Square(side_length=cell_size, stroke_color=theme.dim, stroke_width=0.6, stroke_opacity=0.35)
                op = 0.0 if (math.isinf(v) or v <= 0) else min(v, 1.0) * max_opacity
                sq.set_fill(color, opacity=op)
                sq.move_to(RIGHT * j * cell_size + DOWN * i * cell_size)
                self.squares[i, j] = sq
                grid.add(sq)
        self.grid = grid
        self.add(grid)
        self.row_labels: dict[int, VMobject] = {}
        self.col_labels: dict[int, VMobject] = {}
        # labels no taller than a row (so neighbours never touch), however small the cells
        cap = label_max_width(label_font_size) if max_label_width is None else max_label_width
        tallest = flat_text("Ayg", theme.font, label_font_size, theme.dim).height
        if tallest > 0.8 * cell_size:
            cap *= 0.8 * cell_size / tallest
            label_font_size *= 0.8 * cell_size / tallest
        if row_labels is not None:
            for i in range(n_rows):   # on a common baseline through each row's middle, like a line of text
                t, offset = word_text(str(row_labels[i]), theme.font, label_font_size, theme.dim, max_width=cap)
                t.next_to(self.squares[i, 0], LEFT, buff=0.12).shift(UP * offset)
                self.row_labels[i] = t
        if col_labels is not None:
            raw = {j: fit_label(str(col_labels[j]), theme.font, label_font_size, theme.dim, cap) for j in range(n_cols)}
            rotate = any(t.width > cell_size * 0.88 for t in raw.values())
            for j, t in raw.items():
                if rotate:
                    t.rotate(PI / 2)
                t.next_to(self.squares[0, j], UP, buff=0.1)
                if rotate:
                    t.align_to(self.squares[0, j].get_top() + UP * 0.1, DOWN)
                self.col_labels[j] = t
        self.row_label_group = VGroup(*self.row_labels.values())
        self.col_label_group = VGroup(*self.col_labels.values())
        self.add(self.row_label_group, self.col_label_group)

    def get_square(self, i: int, j: int) -> Square:
        return self.squares[i, j]

    def opacity_of(self, i: int, j: int) -> float:
        return self.squares[i, j].get_fill_opacity()
