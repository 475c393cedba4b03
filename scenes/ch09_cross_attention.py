"""Chapter 9: Cross-attention (decoder layer 0, head 1).

Where Q, K and V come from: the queries from the decoder's own rows, the keys and values from the encoder
output, brought back from chapter 7 (a common mistake takes Q from the encoder too). The attention grid has
one row per target position and one column per source word; each output row is a weighted mix of the
encoder's value rows.
"""
from __future__ import annotations

import numpy as np
from manim import (DOWN, LEFT, RIGHT, Arrow, Create, FadeIn, MathTex, ReplacementTransform, SurroundingRectangle,
                   TransformFromCopy, VGroup, VMobject, Write)

from scenes.base import ChapterScene
from scenes.components import NumericMatrix, Region, content_region, show_matrix_product, show_row_softmax
from scenes.components.attention import (AttentionGrid, ProjectionSteps, attention_grid, focus_row, formula_in,
                                         mix_layout, ordinal, rename, retire, scale_in_place, scores_step,
                                         weights_beside_values, wrapped_note)
from scenes.components.choreography import ProductLayout
from scenes.components.stage import clear_stage, fade_in, fade_out
from scenes.components.sums import cell_size

LAYER = "decoder.0.cross_attn"
HEAD = 1
H = f"{LAYER}.head{HEAD}"
DEC_IN = "decoder.0.norm1.out"      # the decoder rows the queries come from
ENC_OUT = "encoder.output"          # the rows the keys and values come from


class CrossAttentionScene(ChapterScene):
    def construct(self):
        self.title_card("The decoder reads the source sentence")
        shown = self.expose("shown", {})      # step id -> the matrix that shows it (for tests)
        src = list(self.example.tokens["source"])
        tgt = list(self.example.tokens["target_input"])
        r = focus_row(len(tgt))
        self.where_from(shown, *self.encoder_output(shown, len(src)))
        self.projections(shown, src, tgt)
        scores = scores_step(self, H, HEAD, [(f"{len(tgt)} target positions × {len(src)} source words:",
                                              self.theme.text),
                                             ("no mask here, the whole source is known.", self.theme.dim)]).result
        shown[f"{H}.scores"] = scores
        grid, formula = self.scale(shown, scores, r)
        formula = self.softmax(shown, grid, r, tgt, formula)
        self.read_grid(grid, r, tgt, len(src), formula)
        self.rest(shown, *self.mix(shown, r, tgt[r]))

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
    def encoder_output(self, shown: dict, n: int) -> tuple[NumericMatrix, NumericMatrix, MathTex, VGroup]:
        """The encoder output H (n rows), named. Returns it, the decoder rows Y (not yet shown), and H's name
        and note."""
        theme = self.theme
        Hm, Ym = self.two_sides()
        with self.step(ENC_OUT, heading="Back from chapter 7: the encoder output"):
            name = MathTex(r"H = \mathrm{Enc}(X)", font_size=34, color=theme.key)
            where = self.text(f"one row per source word: {n} × {self.cfg.d_model}", 22, theme.dim)
            block = VGroup(name, Hm, where).arrange(DOWN, buff=0.25)
            self.place_in_content(block)
            self.play(fade_in(Hm), fade_in(name), run_time=1.0)
            self.play(fade_in(where), run_time=0.6)
        shown[ENC_OUT] = Hm
        return Hm, Ym, name, where

    def where_from(self, shown: dict, Hm: NumericMatrix, Ym: NumericMatrix, H_name: MathTex,
                   H_where: VGroup):
        theme = self.theme
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
            self.play(ReplacementTransform(Hm, H_target), fade_out(H_name), fade_out(H_where),
                      fade_in(h_head), run_time=1.0)
            self.play(fade_in(Ym), fade_in(y_head), run_time=0.8)
            self.play(Create(a_q), Write(q), run_time=0.9)
            self.play(fade_in(q_note), run_time=0.5)
            self.play(Create(a_k), Create(a_v), Write(k), Write(v), run_time=1.0)
            self.play(fade_in(kv_note), run_time=0.5)
        shown[DEC_IN] = Ym

    def projections(self, shown: dict, src: list[str], tgt: list[str]):
        theme = self.theme
        Y, Hv = self.value(DEC_IN), self.value(ENC_OUT)
        proj = ProjectionSteps(self, LAYER, HEAD)
        with self.step(f"{H}.q"):
            clear_stage(self, detach=True)
            lay = proj.play("q", "W_Q", theme.query, Y, "Y", tgt, same_input=False, detailed=1, rows=1, speed=1.8)
        self.expose("q_input", lay.left)
        shown[f"{H}.q"] = lay.result
        with self.step(f"{H}.k"):
            lay = proj.play("k", "W_K", theme.key, Hv, "H", src, same_input=False, rows=1, speed=2.0)
        self.expose("k_input", lay.left)
        shown[f"{H}.k"] = lay.result
        with self.step(f"{H}.v"):
            lay = proj.play("v", "W_V", theme.value, Hv, "H", src, same_input=True, rows=0, speed=2.0)
        shown[f"{H}.v"] = lay.result

    def scale(self, shown: dict, old: NumericMatrix, r: int) -> tuple[AttentionGrid, VMobject]:
        """old: the scores matrix of the scores step, which gives way to the grid's first matrix. Returns the
        grid (scores, scaled, weights) and the scale's formula."""
        rec = self.record(f"{H}.scaled")
        recs = [self.record(f"{H}.{s}") for s in ("scores", "scaled", "weights")]
        grid = self.expose("grid", attention_grid(self, recs, fills=[None, None, self.theme.weights],
                                                  name_tex=f"S_{HEAD}", keep_row=r))
        S, scaled, A = grid.mats
        with self.step(f"{H}.scaled"):
            f = scale_in_place(self, grid, old, rec.formula, HEAD, run_time=1.4)
        shown[f"{H}.scaled"] = scaled
        return grid, f

    def softmax(self, shown: dict, grid: AttentionGrid, r: int, tgt: list[str],
                scale_formula: VMobject) -> VMobject:
        """Row r's softmax in detail, the others quickly. Returns the weights' formula."""
        S, scaled, A = grid.mats
        rec = self.record(f"{H}.weights")
        with self.step(f"{H}.weights"):
            self.add(scale_formula)
            self.play(fade_out(scale_formula), run_time=0.4)
            self.add(A, grid.name)
            show_row_softmax(self, scaled, A, r, panel=grid.panel, replace=True, others=1, keep_bars=False,
                             moment="ch09.softmax-work", row_names=tgt)
            retire(self, grid, scaled, A)
            self.play(rename(self, grid, rf"A_{HEAD}", self.theme.weights), run_time=0.5)
            f = formula_in(self, rec.formula, grid.panel, 32, self.theme.weights, below=grid.panel.top - 0.2)
            self.play(fade_in(f), run_time=0.5)
        shown[f"{H}.weights"] = A
        return f

    def read_grid(self, grid: AttentionGrid, r: int, tgt: list[str], n: int, weights_formula: VMobject):
        theme = self.theme
        S, scaled, A = grid.mats
        m, tok = len(tgt), tgt[r]
        narration = (f"Read the grid by rows: each of the {m} target positions spreads its attention over the "
                     f"{n} source words, and each row sums to 1. The {ordinal(r + 1)} row, '{tok}', is the "
                     "decoder asking the source what it needs for the next word.")
        with self.step("ch09.grid", narration=narration, heading="Target rows, source columns"):
            panel = grid.panel
            rows_t = self.text("rows: target positions (queries, from the decoder)", 24, theme.query)
            cols_t = self.text("columns: source words (keys, from the encoder)", 24, theme.key)
            words = VGroup(rows_t, cols_t).arrange(DOWN, buff=0.15, aligned_edge=LEFT)
            region = Region(panel.left, panel.right, panel.bottom, panel.top - 0.2 - weights_formula.height)
            self.fit(words, width=region.width - 0.2, height=max(region.height - 0.1, 0.3))
            words.move_to(region.center)
            row_box = A.row_box(r, theme.query)
            col_mark = SurroundingRectangle(S.col_label_group, color=theme.key, buff=0.06, stroke_width=2.5)
            row_mark = SurroundingRectangle(S.row_label_group, color=theme.query, buff=0.06, stroke_width=2.5)
            self.play(fade_in(rows_t), Create(row_mark), run_time=0.8)
            self.play(fade_in(cols_t), Create(col_mark), run_time=0.8)
            self.play(Create(row_box), run_time=0.6)

    def mix(self, shown: dict, r: int, tok: str) -> tuple[ProductLayout, VGroup]:
        """Row r's mix of the encoder's value rows. Returns the layout and the marks of the mix."""
        theme = self.theme
        A_vals = self.value(f"{H}.weights")
        lay = mix_layout(self, H, HEAD, r)
        A, V, O = lay.left, lay.right, lay.result.hide_entries()
        narration = (f"Now the mix. The row of '{tok}' takes each encoder value row, one per source word, times its "
                     "weight, and adds them up: this is how the source sentence reaches the decoder.")
        with self.step("ch09.mix", narration=narration, heading="A weighted mix of the encoder's value rows"):
            clear_stage(self, run_time=0.5, detach=True)
            self.play(fade_in(A), fade_in(V), fade_in(O), fade_in(lay.name_group), fade_in(lay.ops), run_time=0.8)
            box = A.row_box(r, theme.highlight)
            self.play(Create(box), run_time=0.5)
            col, srcs, glows = weights_beside_values(self, A, V, r, A_vals)
            self.play(TransformFromCopy(srcs, VGroup(*(it[0] for it in col))),
                      FadeIn(VGroup(*(it[1] for it in col))), run_time=1.2)
            self.play(fade_in(glows), run_time=0.8)
            self.wait(0.4)
            sums = []
            for j in O.shown_col_indices():
                sums.append(TransformFromCopy(V.get_column(j), O.get_cell(r, j)))
                O.show_entry(r, j)
            self.play(*sums, run_time=1.2)
        shown[f"{H}.v"] = V
        return lay, VGroup(col, glows, box)

    def rest(self, shown: dict, lay: ProductLayout, marks: VGroup):
        A, V, O = lay.left, lay.right, lay.result
        with self.step(f"{H}.out"):
            self.play(fade_out(marks), run_time=0.5)
            show_matrix_product(self, A, V, O, detailed=0, rows=1, rest=True, speed=1.2)
            note = wrapped_note(self, [("One row per target position, each a mix of source words.",
                                        self.theme.text)], lay.panel) if lay.panel.height > 0.6 else None
            if note is not None:
                self.play(fade_in(note), run_time=0.5)
        shown[f"{H}.out"] = O
