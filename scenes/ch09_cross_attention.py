"""Chapter 9: Cross-attention (decoder layer 0, head 1).

Where Q, K and V come from: the queries from the decoder's own rows, the keys and values from the encoder
output, brought back from chapter 7 (a common mistake takes Q from the encoder too). The attention grid has
one row per target position and one column per source word; each output row is a weighted mix of the
encoder's value rows.
"""
from __future__ import annotations

import numpy as np
from manim import (DOWN, LEFT, RIGHT, Arrow, Create, FadeIn, MathTex, Rectangle, ReplacementTransform,
                   SurroundingRectangle, TransformFromCopy, VGroup, Write)

from scenes.base import ChapterScene
from scenes.components import (NumericMatrix, Region, content_region, layout_product, show_matrix_product,
                               show_row_softmax)
from scenes.components.attention import (ProjectionSteps, attention_grid, focus_row, formula_in, ordinal, rename,
                                         retire, scale_in_place, scores_step, wrapped_note)
from scenes.components.stage import clear_stage, fade_in, fade_out
from scenes.components.sums import cell_size
from scenes.components.choreography import effective_font_size
from scenes.components.matrix import format_number
from scenes.components.text import flat_text

LAYER = "decoder.0.cross_attn"
HEAD = 1
H = f"{LAYER}.head{HEAD}"
DEC_IN = "decoder.0.norm1.out"      # the decoder rows the queries come from
ENC_OUT = "encoder.output"          # the rows the keys and values come from


class CrossAttentionScene(ChapterScene):
    def construct(self):
        self.title_card("The decoder reads the source sentence")
        self.shown: dict[str, NumericMatrix] = {}      # step id -> the matrix that shows it (for tests)
        self.src = list(self.example.tokens["source"])
        self.tgt = list(self.example.tokens["target_input"])
        self.n, self.m = len(self.src), len(self.tgt)
        self.r = focus_row(self.m)
        self.encoder_output()
        self.where_from()
        self.projections()
        self.scale(self.scores())
        self.softmax()
        self.read_grid()
        self.mix()
        self.rest()

    # ------------------------------------------------------------ helpers
    def two_sides(self):
        """The encoder output H (left) and the decoder rows Y (right) side by side, as large as fits, with
        room below for where Q, K and V come from."""
        theme = self.theme
        H_rec, Y_rec = self.record(ENC_OUT), self.record(DEC_IN)
        d = H_rec.value.shape[1]
        room_w = (self.content_width - 0.5) / 2
        room_h = self.content_height - 2.1
        both = np.concatenate([H_rec.value.ravel(), Y_rec.value.ravel()])
        tries = [(fs, c, r) for fs in (20, 18) for r in (12, 10, 8, 6) for c in (d, 6, 5, 4)
                 if c <= d and (fs == 18 or (c == d and r == 12))]
        for fs, max_cols, max_rows in tries:      # the largest numbers, then the most rows, then columns
            w, _ = cell_size(both, theme, fs, self.cfg.decimals)
            mats = [NumericMatrix(r.value, theme, row_labels=r.rows, font_size=fs, max_rows=max_rows,
                                  max_cols=max_cols, cell_width=w, decimals=self.cfg.decimals)
                    for r in (H_rec, Y_rec)]
            if all(m.width <= room_w for m in mats) and max(m.height for m in mats) <= room_h:
                break
        for mat in mats:
            self.fit(mat, width=room_w, height=room_h)
        return mats

    # ------------------------------------------------------------ steps
    def encoder_output(self):
        theme = self.theme
        Hm, Ym = self.two_sides()
        with self.step(ENC_OUT, heading="Back from chapter 7: the encoder output"):
            name = MathTex(r"H = \mathrm{Enc}(X)", font_size=34, color=theme.key)
            where = self.text(f"one row per source word: {self.n} × {self.cfg.d_model}", 22, theme.dim)
            block = VGroup(name, Hm, where).arrange(DOWN, buff=0.25)
            self.place_in_content(block)
            self.play(fade_in(Hm), fade_in(name), run_time=1.0)
            self.play(fade_in(where), run_time=0.6)
        self.shown[ENC_OUT] = Hm
        self.H_block, self.H_name, self.H_where = Hm, name, where
        self.Y_mat = Ym

    def where_from(self):
        theme = self.theme
        Hm, Ym = self.H_block, self.Y_mat
        narration = ("Cross-attention joins the two halves. The queries come from the decoder, one per target "
                     "position; the keys and the values come from the encoder output, one per source word. "
                     "Queries from the encoder would be a mistake: the decoder is the one asking.")
        with self.step("ch09.sources", narration=narration, heading="Where Q, K and V come from"):
            area = content_region(self)
            left_x = area.left + area.width / 4
            right_x = area.right - area.width / 4
            half = area.width / 2 - 0.25
            H_target = Hm.copy()
            heads = []
            for mat, tex, color, words in ((H_target, "H", theme.key, "encoder output (chapter 7)"),
                                           (Ym, "Y", theme.query, "decoder rows (after chapter 8)")):
                head = VGroup(MathTex(tex, font_size=34, color=color), self.text(words, 22, theme.dim))
                head.arrange(RIGHT, buff=0.25)
                self.fit(head, width=half)
                heads.append(head)
            q = MathTex(r"Q = Y\,W_Q", font_size=36, color=theme.query)
            k = MathTex(r"K = H\,W_K", font_size=36, color=theme.key)
            v = MathTex(r"V = H\,W_V", font_size=36, color=theme.value)
            kv = VGroup(k, v).arrange(RIGHT, buff=0.6)
            q_note = self.text("queries: from the decoder", 22, theme.query)
            kv_note = self.text("keys and values: from the encoder", 22, theme.key)
            for t in (q_note, kv_note, kv):
                self.fit(t, width=half)
            # top to bottom: names, matrices, arrows, formulas, notes; the whole centred in the content area
            mat_h = max(H_target.height, Ym.height)
            head_h = max(h.height for h in heads)
            total = head_h + 0.15 + mat_h + 0.75 + kv.height + 0.15 + q_note.height
            top = (area.top + area.bottom) / 2 + total / 2
            for head, mat, x in ((heads[0], H_target, left_x), (heads[1], Ym, right_x)):
                head.move_to([x, top - head_h / 2, 0])
                mat.move_to([x, top - head_h - 0.15 - mat.height / 2, 0])
            y_f = top - head_h - 0.15 - mat_h - 0.75 - kv.height / 2
            q.move_to([right_x, y_f, 0])
            kv.move_to([left_x, y_f, 0])
            q_note.next_to(q, DOWN, buff=0.15)
            kv_note.next_to(kv, DOWN, buff=0.15).set_x(left_x)
            a_q = Arrow(Ym.get_bottom(), q.get_top(), buff=0.1, color=theme.query, stroke_width=5)
            a_k = Arrow(H_target.get_bottom(), k.get_top(), buff=0.1, color=theme.key, stroke_width=5)
            a_v = Arrow(H_target.get_bottom(), v.get_top(), buff=0.1, color=theme.value, stroke_width=5)
            h_head, y_head = heads
            self.play(ReplacementTransform(Hm, H_target), fade_out(self.H_name), fade_out(self.H_where),
                      fade_in(h_head), run_time=1.0)
            self.play(fade_in(Ym), fade_in(y_head), run_time=0.8)
            self.play(Create(a_q), Write(q), run_time=0.9)
            self.play(fade_in(q_note), run_time=0.5)
            self.play(Create(a_k), Create(a_v), Write(k), Write(v), run_time=1.0)
            self.play(fade_in(kv_note), run_time=0.5)
        self.shown[DEC_IN] = Ym

    def projections(self):
        theme = self.theme
        Y, Hv = self.value(DEC_IN), self.value(ENC_OUT)
        self.proj = ProjectionSteps(self, LAYER, HEAD)
        with self.step(f"{H}.q"):
            clear_stage(self, detach=True)
            self.proj.play("q", "W_Q", theme.query, Y, "Y", self.tgt, same_input=False, detailed=1, rows=1,
                           speed=1.8)
        self.q_input = self.proj.lay.left
        self.shown[f"{H}.q"] = self.proj.lay.result
        with self.step(f"{H}.k"):
            self.proj.play("k", "W_K", theme.key, Hv, "H", self.src, same_input=False, rows=1, speed=2.0)
        self.k_input = self.proj.lay.left
        self.shown[f"{H}.k"] = self.proj.lay.result
        with self.step(f"{H}.v"):
            self.proj.play("v", "W_V", theme.value, Hv, "H", self.src, same_input=True, rows=0, speed=2.0)
        self.shown[f"{H}.v"] = self.proj.lay.result

    def scores(self) -> NumericMatrix:
        lay = scores_step(self, H, HEAD, [(f"{self.m} target positions × {self.n} source words:", self.theme.text),
                                          ("no mask here, the whole source is known.", self.theme.dim)])
        self.shown[f"{H}.scores"] = lay.result
        return lay.result

    def scale(self, old: NumericMatrix):
        """old: the scores matrix of the scores step, which gives way to the grid's first matrix."""
        rec = self.record(f"{H}.scaled")
        recs = [self.record(f"{H}.{s}") for s in ("scores", "scaled", "weights")]
        grid = attention_grid(self, recs, fills=[None, None, self.theme.weights], name_tex=f"S_{HEAD}",
                              keep_row=self.r)
        S, scaled, A = grid.mats
        self.grid = grid
        with self.step(f"{H}.scaled"):
            self.panel_formula = scale_in_place(self, grid, old, rec.formula, HEAD, run_time=1.4)
        self.shown[f"{H}.scaled"] = scaled

    def softmax(self):
        S, scaled, A = self.grid.mats
        rec = self.record(f"{H}.weights")
        with self.step(f"{H}.weights"):
            self.add(self.panel_formula)
            self.play(fade_out(self.panel_formula), run_time=0.4)
            self.add(A, self.grid.name)
            self.bars = show_row_softmax(self, scaled, A, self.r, panel=self.grid.panel, replace=True, others=1,
                                         keep_bars=False, moment="ch09.softmax-work", row_names=self.tgt)
            retire(self, self.grid, scaled, A)
            self.play(rename(self, self.grid, rf"A_{HEAD}", self.theme.weights), run_time=0.5)
            f = formula_in(self, rec.formula, self.grid.panel, 32, self.theme.weights, below=self.grid.panel.top - 0.2)
            self.play(fade_in(f), run_time=0.5)
            self.weights_formula = f
        self.shown[f"{H}.weights"] = A

    def read_grid(self):
        theme = self.theme
        S, scaled, A = self.grid.mats
        r, tok = self.r, self.tgt[self.r]
        narration = (f"Read the grid by rows: each of the {self.m} target positions spreads its attention over the "
                     f"{self.n} source words, and each row sums to 1. The {ordinal(r + 1)} row, '{tok}', is the "
                     "decoder asking the source what it needs for the next word.")
        with self.step("ch09.grid", narration=narration, heading="Target rows, source columns"):
            panel = self.grid.panel
            rows_t = self.text("rows: target positions (queries, from the decoder)", 24, theme.query)
            cols_t = self.text("columns: source words (keys, from the encoder)", 24, theme.key)
            words = VGroup(rows_t, cols_t).arrange(DOWN, buff=0.15, aligned_edge=LEFT)
            region = Region(panel.left, panel.right, panel.bottom, panel.top - 0.2 - self.weights_formula.height)
            self.fit(words, width=region.width - 0.2, height=max(region.height - 0.1, 0.3))
            words.move_to(region.center)
            row_box = A.row_box(r, theme.query)
            col_mark = SurroundingRectangle(S.col_label_group, color=theme.key, buff=0.06, stroke_width=2.5)
            row_mark = SurroundingRectangle(S.row_label_group, color=theme.query, buff=0.06, stroke_width=2.5)
            self.play(fade_in(rows_t), Create(row_mark), run_time=0.8)
            self.play(fade_in(cols_t), Create(col_mark), run_time=0.8)
            self.play(Create(row_box), run_time=0.6)
            self.grid_marks = VGroup(words, row_box, col_mark, row_mark, self.weights_formula)

    def mix(self):
        theme = self.theme
        rec = self.record(f"{H}.out")
        A_vals, V_vals = self.value(f"{H}.weights"), self.value(f"{H}.v")
        r = self.r
        fs = 20
        widest = max(flat_text(format_number(x, self.cfg.decimals), theme.mono, fs, "#fff").width for x in A_vals[r])
        gap = widest + 0.65
        lay = layout_product(self, A_vals, V_vals, rec.value,
                             names=(f"A_{HEAD}", f"V_{HEAD}", rf"\mathrm{{head}}_{HEAD}"),
                             colors=(theme.weights, theme.value, None), left_row_labels=rec.rows,
                             right_row_labels=self.record(f"{H}.v").rows,
                             fills=(theme.weights, None, None), extra_gap=gap, kinds=("scheme", "row"), panel_rows=0)
        A, V, O = lay.left, lay.right, lay.result.hide_entries()
        tok = self.tgt[r]
        narration = (f"Now the mix. The row of '{tok}' takes each encoder value row, one per source word, times its "
                     "weight, and adds them up: this is how the source sentence reaches the decoder.")
        with self.step("ch09.mix", narration=narration, heading="A weighted mix of the encoder's value rows"):
            clear_stage(self, run_time=0.5, detach=True)
            self.play(fade_in(A), fade_in(V), fade_in(O), fade_in(lay.name_group), fade_in(lay.ops), run_time=0.8)
            box = A.row_box(r, theme.highlight)
            self.play(Create(box), run_time=0.5)
            fs_eff = effective_font_size(A)
            top_weight = max(float(A_vals[r].max()), 1e-9)
            col, srcs, glows = VGroup(), VGroup(), VGroup()
            left_edge = (V.row_label_group if V.row_labels else V.get_grid()).get_left()[0] - 0.22
            first_col = V.shown_col_indices()[0]
            for j in A.shown_col_indices():
                if not V.has_cell(j, first_col):
                    continue
                row = V.get_row(j)
                num = A.get_cell(r, j).text.copy().set_color(theme.weights)
                times = flat_text("×", theme.font, fs_eff, theme.dim)
                item = VGroup(num, times).arrange(RIGHT, buff=0.08)
                item.move_to([0, row.get_y(), 0]).align_to([left_edge, 0, 0], RIGHT)
                col.add(item)
                srcs.add(A.get_cell(r, j).text)
                # an outline as strong as the weight, relative to the row's largest (display only)
                strength = float(A_vals[r, j]) / top_weight
                glow = Rectangle(width=row.width + 0.12, height=row.height + 0.06)
                glow.set_stroke(theme.weights, width=1 + 4 * strength, opacity=0.15 + 0.85 * strength)
                glows.add(glow.move_to(row))
            self.play(TransformFromCopy(srcs, VGroup(*(it[0] for it in col))),
                      FadeIn(VGroup(*(it[1] for it in col))), run_time=1.2)
            self.play(fade_in(glows), run_time=0.8)
            self.wait(0.4)
            sums = []
            for j in O.shown_col_indices():
                sums.append(TransformFromCopy(V.get_column(j), O.get_cell(r, j)))
                O.show_entry(r, j)
            self.play(*sums, run_time=1.2)
            self.mix_marks = VGroup(col, glows, box)
        self.mix_lay = lay
        self.shown[f"{H}.v"] = V

    def rest(self):
        lay = self.mix_lay
        A, V, O = lay.left, lay.right, lay.result
        with self.step(f"{H}.out"):
            self.play(fade_out(self.mix_marks), run_time=0.5)
            show_matrix_product(self, A, V, O, detailed=0, rows=1, rest=True, speed=1.2)
            note = wrapped_note(self, [("One row per target position, each a mix of source words.",
                                        self.theme.text)], lay.panel) if lay.panel.height > 0.6 else None
            if note is not None:
                self.play(fade_in(note), run_time=0.5)
        self.shown[f"{H}.out"] = O
