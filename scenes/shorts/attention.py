"""Short: which word does a word look at? One query row meets the keys (the scaled scores), softmax turns
them into weights, then the weight grid of the head. Encoder layer 1, head 1, of the example's record."""
from __future__ import annotations

import numpy as np
from manim import DOWN, RIGHT, UP, Create, FadeIn, LaggedStart, SurroundingRectangle, VGroup

from mathcore.elide import elide

from ..components.attention import focus_row
from ..components.bars import ProbabilityBars
from ..components.heatmap import WeightsHeatmap
from ..components.matrix import NumericMatrix
from .base import STAGE, ShortScene, num

HEAD = "encoder.0.self_attn.head1"


class AttentionShort(ShortScene):
    def construct(self):
        theme = self.theme
        toks = list(self.example.tokens["source"])
        n = len(toks)
        r = focus_row(n)
        w = toks[r]
        K = self.value(f"{HEAD}.k")
        q = self.value(f"{HEAD}.q")[r]
        s = self.value(f"{HEAD}.scaled")[r]
        A = self.value(f"{HEAD}.weights")
        top = int(np.argmax(A[r]))     # the record's largest weight in the row (a choice, not a computation)
        unit = "token" if self.cfg.tokenizer == "char" else "word"

        _, row = self.hook(f"Which {unit} does “{w}” look at?",
                           f"Which {unit} does “{w}” look at? Attention decides.", toks, r, color=theme.key)

        # ---- the query meets every key: one scaled score per key
        self.clear_but_captions()
        with self.step("scores", f"Its query meets every key: one score each. “{toks[top]}” scores "
                                 f"highest, {num(s[top], self.dec)}."):
            qm = self.fitted_matrix(q, STAGE.width - 0.9, 0.6, fill_color=theme.query, row_labels=[w],
                                    label_color=theme.query)
            qm.move_to([0, STAGE.top - qm.height / 2 - 0.05, 0])
            Km = self.fitted_matrix(K, STAGE.width - 1.0, STAGE.height - qm.height - 0.9, rows_req=[r, top],
                                    fill_color=theme.key, row_labels=toks, col_labels=None, max_label_width=1.0)
            scale = Km.min_font_size_shown / 20
            Sm = NumericMatrix(s, theme, decimals=self.dec, column_vector=True, rows=Km.shown_rows, font_size=20,
                               fill_color=theme.weights, col_labels=["score"])
            Sm.scale(scale)
            pair = VGroup(Km, Sm)
            Sm.next_to(Km, RIGHT, buff=0.2)
            Sm.shift(UP * (Km.get_cell(r, Km.shown_col_indices()[0]).get_center()[1] - Sm.get_cell(r, 0).get_center()[1]))
            self.fit(pair, width=STAGE.width - 0.1)
            pair.move_to([0, qm.get_bottom()[1] - 0.35 - pair.height / 2, 0])
            self.play(FadeIn(qm, shift=0.2 * DOWN), run_time=0.5)
            self.play(FadeIn(Km), run_time=0.6)
            rows = [i for i in Km.shown_rows if i is not None]
            self.play(LaggedStart(*(FadeIn(Sm.get_row(i)) for i in rows), lag_ratio=0.3),
                      FadeIn(VGroup(*Sm.submobjects[1:])), run_time=1.4)
            mark = SurroundingRectangle(Sm.get_cell(top, 0), color=theme.highlight, buff=0.03)
            self.play(Create(mark), run_time=0.4)
            self.expose("scores", Sm)
            self.expose("keys", Km)
            self.expose("query", qm)

        # ---- softmax: the weights of the row
        self.clear_but_captions()
        with self.step("softmax", f"Softmax turns the scores into weights that add up to 1. “{w}” gives "
                                  f"{num(A[r, top], self.dec)} of its attention to “{toks[top]}”."):
            shown = elide(n, 8, [r, top])
            bars = ProbabilityBars(A[r], theme, labels=toks, indices=shown, direction="right", slot=0.42,
                                   bar_width=0.3, length=1.6, scale_max=1.0, show_values=True, decimals=self.dec,
                                   font_size=20, label_font_size=20)
            self.fit(bars, width=STAGE.width, height=STAGE.height - 1.0)
            title = self.wrapped(f"“{w}” pays attention to", 24, theme.text)
            block = VGroup(title, bars).arrange(DOWN, buff=0.35)
            block.move_to([0, (STAGE.top + STAGE.bottom) / 2, 0])
            self.play(FadeIn(title), run_time=0.4)
            self.play(bars.grow(run_time=1.2))
            self.expose("bars", bars)

        # ---- every row: the weight grid of the head
        self.clear_but_captions()
        with self.step("grid", "Every word does the same. This is head 1's whole weight grid: "
                               f"each row adds up to 1, and row {r + 1} is “{w}”."):
            room = max(3, min(n, int((STAGE.width - 1.4) / 0.36)))
            idx = elide(n, room, [r, top])
            hm = WeightsHeatmap(A, theme, cell_size=0.36, row_labels=toks, col_labels=toks, label_font_size=18,
                                rows=idx, cols=idx)
            self.fit(hm, width=STAGE.width, height=STAGE.height - 0.8)
            hm.move_to([0, (STAGE.top + STAGE.bottom) / 2 - 0.2, 0])
            cols = [j for j in idx if j is not None]
            focus = SurroundingRectangle(VGroup(*(hm.get_square(r, j) for j in cols)), color=theme.highlight, buff=0.03)
            label = self.wrapped("attention weights, head 1", 22, theme.weights)
            label.next_to(hm, UP, buff=0.3)
            self.play(FadeIn(hm), FadeIn(label), run_time=0.8)
            self.play(Create(focus), run_time=0.5)
            self.expose("grid", hm)

        self.end_card()
