"""Chapter 4: Self-attention, one head (encoder layer 0, head 1).

Tokens are rows; Q, K and V entry by entry (the first in full); S = Q·Kᵀ, the only place where tokens
exchange information; the scale by √d_k and why; the softmax of one row in detail, the rest quickly; A·V as
a weighted mix of the value rows.
"""
from __future__ import annotations

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, AnimationGroup, Brace, Create, LaggedStart, MathTex,
                   Rectangle, ReplacementTransform, Transform, TransformFromCopy, VGroup, Write)

from scenes.base import ChapterScene
from scenes.components import (NumericMatrix, Region, content_region, hide, layout_product, reveal,
                               show_matrix_product, show_row_softmax, shown_indices)
from scenes.components.attention import scores_layout, wrapped_note
from scenes.components.choreography import effective_font_size
from scenes.components.stage import clear_stage, fade_in, fade_out, place_formula
from scenes.components.matrix import format_number
from scenes.components.text import flat_text

LAYER = "encoder.0.self_attn"
HEAD = 1
H = f"{LAYER}.head{HEAD}"
ROW = 0            # the token whose softmax and mix are shown in detail
PANEL_ROWS = 3     # s, e^s, e^s/Σ under the scores
BARS = 0.9         # at least this much room for the bars (a bar of weight 1)


class SelfAttentionScene(ChapterScene):
    def construct(self):
        self.title_card("Every token looks at every token")
        self.shown: dict[str, NumericMatrix] = {}     # step id -> the matrix that shows it (for tests)
        self.tokens = list(self.record(f"{H}.q").rows)
        self.tokens_are_rows()
        self.queries()
        self.project("k", "W_K", self.theme.key, detailed=1, rows=1, speed=1.8)
        self.project("v", "W_V", self.theme.value, detailed=0, rows=1, speed=1.8)
        self.scores()
        self.scale()
        self.why_scale()
        self.softmax()
        self.mix()
        self.recap()

    # ------------------------------------------------------------ helpers
    def head_weight(self, name: str):
        return self.example.head_weight(f"{LAYER}.{name}", HEAD)

    def projection_layout(self, which: str, wname: str, color: str):
        rec = self.record(f"{H}.{which}")
        return layout_product(
            self, self.value("source.input"), self.head_weight(wname), rec.value,
            names=("X", f"{wname}^{{({HEAD})}}", f"{which.upper()}_{HEAD}"), colors=(None, color, color),
            left_row_labels=rec.rows, kinds=("scheme", "row"))

    def formula(self, tex: str, font_size: float = 34, color: str | None = None) -> MathTex:
        return MathTex(tex, font_size=font_size, color=color or self.theme.text)

    # ------------------------------------------------------------ steps
    def tokens_are_rows(self):
        rec = self.record("source.input")
        n, d = rec.shape
        rows = "1 row" if n == 1 else f"{n} rows"
        narration = (f"Self-attention starts from X: one row per token, {rows} of {d} numbers. Tokens are rows "
                     "in this course, so every projection multiplies from the right: Q equals X times W_Q.")
        self.q_layout = self.projection_layout("q", "W_Q", self.theme.query)
        X = self.q_layout.left
        self.shown["source.input"] = X
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
            self.fit(side, width=room)
            # the aside is wrapped to the column's width at a readable size, never shrunk with the column;
            # without room for it (a wide X), the narration says it alone
            aside = wrapped_note(self, [("(papers with column vectors write the transpose)", self.theme.dim)],
                                 Region(0, max(room, side.width), 0, max(self.content_height - side.height - 0.6, 0.1)),
                                 font_size=20, min_font_size=self.theme.size_min)
            if aside is not None:
                side.add(aside).arrange(DOWN, buff=0.35)
            group = VGroup(figure, side).arrange(RIGHT, buff=0.8)
            self.place_in_content(group)
            self.play(fade_in(X), run_time=1.0)
            self.play(fade_in(rows_brace), fade_in(rows_note), fade_in(cols_brace), fade_in(cols_note),
                      fade_in(side[0]), run_time=0.8)
            self.play(Write(side[1]), run_time=0.8)
            self.play(Write(side[2]), *(fade_in(m) for m in side[3:]), run_time=1.0)
            self.rows_extras = VGroup(rows_brace, rows_note, cols_brace, cols_note, side)
            self.x_home = home

    def queries(self):
        lay = self.q_layout
        rec = self.record(f"{H}.q")
        X, W, Q = lay.left, lay.right, lay.result.hide_entries()
        tok = self.tokens[0]
        first = format_number(rec.value[0, 0], self.cfg.decimals)
        narration = (f"One entry at a time: the row of '{tok}' meets the first column of W_Q. Multiply the pairs "
                     f"and keep a running sum; it ends at the entry, {first}.")
        with self.step("ch04.one-entry", narration=narration, heading=f"Head {HEAD}: one entry of Q"):
            self.play(fade_out(self.rows_extras), X.animate.move_to(self.x_home), run_time=1.0)
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
        self.shown[f"{H}.q"] = Q
        self.lay, self.lay_formula = lay, f

    def project(self, which: str, wname: str, color: str, **speed):
        rec = self.record(f"{H}.{which}")
        lay = self.projection_layout(which, wname, color)
        old = self.lay
        with self.step(f"{H}.{which}"):
            f = self.formula(rec.formula, 34, color)
            in_panel = place_formula(self, f, lay)
            lay.result.hide_entries()
            self.play(fade_out(old.right), fade_out(old.result), fade_out(old.name_group), fade_out(old.ops),
                      fade_out(self.lay_formula), ReplacementTransform(old.left, lay.left), run_time=0.7)
            self.play(fade_in(lay.right), fade_in(lay.result), fade_in(lay.name_group), fade_in(lay.ops), fade_in(f),
                      run_time=0.6)
            if in_panel and speed.get("detailed", 2):
                self.play(fade_out(f), run_time=0.3)
            show_matrix_product(self, lay.left, lay.right, lay.result, panel=lay.panel, **speed)
            if in_panel and speed.get("detailed", 2):
                self.play(fade_in(f), run_time=0.3)
        self.shown[f"{H}.{which}"] = lay.result
        self.shown["source.input"] = lay.left      # the earlier X was transformed into this one
        self.lay, self.lay_formula = lay, f

    def scores(self):
        rec = self.record(f"{H}.scores")
        lay = scores_layout(self, H, HEAD)
        S = lay.result.hide_entries()
        with self.step(f"{H}.scores"):
            clear_stage(self, run_time=0.5)
            f = self.formula(rec.formula, 34)
            in_panel = place_formula(self, f, lay)
            self.play(fade_in(lay.left), fade_in(lay.right), fade_in(S), fade_in(lay.name_group), fade_in(lay.ops),
                      fade_in(f), run_time=0.8)
            if in_panel:
                self.play(fade_out(f), run_time=0.3)
            show_matrix_product(self, lay.left, lay.right, S, detailed=2, rows=1, rest=True, panel=lay.panel,
                                moment="ch04.scores-work")
            note = VGroup(self.text("a query meets every key:", 24),
                          self.text("the only place where tokens", 24, self.theme.highlight),
                          self.text("exchange information", 24, self.theme.highlight)).arrange(DOWN, buff=0.12)
            region = lay.panel
            self.fit(note, width=region.width, height=region.height)
            note.move_to(region.center)
            self.play(fade_in(note), run_time=0.6)
        self.shown[f"{H}.scores"] = S
        self.scores_lay = lay

    def attention_grid(self):
        """Scores, scaled scores and weights as three matrices with one geometry (they replace each other in
        place), sized to leave room below for the softmax panel."""
        recs = [self.record(f"{H}.{s}") for s in ("scores", "scaled", "weights")]
        n = recs[0].shape[0]
        area = content_region(self)
        probe = NumericMatrix(recs[1].value[:1, :1], self.theme)
        pitch = probe.cell_height
        panel_h = PANEL_ROWS * pitch + 0.2 + BARS + 0.1
        lab_w = MathTex(r"e^{s} / \Sigma", font_size=27).width
        sigma_w = MathTex(r"\Sigma =", font_size=27).width + 0.9 + 0.6
        name_h = 0.45
        min_scale = 0.9      # numbers no smaller than 18 (base 20)

        # one cell width for all three (they lie on top of each other): that of the widest number
        values = np.concatenate([r.value.ravel() for r in recs])
        widest = max(values, key=lambda v: flat_text(format_number(float(v), self.cfg.decimals), self.theme.mono,
                                                      20, self.theme.text).width)
        w = NumericMatrix(np.array([[widest]]), self.theme).cell_width

        def build(rows, cols, all_three=True):
            ms = [NumericMatrix(r.value, self.theme, rows=rows, cols=cols, cell_width=w,
                                row_labels=r.rows if idx == 0 else None, col_labels=r.cols if idx == 0 else None,
                                fill_color=self.theme.weights if idx == 2 else None)
                  for idx, r in enumerate(recs if all_three else recs[:1])]
            extra_left = max(0.0, lab_w + 0.3 - (ms[0].get_grid().get_left()[0] - ms[0].get_left()[0]))
            width = ms[0].width + extra_left + sigma_w
            height = ms[0].height + panel_h + 0.35 + name_h
            return ms, extra_left, min(1.0, area.width / width, area.height / height)

        limits = list(range(min(n, 12), min(n, 4) - 1, -1))
        cols = shown_indices(n, limits[-1])
        for limit in limits:             # as many columns as fit (width does not depend on the rows)
            cols = shown_indices(n, limit)
            ms, extra_left, f = build([ROW], cols, all_three=False)
            if (ms[0].width + extra_left + sigma_w) * min_scale <= area.width:
                break
        # then as many rows as fit: each shown row (or ⋮) adds one row pitch to the one-row build's height
        one_row_h = ms[0].height
        rows_limit = limits[-1]
        for limit in limits:
            height = one_row_h + (limit - 1) * ms[0].cell_height + panel_h + 0.35 + name_h
            if height * min_scale <= area.height:
                rows_limit = limit
                break
        ms, extra_left, f = build(shown_indices(n, rows_limit), cols)
        if f < 1.0:
            for m in ms:
                m.scale(f, about_point=ms[0].get_center())
            extra_left *= f
        S, scaled, A = ms
        for m in (scaled, A):
            m.shift(S.body[0].get_center() - m.body[0].get_center())
            m.brackets.set_stroke(opacity=0)
        name = self.formula(rf"S_{HEAD}", 34)
        group = VGroup(*ms)
        total_w = group.width + extra_left + sigma_w * f
        x_center = area.left + (area.width - total_w) / 2 + extra_left + group.width / 2
        top = area.top - name_h - 0.1
        group.move_to([x_center, top - group.height / 2, 0])
        name.move_to([0, S.get_top()[1] + 0.1 + name.height / 2, 0]).align_to(S, LEFT)
        panel = Region(area.left, area.right, area.bottom, S.get_bottom()[1] - 0.2)
        return S, scaled, A, name, panel

    def scale(self):
        rec = self.record(f"{H}.scaled")
        S, scaled, A, name, panel = self.attention_grid()
        self.grid = (S, scaled, A, name, panel)
        self.shown[f"{H}.scores"] = S                # the scheme's S is transformed into this one
        with self.step(f"{H}.scaled"):
            old = self.scores_lay.result
            clear_stage(self, old, run_time=0.5)
            self.play(ReplacementTransform(old, S), fade_in(name), run_time=1.0)
            scaled.hide_entries()
            A.hide_entries()
            self.add(scaled, A)
            f = self.formula(rec.formula, 36).move_to([0, panel.top - 0.6, 0])
            self.play(Write(f), run_time=0.8)
            new_name = self.formula(rf"S_{HEAD} / \sqrt{{d_k}}", 34).move_to(name, aligned_edge=LEFT)
            self.play(LaggedStart(*(
                AnimationGroup(*[hide(S.get_cell(i, j)) for j in S.shown_col_indices()],
                               *[reveal(scaled, i, j) for j in scaled.shown_col_indices()])
                for i in S.shown_row_indices()), lag_ratio=0.2), Transform(name, new_name), run_time=1.6)
            self.scale_formula = f
        self.shown[f"{H}.scaled"] = scaled

    def why_scale(self):
        dk = self.cfg.d_k
        S, scaled, A, name, panel = self.grid
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
            self.play(fade_out(self.scale_formula), fade_in(lines[0]), run_time=0.8)
            self.play(Write(lines[1]), run_time=1.2)
            self.why_lines = lines

    def softmax(self):
        S, scaled, A, name, panel = self.grid
        rec = self.record(f"{H}.weights")
        with self.step(f"{H}.weights"):
            self.play(fade_out(self.why_lines), run_time=0.4)
            self.bars = show_row_softmax(self, scaled, A, ROW, panel=panel, replace=True, others=2,
                                         keep_bars=True, moment="ch04.softmax-work", row_names=self.tokens)
            self.play(Transform(name, self.formula(rf"A_{HEAD}", 34, self.theme.weights)
                                .move_to(name, aligned_edge=LEFT)), run_time=0.5)
            f = self.formula(rec.formula, 34, self.theme.weights)
            bars_top = self.bars.get_top()[1]
            gap = Region(panel.left, panel.right, bars_top, panel.top)
            self.fit(f, width=gap.width, height=max(gap.height - 0.2, 0.3))
            f.move_to(gap.center)
            self.play(fade_in(f), run_time=0.5)
        self.shown[f"{H}.weights"] = A

    def mix(self):
        rec = self.record(f"{H}.out")
        A_vals, V_vals = self.value(f"{H}.weights"), self.value(f"{H}.v")
        v_rows = self.record(f"{H}.v").rows
        fs = 20
        widest = max(flat_text(format_number(x, self.cfg.decimals), self.theme.mono, fs, "#fff").width
                     for x in A_vals[ROW])
        gap = widest + 0.65
        lay = layout_product(self, A_vals, V_vals, rec.value,
                             names=(f"A_{HEAD}", f"V_{HEAD}", rf"\mathrm{{head}}_{HEAD}"),
                             colors=(self.theme.weights, self.theme.value, None), left_row_labels=rec.rows,
                             right_row_labels=v_rows, fills=(self.theme.weights, None, None), extra_gap=gap,
                             kinds=("scheme", "row"), panel_rows=0)
        A, V, O = lay.left, lay.right, lay.result.hide_entries()
        tok = self.tokens[ROW]
        narration = (f"Now mix. The row of '{tok}' takes each value row times its weight, and adds them up: "
                     "value rows with big weights dominate, the weights sum to 1.")
        with self.step("ch04.mix", narration=narration, heading=f"Head {HEAD}: a weighted mix of value rows"):
            clear_stage(self, run_time=0.5)
            self.play(fade_in(A), fade_in(V), fade_in(O), fade_in(lay.name_group), fade_in(lay.ops), run_time=0.8)
            hl = self.theme.highlight
            box = A.row_box(ROW, hl)
            self.play(Create(box), run_time=0.5)
            # the weights of this row, one beside each value row it scales
            fs_eff = effective_font_size(A)
            top_weight = max(float(A_vals[ROW].max()), 1e-9)
            col, srcs, glows = VGroup(), VGroup(), VGroup()
            left_edge = (V.row_label_group if V.row_labels else V.get_grid()).get_left()[0] - 0.22
            for j in A.shown_col_indices():
                if not V.has_cell(j, V.shown_col_indices()[0]):
                    continue
                row = V.get_row(j)
                num = A.get_cell(ROW, j).text.copy().set_color(self.theme.weights)
                times = flat_text("×", self.theme.font, fs_eff, self.theme.dim)
                item = VGroup(num, times).arrange(RIGHT, buff=0.08)
                item.move_to([0, row.get_y(), 0]).align_to([left_edge, 0, 0], RIGHT)
                col.add(item)
                srcs.add(A.get_cell(ROW, j).text)
                # an outline as strong as the weight, relative to the row's largest (display only)
                strength = float(A_vals[ROW, j]) / top_weight
                glow = Rectangle(width=row.width + 0.12, height=row.height + 0.06)
                glow.set_stroke(self.theme.weights, width=1 + 4 * strength, opacity=0.15 + 0.85 * strength)
                glows.add(glow.move_to(row))
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
        self.shown[f"{H}.out"] = O
        self.mix_layout = lay

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
