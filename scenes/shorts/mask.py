"""Short: why the decoder cannot peek. The masked scores of the decoder's self-attention (−∞ above the
diagonal) and the weights after softmax (exact zeros there), from the example's record."""
from __future__ import annotations

import math

from manim import Create, FadeIn, SurroundingRectangle, VGroup

from ..components.attention import focus_row, style_masked
from .base import STAGE, ShortScene, num

HEAD = "decoder.0.self_attn.head1"


def spoken_list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


class MaskShort(ShortScene):
    def construct(self):
        theme = self.theme
        toks = list(self.example.tokens["target_input"])
        m = len(toks)
        r = focus_row(m)
        w = toks[r]
        M = self.value(f"{HEAD}.masked")
        A = self.value(f"{HEAD}.weights")
        unit = "token" if self.cfg.tokenizer == "char" else "word"

        self.hook("Why can't the decoder peek?", f"Why can't the decoder peek at the next {unit}?", toks, r,
                  color=theme.mask)

        self.clear_but_captions()
        cols_req = [r, min(r + 1, m - 1)]
        with self.step("masked", f"While it writes {unit} {r + 1}, “{w}”, the {unit}s after it do not exist yet. "
                                 "Their scores become minus infinity."):
            S = self.fitted_matrix(M, STAGE.width, STAGE.height - 0.7, rows_req=[r], cols_req=cols_req,
                                   row_labels=toks, col_labels=toks, fill_color=theme.mask)
            style_masked(S, M, theme)
            title = self.wrapped("masked scores", 24, theme.mask)
            VGroup(title, S).arrange(direction=[0, -1, 0], buff=0.3).move_to([0, (STAGE.top + STAGE.bottom) / 2, 0])
            self.play(FadeIn(title), FadeIn(S), run_time=0.8)
            box = S.row_box(r, theme.highlight)
            future = [S.get_cell(r, j) for j in S.shown_col_indices() if j is not None and math.isinf(M[r, j])]
            self.play(Create(box), run_time=0.5)
            if future:
                self.play(Create(SurroundingRectangle(VGroup(*future), color=theme.mask, buff=0.04)), run_time=0.5)
            self.expose("masked", S)

        self.clear_but_captions()
        kept = [num(A[r, j], self.dec) for j in range(r + 1)]
        with self.step("zeros", "After softmax, minus infinity is exactly 0. "
                                f"“{w}” shares its attention with the {unit}s up to itself: {spoken_list(kept)}."):
            W = self.fitted_matrix(A, STAGE.width, STAGE.height - 0.7, rows_req=[r], cols_req=cols_req,
                                   row_labels=toks, col_labels=toks, fill_color=theme.weights)
            style_masked(W, M, theme, zero=True)
            title = self.wrapped("weights after softmax", 24, theme.weights)
            VGroup(title, W).arrange(direction=[0, -1, 0], buff=0.3).move_to([0, (STAGE.top + STAGE.bottom) / 2, 0])
            self.play(FadeIn(title), FadeIn(W), run_time=0.8)
            self.play(Create(W.row_box(r, theme.highlight)), run_time=0.5)
            self.expose("weights", W)

        self.end_card()
