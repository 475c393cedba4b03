"""Short: how a transformer knows word order. The sine and cosine waves that stamp each position
(positional encoding), one position's readings, and the sum X = E·√d + PE of the example's record."""
from __future__ import annotations

import numpy as np
from manim import DOWN, Create, FadeIn, VGroup

from mathcore.layers import frequencies

from ..components.attention import focus_row
from ..components.waves import PositionalWaveGrid
from .base import STAGE, ShortScene, num


class PositionalShort(ShortScene):
    def construct(self):
        theme = self.theme
        toks = list(self.example.tokens["source"])
        n, d = len(toks), self.cfg.d_model
        p = focus_row(n)
        w = toks[p]
        pe = self.value("source.positional")
        E = self.value("source.embedding_scaled")
        X = self.value("source.input")
        unit = "tokens" if self.cfg.tokenizer == "char" else "words"

        self.hook(f"How does it know the order of {unit}?",
                  f"How does a transformer know the order of {unit}? Waves.", toks, p, color=theme.positional)

        self.clear_but_captions()
        grid = PositionalWaveGrid(pe, frequencies(d), theme, width=STAGE.width, height=STAGE.height - 0.2,
                                  decimals=self.dec)
        grid.move_to([0, (STAGE.top + STAGE.bottom) / 2, 0])
        with self.step("waves", f"Every position gets a stamp made of waves: sines and cosines at "
                                f"{len(grid.panels)} speeds."):
            self.play(FadeIn(grid.backs), FadeIn(grid.pair_labels), FadeIn(grid.legends), run_time=0.6)
            for panel in grid.panels:
                self.play(Create(panel.axes), FadeIn(panel.rails), FadeIn(panel.x_label_group),
                          *(Create(wv.curve) for wv in panel.waves), run_time=0.8)
            self.expose("waves", grid)

        with self.step("stamp", f"Position {p}, “{w}”, reads {num(pe[p, 0], self.dec)} and "
                                f"{num(pe[p, 1], self.dec)} off the fastest pair."):
            self.play(FadeIn(grid.guides_at(p)), FadeIn(grid.dots_at(p)), run_time=0.6)
            self.play(FadeIn(grid.labels_at(p)), run_time=0.6)
            self.expose("readings", grid.labels_at(p))

        self.clear_but_captions()
        with self.step("sum", f"Added to the embedding of “{w}”, it starts as {num(X[p, 0], self.dec)}, "
                              f"{num(X[p, 1], self.dec)} and so on. Another place, other numbers."):
            width = STAGE.width - 0.5
            rows = [self.fitted_matrix(E[p], width, 0.6, row_labels=["E·√d"], fill_color=theme.embedding),
                    self.fitted_matrix(pe[p], width, 0.6, row_labels=["PE"], fill_color=theme.positional),
                    self.fitted_matrix(X[p], width, 0.6, row_labels=["X"])]
            title = self.wrapped(f"“{w}” at position {p}", 26, theme.text)
            plus = self.t("+", 30, theme.dim)
            eq = self.t("=", 30, theme.dim)
            block = VGroup(title, rows[0], plus, rows[1], eq, rows[2]).arrange(DOWN, buff=0.22)
            block.move_to([0, (STAGE.top + STAGE.bottom) / 2, 0])
            for m in rows:   # the grids one above the other, whatever the label widths
                m.shift((rows[2].get_entries().get_center()[0] - m.get_entries().get_center()[0]) * np.array([1.0, 0, 0]))
            mats = VGroup(*rows)
            mats.shift(-mats.get_center()[0] * np.array([1.0, 0, 0]))
            if mats.width > STAGE.width:
                mats.scale(STAGE.width / mats.width)
            self.play(FadeIn(title), FadeIn(rows[0]), run_time=0.5)
            self.play(FadeIn(plus), FadeIn(rows[1]), run_time=0.5)
            self.play(FadeIn(eq), FadeIn(rows[2], shift=0.1 * DOWN), run_time=0.7)
            self.expose("sum", rows)

        self.end_card()
