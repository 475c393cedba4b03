"""Positional-encoding waves: one sine or cosine per PE column, read off at every position.

Column k of the positional encoding is a wave over the positions: sin(ω·pos) for even k, cos(ω·pos) for
odd k, with ω = mathcore.layers.frequencies(d_model)[k] radians per position. Columns 2i and 2i+1 share
their frequency, so they share a panel: the sine solid, the cosine dashed, same period, a quarter apart.
The curve is that known function, drawn for the eye; the dots and their value labels sit at the RECORDED
values PE[pos, k] (the numbers that go into the matrix), so a number on screen is a number of the record
and a dot on the curve is where the record says it is.

    grid = PositionalWaveGrid(ex.value("source.positional"), frequencies(d), theme, width=6, height=5)
    grid.get_wave(k).get_dot(pos)         # a Dot at (pos, PE[pos, k]); built on demand, not yet added
    grid.dots_at(pos), grid.labels_at(pos), grid.readings_at(pos), grid.guides_at(pos)
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, Axes, DashedLine, DashedVMobject, Dot, Line, ManimColor, RoundedRectangle,
                   VGroup, VMobject, interpolate_color)

from ..theme import Theme
from .matrix import format_number
from .text import flat_text


def frequency_label(omega: float) -> str:
    """ω as the record's narration writes it: 1 for the fastest pair, 1/21.5 for the slower ones."""
    if abs(omega - 1.0) < 1e-12:
        return "ω = 1"
    inv = f"{1.0 / omega:.1f}"
    return "ω = 1/" + (inv[:-2] if inv.endswith(".0") else inv)


def wave_color(theme: Theme, k: int) -> str:
    """Sines in the positional colour, cosines in a paler tint of it."""
    if k % 2 == 0:
        return theme.positional
    return interpolate_color(ManimColor(theme.positional), ManimColor(theme.text), 0.55).to_hex()


class PositionalWave(VGroup):
    """Column k of PE drawn on the axes of its pair's panel: the curve, and on request a dot, a value label,
    a reading line and a guide at each position. Accessors take positions."""

    def __init__(self, values: Sequence[float], k: int, omega: float, axes: Axes, x_max: float, theme: Theme, *,
                 font_size: float = 18, decimals: int = 2, **kwargs):
        super().__init__(**kwargs)
        self.values = np.asarray(values, dtype=float)     # recorded PE[:, k]
        self.k, self.omega, self.theme = k, float(omega), theme
        self.axes, self.x_max = axes, x_max
        self.font_size, self.decimals = font_size, decimals
        self.is_sine = k % 2 == 0
        self.color = wave_color(theme, k)
        w = self.omega
        self.function = (lambda x: math.sin(w * x)) if self.is_sine else (lambda x: math.cos(w * x))
        curve = axes.plot(self.function, x_range=[0, x_max, min(0.05, x_max / 120)], color=self.color,
                          stroke_width=3)
        if not self.is_sine:
            curve = DashedVMobject(curve, num_dashes=max(12, int(curve.get_arc_length() / 0.12)),
                                   dashed_ratio=0.6)
        self.curve = curve
        self.add(curve)
        self.dots: dict[int, Dot] = {}
        self.labels: dict[int, VMobject] = {}
        self.readings: dict[int, Line] = {}
        self.label_offsets: dict[int, float] = {}

    # ------------------------------------------------------------ geometry
    def point_at(self, pos: int) -> np.ndarray:
        """Where the recorded value PE[pos, k] sits on the axes."""
        return self.axes.c2p(pos, float(self.values[pos]))

    def value_of_point(self, point) -> float:
        """The y coordinate of a point in the wave's units (the inverse of point_at)."""
        return float(self.axes.p2c(point)[1])

    # ------------------------------------------------------------ parts (built once, at the current place)
    def get_dot(self, pos: int) -> Dot:
        if pos not in self.dots:
            self.dots[pos] = Dot(self.point_at(pos), radius=0.055, color=self.color)
        return self.dots[pos]

    def get_label(self, pos: int) -> VMobject:
        """The recorded value at pos as the matrix shows it, read off at the right edge of the axes, at the
        dot's height (nudged by the panel when the pair's two readings would touch)."""
        if pos not in self.labels:
            v = float(self.values[pos])
            t = flat_text(format_number(v, self.decimals), self.theme.mono, self.font_size, self.color)
            t.next_to(self.axes.c2p(self.x_max, v), RIGHT, buff=0.14)
            t.shift(UP * self.label_offsets.get(pos, 0.0))
            self.labels[pos] = t
        return self.labels[pos]

    def get_reading(self, pos: int) -> Line:
        """A dashed horizontal line from the dot at pos to the right edge: the value being read off."""
        if pos not in self.readings:
            v = float(self.values[pos])
            self.readings[pos] = DashedLine(self.point_at(pos), self.axes.c2p(self.x_max, v), dash_length=0.05,
                                            stroke_width=1.5, color=self.color)
        return self.readings[pos]


class PositionalWavePanel(VGroup):
    """Pair i: one set of axes (positions 0 … n−1 across, −1 … 1 up), the sine of column 2i and the cosine
    of column 2i+1 at their shared frequency, and a legend that names the two columns."""

    def __init__(self, pe, i: int, omega: float, theme: Theme, *, width: float, height: float,
                 font_size: float = 18, decimals: int = 2, **kwargs):
        super().__init__(**kwargs)
        n, d = pe.shape
        self.i, self.omega, self.theme, self.font_size = i, float(omega), theme, font_size
        self.x_max = max(n - 1, 1) + 0.4
        line_h = flat_text("0", theme.mono, font_size, theme.text).height
        readout_w = flat_text(format_number(-0.99, decimals), theme.mono, font_size, "#fff").width + 0.22
        axes_w, axes_h = width - readout_w, height - line_h - 0.12
        self.axes = Axes(x_range=[0, self.x_max, 1], y_range=[-1, 1, 1], x_length=axes_w, y_length=axes_h,
                         tips=False, axis_config={"color": theme.positional, "stroke_width": 1.5,
                                                  "stroke_opacity": 0.7, "include_ticks": False},
                         x_axis_config={"include_ticks": True, "tick_size": 0.035})
        self.rails = VGroup(*(DashedLine(self.axes.c2p(0, y), self.axes.c2p(self.x_max, y), dash_length=0.05,
                                         stroke_width=1, color=theme.positional).set_stroke(opacity=0.35)
                            for y in (-1, 1)))
        self.waves = [PositionalWave(pe[:, k], k, omega, self.axes, self.x_max, theme, font_size=font_size,
                                     decimals=decimals) for k in (2 * i, 2 * i + 1) if k < d]
        # the pair's two readings at one position must not overlap: push them apart symmetrically
        if len(self.waves) == 2:
            unit = axes_h / 2
            for pos in range(n):
                a, b = (float(w.values[pos]) * unit for w in self.waves)
                need = line_h + 0.08 - abs(a - b)
                if need > 0:
                    sign = 1.0 if a >= b else -1.0
                    self.waves[0].label_offsets[pos] = sign * need / 2
                    self.waves[1].label_offsets[pos] = -sign * need / 2
        self.x_labels: dict[int, VMobject] = {}
        for pos in ([n - 1] if n > 1 else []):   # the last position; the one being read is lit on demand
            t = flat_text(str(pos), theme.mono, font_size, theme.positional)
            self.x_labels[pos] = t.next_to(self.axes.c2p(pos, -1), DOWN, buff=0.08)
        self.x_label_group = VGroup(*self.x_labels.values())
        self.add(self.rails, self.axes, self.x_label_group, *self.waves)

    def get_x_label(self, pos: int, color: str) -> VMobject:
        label = flat_text(str(pos), self.theme.mono, self.font_size, color)
        return label.next_to(self.axes.c2p(pos, -1), DOWN, buff=0.08)

    def get_guide(self, pos: int) -> Line:
        return DashedLine(self.axes.c2p(pos, -1.08), self.axes.c2p(pos, 1.08), dash_length=0.06, stroke_width=2,
                          color=self.theme.highlight)


class PositionalWaveGrid(VGroup):
    """Every PE column as a wave: one panel per frequency pair i, stacked; on the left of each, the pair,
    its ω and a legend (which line is which column). Built at its final size: dots and labels are placed
    on demand from the axes as they stand, so do not scale the grid after building it."""

    def __init__(self, pe, freqs: Sequence[float], theme: Theme, *, width: float = 6.5, height: float = 5.5,
                 font_size: float = 18, decimals: int = 2, **kwargs):
        super().__init__(**kwargs)
        pe = np.asarray(pe, dtype=float)
        self.pe, self.freqs, self.theme = pe, np.asarray(freqs, dtype=float), theme
        n, d = pe.shape
        n_pairs = (d + 1) // 2
        pad, gap_y = 0.18, 0.14
        row_h = height / n_pairs
        self.panels: list[PositionalWavePanel] = []
        self.waves: dict[int, PositionalWave] = {}
        self.backs, self.pair_labels, self.legends = VGroup(), VGroup(), VGroup()
        # the left column of each row: the pair, its frequency, and which line is which column
        sides = []
        for i in range(n_pairs):
            name = flat_text(f"pair i = {i}", theme.font, font_size, theme.positional)
            freq = flat_text(frequency_label(self.freqs[2 * i]), theme.font, font_size, theme.text)
            legend = VGroup()
            for k in (2 * i, 2 * i + 1):
                if k >= d:
                    continue
                color = wave_color(theme, k)
                sample = (Line(ORIGIN3, RIGHT * 0.3, color=color, stroke_width=3) if k % 2 == 0 else
                          DashedLine(ORIGIN3, RIGHT * 0.3, dash_length=0.06, color=color, stroke_width=3))
                word = flat_text(f"col {k} · {'sin' if k % 2 == 0 else 'cos'}", theme.font, font_size, color)
                legend.add(VGroup(sample, word).arrange(RIGHT, buff=0.1))
            legend.arrange(DOWN, buff=0.08, aligned_edge=LEFT)
            side = VGroup(VGroup(name, freq).arrange(DOWN, buff=0.08, aligned_edge=LEFT), legend)
            side.arrange(DOWN, buff=0.14, aligned_edge=LEFT)
            sides.append(side)
        label_w = max(sd.width for sd in sides) + 2 * pad
        for i in range(n_pairs):
            top = -i * row_h
            back = RoundedRectangle(corner_radius=0.12, width=width, height=row_h - gap_y, stroke_width=1.2,
                                    stroke_color=theme.positional, stroke_opacity=0.35,
                                    fill_color=theme.panel, fill_opacity=0.6)
            back.move_to([width / 2, top - (row_h - gap_y) / 2, 0])
            panel = PositionalWavePanel(pe, i, self.freqs[2 * i], theme, width=width - label_w - pad,
                                        height=row_h - gap_y - 0.24, font_size=font_size, decimals=decimals)
            panel.shift(np.array([label_w, top - 0.12, 0]) - panel.axes.c2p(0, 1.0))
            side = sides[i]
            if side.height > back.height - 0.1:    # many pairs in little height: shrink the side column only
                side.scale((back.height - 0.1) / side.height)
            side.move_to([pad, back.get_y(), 0], aligned_edge=LEFT)
            self.backs.add(back)
            self.pair_labels.add(side[0])
            self.legends.add(side[1])
            self.panels.append(panel)
            for wave in panel.waves:
                self.waves[wave.k] = wave
        self.panel_group = VGroup(*self.panels)
        self.add(self.backs, self.pair_labels, self.legends, self.panel_group)

    # ------------------------------------------------------------ accessors
    def get_wave(self, k: int) -> PositionalWave:
        return self.waves[k]

    def get_panel(self, i: int) -> PositionalWavePanel:
        return self.panels[i]

    def columns(self) -> list[int]:
        return sorted(self.waves)

    def dots_at(self, pos: int) -> VGroup:
        return VGroup(*(self.waves[k].get_dot(pos) for k in self.columns()))

    def labels_at(self, pos: int) -> VGroup:
        return VGroup(*(self.waves[k].get_label(pos) for k in self.columns()))

    def readings_at(self, pos: int) -> VGroup:
        return VGroup(*(self.waves[k].get_reading(pos) for k in self.columns()))

    def guides_at(self, pos: int) -> VGroup:
        return VGroup(*(p.get_guide(pos) for p in self.panels))

    def x_labels_at(self, pos: int) -> VGroup:
        return VGroup(*(p.get_x_label(pos, self.theme.highlight) for p in self.panels))


ORIGIN3 = np.zeros(3)
