"""ProbabilityBars: a bar chart of a distribution from the record (attention weights, output probabilities).

One bar per entry, its length proportional to the recorded value (value / scale_max * length), so bars of
different rows or positions compare at a glance when they share scale_max. Entries beyond max_bars are
elided: in index order like a matrix (the first ones, a ⋯ slot, the last one), in value order as the
largest ones followed by "+k more". The largest value is highlighted. Labels are user text (tokens, words):
drawn with flat_text (built from Text), never LaTeX.

    bars = ProbabilityBars(probs, theme, labels=vocab, max_bars=10, order="value", direction="right")
    scene.add(bars); scene.play(bars.grow())           # bars grow from the baseline
    scene.play(*bars.morph_to(other_bars))             # same slots, another distribution
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, PI, AnimationGroup, Line, Rectangle, Restore, Transform, VGroup,
                   VMobject)

from ..theme import Theme
from mathcore.elide import elide
from .matrix import format_number
from .text import fit_label, flat_text, label_max_width

MIN_LENGTH = 0.004   # a zero bar still has a hairline, so it can grow and morph


class ProbabilityBars(VGroup):
    def __init__(self, values, theme: Theme, *, labels: Sequence[str] | None = None, max_bars: int = 12,
                 indices: Sequence[int | None] | None = None, order: str = "index", direction: str = "up",
                 length: float = 1.5, scale_max: float | None = 1.0, bar_width: float = 0.32,
                 slot: float = 0.55, color: str | None = None, highlight_max: bool = True,
                 show_values: bool = False, decimals: int = 2, font_size: float = 18,
                 label_font_size: float | None = None, baseline: bool = True,
                 max_label_width: float | None = None, **kwargs):
        """values: 1-D (the record's numbers, non-negative). indices: explicit slots to draw (None: a ⋯
        slot), overriding max_bars/order. order: "index" keeps the data order, "value" shows the largest
        first. direction: "up" (slots along x, bars grow upward, labels below) or "right" (slots top to
        bottom, bars grow to the right, labels on the left). scale_max: the value drawn with full length
        (None: the largest value). max_label_width: labels wider than this are cut with an ellipsis (default:
        label_max_width of the label font size)."""
        super().__init__(**kwargs)
        if direction not in ("up", "right"):
            raise ValueError(f"direction must be 'up' or 'right', not {direction!r}")
        if order not in ("index", "value"):
            raise ValueError(f"order must be 'index' or 'value', not {order!r}")
        values = np.asarray(values, dtype=float).reshape(-1)
        n = values.size
        self.values = values
        self.theme = theme
        self.direction = direction
        self.slot = slot
        self.length = length
        finite = values[np.isfinite(values)]
        top = float(np.max(finite)) if finite.size else 1.0
        self.scale_max = scale_max if scale_max is not None else (top if top > 0 else 1.0)
        self.shown = self._choose_shown(indices, max_bars, order)
        self.hidden_count = n - sum(1 for k in self.shown if k is not None)
        self.max_index = int(np.argmax(np.where(np.isfinite(values), values, -np.inf))) if n else None
        self.along = RIGHT if direction == "up" else DOWN      # slot axis
        self.grow_dir = UP if direction == "up" else RIGHT     # bar axis
        lfs = label_font_size or font_size
        cap = label_max_width(lfs) if max_label_width is None else max_label_width
        raw_labels = {k: fit_label(str(labels[k]), theme.font, lfs, theme.dim, cap)
                      for k in self.shown if k is not None} if labels is not None else {}
        self._slots(raw_labels, bar_width, color or theme.weights, highlight_max, font_size)
        if show_values:
            self._value_labels(decimals, font_size, highlight_max)
        self._baseline_and_more(baseline, order == "value" and indices is None, lfs)
        self.add(self.baseline, self.bar_group, self.ellipses, self.label_group, self.value_group, self.more_label)

    # ------------------------------------------------------------ sub-builders
    def _choose_shown(self, indices, max_bars: int, order: str) -> list[int | None]:
        """The slots to draw: explicit indices, all, the largest first ("value"), or elided in order."""
        values, n = self.values, self.values.size
        if indices is not None:
            return list(indices)
        if n <= max_bars:
            return list(range(n))
        if order == "value":
            return [int(k) for k in np.argsort(-values, kind="stable")[:max_bars]]
        return elide(n, max_bars)

    def _slots(self, raw_labels: dict, bar_width: float, base_color: str, highlight_max: bool,
               font_size: float) -> "ProbabilityBars":
        """A bar (and its label) per shown slot, ⋯ for a gap; sets bars, labels, lengths, ellipses."""
        theme, along, grow, slot = self.theme, self.along, self.grow_dir, self.slot
        self.bars: dict[int, Rectangle] = {}
        self.labels: dict[int, VMobject] = {}
        self.value_labels: dict[int, VMobject] = {}
        self.lengths: dict[int, float] = {}
        self.ellipses = VGroup()
        self.bar_group, self.label_group, self.value_group = VGroup(), VGroup(), VGroup()
        rotate = self.direction == "up" and any(t.width > slot * 0.88 for t in raw_labels.values())
        for s, k in enumerate(self.shown):
            center = along * (s * slot)          # the slot's point on the baseline
            if k is None:
                dots = flat_text("⋯" if self.direction == "up" else "⋮", theme.font, font_size, theme.dim)
                dots.move_to(center + grow * 0.2)
                self.ellipses.add(dots)
                continue
            v = float(self.values[k])
            L = max(v, 0.0) / self.scale_max * self.length if math.isfinite(v) else 0.0
            self.lengths[k] = L
            shown_len = max(L, MIN_LENGTH)
            fill = theme.highlight if (highlight_max and k == self.max_index) else base_color
            if self.direction == "up":
                bar = Rectangle(width=bar_width, height=shown_len)
            else:
                bar = Rectangle(width=shown_len, height=bar_width)
            bar.set_fill(fill, opacity=0.9).set_stroke(width=0)
            bar.move_to(center + grow * shown_len / 2)
            self.bars[k] = bar
            self.bar_group.add(bar)
            if k in raw_labels:
                t = raw_labels[k]
                if rotate:
                    t.rotate(PI / 2)
                if self.direction == "up":
                    t.move_to(center).align_to(center + DOWN * 0.1, UP)
                else:
                    t.move_to(center).align_to(center + LEFT * 0.12, RIGHT)
                self.labels[k] = t
                self.label_group.add(t)
        return self

    def _value_labels(self, decimals: int, font_size: float, highlight_max: bool) -> "ProbabilityBars":
        """Each bar's value at its tip."""
        theme = self.theme
        for k, bar in self.bars.items():
            vt = flat_text(format_number(float(self.values[k]), decimals), theme.mono, font_size,
                           theme.highlight if (highlight_max and k == self.max_index) else theme.text)
            vt.next_to(bar, self.grow_dir, buff=0.08)
            self.value_labels[k] = vt
            self.value_group.add(vt)
        return self

    def _baseline_and_more(self, baseline: bool, say_more: bool, font_size: float) -> "ProbabilityBars":
        """The baseline under the slots and, for the largest-first order, "+N more" after them."""
        along, grow, slot, n_slots = self.along, self.grow_dir, self.slot, len(self.shown)
        if baseline and n_slots:
            ends = (-along * (slot / 2), along * ((n_slots - 1) * slot + slot / 2))
            self.baseline = Line(*ends, stroke_width=1.5, color=self.theme.dim)
        else:
            self.baseline = VGroup()
        self.more_label = VGroup()
        if self.hidden_count and say_more:
            self.more_label = flat_text(f"+{self.hidden_count} more", self.theme.font, font_size, self.theme.dim)
            self.more_label.move_to(along * (n_slots * slot + 0.1) + grow * 0.2)
            self.more_label.align_to(along * (n_slots * slot - slot / 2 + 0.1), -along)
        return self

    # ------------------------------------------------------------ accessors (data indices)
    def get_bar(self, k: int) -> Rectangle:
        try:
            return self.bars[k]
        except KeyError:
            raise IndexError(f"bar {k} is elided or out of range") from None

    def get_label(self, k: int) -> VMobject:
        return self.labels[k]

    def get_value_label(self, k: int) -> VMobject:
        return self.value_labels[k]

    def shown_indices(self) -> list[int]:
        return [k for k in self.shown if k is not None]

    def slot_point(self, k: int) -> np.ndarray:
        """The point on the baseline under (beside) bar k."""
        bar = self.get_bar(k)
        return bar.get_bottom() if self.direction == "up" else bar.get_left()

    def align_slots_to(self, xs: dict[int, float]) -> "ProbabilityBars":
        """Shift along the slot axis so that bar k sits at coordinate xs[k] (x for "up", y for "right"),
        e.g. under the columns of a matrix. Only a shift: the slots keep their spacing."""
        common = [k for k in xs if k in self.bars]
        if not common:
            return self
        k = common[0]
        axis = 0 if self.direction == "up" else 1
        delta = xs[k] - self.bars[k].get_center()[axis]
        self.shift((RIGHT if axis == 0 else UP) * delta)
        return self

    # ------------------------------------------------------------ animations (the bars must be in the scene)
    def grow(self, lag_ratio: float = 0.08, run_time: float = 1.0) -> AnimationGroup:
        """Bars grow from the baseline; labels and values fade in. Add the bars to the scene first."""
        edge = DOWN if self.direction == "up" else LEFT
        anims = []
        for k, bar in self.bars.items():
            bar.save_state()
            anchor = bar.get_edge_center(edge)
            if self.direction == "up":
                bar.stretch_to_fit_height(MIN_LENGTH / 4)
            else:
                bar.stretch_to_fit_width(MIN_LENGTH / 4)
            bar.move_to(anchor, aligned_edge=edge)
            anims.append(Restore(bar))
        for t in [*self.labels.values(), *self.value_labels.values(), *self.ellipses, self.more_label]:
            if t.has_points() or t.submobjects:
                t.save_state()
                t.set_opacity(0)
                anims.append(Restore(t))
        return AnimationGroup(*anims, lag_ratio=lag_ratio, run_time=run_time)

    def morph_to(self, other: "ProbabilityBars") -> list[Transform]:
        """Transforms that turn these bars (and value labels) into other's, slot for slot. After them this
        object shows other's lengths; its .values and .lengths are updated to match."""
        anims = []
        for k, bar in self.bars.items():
            if k in other.bars:
                anims.append(Transform(bar, other.bars[k].copy()))
                self.lengths[k] = other.lengths[k]
            if k in self.value_labels and k in other.value_labels:
                anims.append(Transform(self.value_labels[k], other.value_labels[k].copy()))
        self.values = other.values
        self.max_index = other.max_index
        return anims
