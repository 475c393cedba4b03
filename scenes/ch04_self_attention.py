"""Chapter 4: Self-attention, one head (encoder layer 0, head 1).

Tokens are rows; Q, K and V entry by entry (the first in full); S = Q·Kᵀ, the only place where tokens
exchange information; the scale by √d_k and why; the softmax of one row in detail, the rest quickly; A·V as
a weighted mix of the value rows.
"""
from __future__ import annotations

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, Brace, Create, LaggedStart, TransformFromCopy, VGroup,
                   Write)

from scenes.base import ChapterScene
from scenes.components import Region, reveal, show_matrix_product, show_row_softmax
from scenes.components.attention import (AttentionGrid, ProjectionSteps, attention_grid, mix_layout,
                                         rename, retire, scale_in_place, scores_step, weights_beside_values,
                                         wrapped_note)
from scenes.components.choreography import ProductLayout
from scenes.components.stage import clear_stage, fade_in, fade_out, place_formula
from scenes.components.matrix import format_number

LAYER = "encoder.0.self_attn"
HEAD = 1
H = f"{LAYER}.head{HEAD}"
ROW = 0            # the token whose softmax and mix are shown in detail


class SelfAttentionScene(ChapterScene):
    def construct(self):
        self.title_card("Every token looks at every token")
        shown = self.expose("shown", {})      # step id -> the matrix that shows it (for tests)
        tokens = list(self.record(f"{H}.q").rows)
        proj = self.queries(shown, *self.tokens_are_rows(shown), tokens[ROW])
        self.project(shown, proj, "k", "W_K", self.theme.key, detailed=1, rows=1, speed=1.8)
        self.project(shown, proj, "v", "W_V", self.theme.value, detailed=0, rows=1, speed=1.8)
        grid, formula = self.scale(shown, self.scores(shown))
        bars = self.softmax(shown, grid, self.why_scale(grid, formula), tokens)
        self.expose("bars", bars)
        self.mix(shown, tokens[ROW])
        self.recap()

    # ------------------------------------------------------------ helpers
    # ------------------------------------------------------------ steps
    def tokens_are_rows(self, shown: dict) -> tuple[ProductLayout, VGroup, np.ndarray]:
        """X alone, with its shape and the row convention beside it (under it, in a row, when X leaves too
        little room beside it). Returns the layout of Q = X·W_Q (its X is the one on screen), the marks
        around X, and X's place in that layout."""
        rec = self.record("source.input")
        n, d = rec.shape
        rows = "1 row" if n == 1 else f"{n} rows"
        narration = (f"Self-attention starts from X: one row per token, {rows} of {d} numbers. Tokens are rows "
                     "in this course, so every projection multiplies from the right: Q equals X times W_Q.")
        lay = ProjectionSteps(self, LAYER, HEAD).layout("q", "W_Q", self.theme.query, rec.value, "X", rec.rows)
        X = shown["source.input"] = lay.left
        with self.step("ch04.rows", narration=narration, heading="Tokens are rows"):
            home = X.get_center()
            rows_brace = Brace(X.get_grid(), LEFT, color=self.theme.dim)
            cols_brace = Brace(X.get_grid(), UP, color=self.theme.dim)
            rows_brace.next_to(X, LEFT, buff=0.1)
            rows_note = self.formula(f"n = {n}", 30, self.theme.dim).next_to(rows_brace, LEFT, buff=0.1)
            cols_note = self.formula(rf"d_\mathrm{{model}} = {d}", 30, self.theme.dim)
            cols_note.next_to(cols_brace, UP, buff=0.1)
            side = VGroup(
                self.text("one row per token", 28),
                self.formula(rf"X \in \mathbb{{R}}^{{{n} \times {d}}}", 38),
                self.formula(r"Q = X\,W_Q", 48, self.theme.query),
            ).arrange(DOWN, buff=0.35)
            figure = VGroup(rows_note, rows_brace, X, cols_brace, cols_note)
            room = self.content_width - figure.width - 1.0
            beside = side.width <= room     # else (a wide X) the column goes under X, as a row at its own size
            if not beside:
                side.arrange(RIGHT, buff=0.6)
                room = self.content_width
            self.fit(side, width=room)
            # the aside is wrapped to the column's width at a readable size, never shrunk with the column;
            # without room for it, the narration says it alone
            free = self.content_height - side.height - (0.6 if beside else figure.height + 1.2)
            aside = wrapped_note(self, [("(papers with column vectors write the transpose)", self.theme.dim)],
                                 Region(0, max(room, side.width), 0, max(free, 0.1)),
                                 font_size=20, min_font_size=self.theme.size_min)
            if aside is not None and beside:
                side.add(aside).arrange(DOWN, buff=0.35)
            elif aside is not None:
                side.add(aside.next_to(side, DOWN, buff=0.3))
            group = VGroup(figure, side).arrange(RIGHT if beside else DOWN, buff=0.8 if beside else 0.5)
            self.place_in_content(group)
            self.play(fade_in(X), run_time=1.0)
            self.play(fade_in(rows_brace), fade_in(rows_note), fade_in(cols_brace), fade_in(cols_note),
                      fade_in(side[0]), run_time=0.8)
            self.play(Write(side[1]), run_time=0.8)
            self.play(Write(side[2]), *(fade_in(m) for m in side[3:]), run_time=1.0)
        return lay, VGroup(rows_brace, rows_note, cols_brace, cols_note, side), home

    def queries(self, shown: dict, lay: ProductLayout, extras: VGroup, home: np.ndarray,
                tok: str) -> ProjectionSteps:
        """X goes home into the product's layout, and Q's first entry is worked in full. Returns the projection
        steps, with this one on screen."""
        rec = self.record(f"{H}.q")
        X, W, Q = lay.left, lay.right, lay.result.hide_entries()
        first = format_number(rec.value[0, 0], self.cfg.decimals)
        narration = (f"One entry at a time: the row of '{tok}' meets the first column of W_Q. Multiply the pairs "
                     f"and keep a running sum; it ends at the entry, {first}.")
        with self.step("ch04.one-entry", narration=narration, heading=f"Head {HEAD}: one entry of Q"):
            self.play(fade_out(extras), X.animate.move_to(home), run_time=1.0)
            f = self.formula(rec.formula, 34, self.theme.query)
            in_panel = place_formula(self, f, lay)
            self.play(fade_in(W), fade_in(Q), fade_in(lay.name_group), fade_in(lay.ops), fade_in(f), run_time=0.8)
            self.wait(0.6)
            if in_panel:
                self.play(fade_out(f), run_time=0.3)
            show_matrix_product(self, X, W, Q, detailed=1, rows=0, rest=False, panel=lay.panel,
                                moment="ch04.one-entry-work")
        with self.step(f"{H}.q"):
            show_matrix_product(self, X, W, Q, detailed=1, rows=2, rest=True, panel=lay.panel)
            if in_panel:
                self.play(fade_in(f), run_time=0.4)
        shown[f"{H}.q"] = Q
        return ProjectionSteps(self, LAYER, HEAD, too_small="hide", lay=lay, formula=f)

    def project(self, shown: dict, proj: ProjectionSteps, which: str, wname: str, color: str, **speed):
        """K or V from the same X (it stays; the weight slice and the result are replaced)."""
        rec = self.record("source.input")
        with self.step(f"{H}.{which}"):
            lay = proj.play(which, wname, color, rec.value, "X", rec.rows, same_input=True, **speed)
        shown[f"{H}.{which}"] = lay.result
        shown["source.input"] = lay.left      # the earlier X was transformed into this one

    def scores(self, shown: dict):
        """S = Q·Kᵀ, its first two entries in full, and the one place where tokens meet."""
        def note(panel: Region) -> VGroup | None:
            """The note in the work panel, or None (the narration says it alone) when the panel would shrink
            it below the smallest readable size, as wrapped_note does."""
            lines = VGroup(self.text("a query meets every key:", 24),
                           self.text("the only place where tokens", 24, self.theme.highlight),
                           self.text("exchange information", 24, self.theme.highlight)).arrange(DOWN, buff=0.12)
            if 24 * min(1.0, panel.width / lines.width, panel.height / lines.height) < self.theme.size_min:
                return None
            self.fit(lines, width=panel.width, height=panel.height)
            return lines.move_to(panel.center)
        lay = scores_step(self, H, HEAD, note, too_small="hide", detailed=2, speed=1.0, moment="ch04.scores-work")
        shown[f"{H}.scores"] = lay.result
        return lay.result

    def scale(self, shown: dict, old):
        """old: the scores of the scores step, which give way to the grid's first matrix. Returns the grid
        (scores, scaled scores and weights, one geometry) and the scale's formula."""
        rec = self.record(f"{H}.scaled")
        recs = [self.record(f"{H}.{s}") for s in ("scores", "scaled", "weights")]
        grid = attention_grid(self, recs, fills=[None, None, self.theme.weights], name_tex=f"S_{HEAD}",
                              keep_row=ROW, widest_by_ink=True, top_gap=0.1, name_gap=0.1)
        S, scaled, A = grid.mats
        shown[f"{H}.scores"] = S                # the scheme's S is transformed into this one
        with self.step(f"{H}.scaled"):
            f = scale_in_place(self, grid, old, rec.formula, HEAD, run_time=1.6, formula_y=grid.panel.top - 0.6,
                               layered=True)
        shown[f"{H}.scaled"] = scaled
        return grid, f

    def why_scale(self, grid: AttentionGrid, scale_formula) -> VGroup:
        dk = self.cfg.d_k
        panel = grid.panel
        narration = (f"Why the square root of d_k? If q and k have independent entries of variance 1, their dot "
                     f"product adds d_k = {dk} such products, so its variance is {dk}. Dividing by the square "
                     "root brings it back to 1 and keeps the softmax from saturating.")
        with self.step("ch04.why-scale", narration=narration, heading="Why divide by √dₖ"):
            lines = VGroup(
                self.formula(rf"q\cdot k = \sum_{{i=1}}^{{d_k}} q_i\,k_i,\qquad \mathrm{{Var}}(q_i k_i) = 1", 32),
                self.formula(rf"\mathrm{{Var}}(q\cdot k) = d_k = {dk}\qquad "
                             r"\mathrm{Var}\!\left(\frac{q\cdot k}{\sqrt{d_k}}\right) = 1", 32),
            ).arrange(DOWN, buff=0.3)
            self.fit(lines, width=self.content_width, height=panel.height - 0.2)
            lines.move_to(panel.center)
            self.play(fade_out(scale_formula), fade_in(lines[0]), run_time=0.8)
            self.play(Write(lines[1]), run_time=1.2)
        return lines

    def softmax(self, shown: dict, grid: AttentionGrid, why_lines: VGroup, tokens):
        """The softmax of row ROW in detail, the others quickly. Returns its bars."""
        S, scaled, A = grid.mats
        rec = self.record(f"{H}.weights")
        with self.step(f"{H}.weights"):
            self.play(fade_out(why_lines), run_time=0.4)
            self.add(A, grid.name)
            bars = show_row_softmax(self, scaled, A, ROW, panel=grid.panel, replace=True, others=2,
                                    keep_bars=True, moment="ch04.softmax-work", row_names=tokens)
            retire(self, grid, scaled, A, bars)
            self.play(rename(self, grid, rf"A_{HEAD}", self.theme.weights), run_time=0.5)
            panel = grid.panel
            gap = Region(panel.left, panel.right, bars.get_top()[1], panel.top)
            f = self.formula(rec.formula, 34, self.theme.weights)
            self.fit(f, width=gap.width, height=max(gap.height - 0.2, 0.3))
            f.move_to(gap.center)
            self.play(fade_in(f), run_time=0.5)
        shown[f"{H}.weights"] = A
        return bars

    def mix(self, shown: dict, tok: str):
        A_vals = self.value(f"{H}.weights")
        lay = mix_layout(self, H, HEAD, ROW)
        A, V, O = lay.left, lay.right, lay.result.hide_entries()
        narration = (f"Now mix. The row of '{tok}' takes each value row times its weight, and adds them up: "
                     "value rows with big weights dominate, the weights sum to 1.")
        with self.step("ch04.mix", narration=narration, heading=f"Head {HEAD}: a weighted mix of value rows"):
            clear_stage(self, run_time=0.5)
            self.play(fade_in(A), fade_in(V), fade_in(O), fade_in(lay.name_group), fade_in(lay.ops), run_time=0.8)
            box = A.row_box(ROW, self.theme.highlight)
            self.play(Create(box), run_time=0.5)
            col, srcs, glows = weights_beside_values(self, A, V, ROW, A_vals)
            self.play(TransformFromCopy(srcs, VGroup(*(it[0] for it in col))),
                      fade_in(VGroup(*(it[1] for it in col))), run_time=1.2)
            self.play(fade_in(glows), run_time=0.8)
            self.wait(0.5)
            # each column of V flows down into the output row's entry (the weighted sum, from the record)
            flows, targets = VGroup(), []
            for j in O.shown_col_indices():
                for c in V.get_column(j):
                    flows.add(c.text.copy())
                    targets.append(O.get_cell(ROW, j).get_center())
            self.play(*(m.animate.move_to(p).scale(0.6).set_opacity(0) for m, p in zip(flows, targets)),
                      *(reveal(O, ROW, j) for j in O.shown_col_indices()), run_time=1.2)
            self.remove(flows)
            self.key_moment("ch04.mix")
        with self.step(f"{H}.out"):
            self.play(fade_out(col), fade_out(glows), fade_out(box), run_time=0.5)
            show_matrix_product(self, A, V, O, detailed=0, rows=1, rest=True, speed=1.2)
        shown[f"{H}.out"] = O

    def recap(self):
        narration = ("That is one attention head: project the rows three ways, compare every query with every "
                     "key, scale, take a softmax of each row, and mix the value rows."
                     + self.teaser("Next: several heads side by side."))
        with self.step("ch04.recap", narration=narration, heading="One head"):
            clear_stage(self, run_time=0.5)
            big = self.formula(rf"\mathrm{{head}}_{HEAD} = \mathrm{{softmax}}\!\left("
                               rf"\frac{{Q_{HEAD}\,K_{HEAD}^\top}}{{\sqrt{{d_k}}}}\right) V_{HEAD}", 52)
            parts = VGroup(self.formula(r"Q = X\,W_Q", 36, self.theme.query),
                           self.formula(r"K = X\,W_K", 36, self.theme.key),
                           self.formula(r"V = X\,W_V", 36, self.theme.value)).arrange(RIGHT, buff=0.8)
            group = VGroup(big, parts).arrange(DOWN, buff=0.7)
            self.place_in_content(group)
            self.play(Write(big), run_time=1.5)
            self.play(LaggedStart(*(fade_in(m) for m in parts), lag_ratio=0.3), run_time=1.0)
