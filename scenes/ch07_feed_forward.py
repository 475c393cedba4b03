"""Chapter 7: Feed-forward and the encoder output. Each row on its own is widened (x·W_1 + b_1, d_model →
d_ff), the ReLU turns its negative numbers into zeros, and it is narrowed back (·W_2 + b_2); the second
Add & Norm; the encoder output that the decoder's cross-attention will read."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, AnimationGroup, Arrow, Create, FadeIn, FadeOut, Group, LaggedStart, MathTex,
                   ReplacementTransform, RoundedRectangle, Succession, Transform, TransformFromCopy, VGroup)

from scenes.base import ChapterScene
from scenes.components import NumericMatrix, flat_text
from scenes.components.shown import register
from scenes.components.sums import MatrixSum, build_matrix_sum, cell_size, columns_that_fit, drop, play_matrix_sum
from scenes.components.stage import clear_stage, content_region, everything_but, keep_inside

L = "encoder.0"
ROW = 0   # the row followed through the network: the first token


@dataclass(frozen=True)
class WideLayout:
    """How an n × d_ff matrix is drawn across the content width: font size, cell width, shown columns."""
    font_size: float
    cell_width: float
    cols: list[int | None] | None


class FeedForwardScene(ChapterScene):
    def construct(self):
        self.title_card("Each row on its own")
        tokens = list(self.example.tokens["source"])
        X1, leftovers = self.one_row_at_a_time()
        pre, wide, flow = self.widen(tokens, X1, leftovers)
        hidden, relu_formula = self.relu(pre, wide, flow)
        self.narrow(hidden, relu_formula, wide)
        ms = self.second_residual(tokens)
        out2 = self.second_norm(ms)
        self.encoder_output(out2)

    def fill_rows(self, m: NumericMatrix, skip: int, row_time: float = 0.22):
        """Every row but skip appears in turn, in one play: the same computation, row after row."""
        rows = [i for i in m.shown_row_indices() if i != skip]
        for i in rows:
            for j in m.shown_col_indices():
                m.show_entry(i, j)
        if rows:
            self.play(LaggedStart(*(FadeIn(m.get_row(i), shift=DOWN * 0.1) for i in rows), lag_ratio=0.7),
                      run_time=row_time * (0.7 * len(rows) + 0.3))
        self.add(m)

    # ------------------------------------------------------------ layout helpers
    def wide_layout(self, values, tokens) -> WideLayout:
        """Font, cell width and shown columns for an n × d_ff matrix across the content width."""
        label_w = max(flat_text(t, self.theme.font, self.theme.size_label, self.theme.text).width
                      for t in tokens) + 0.3
        for fs in (self.theme.size_label, self.theme.size_min):
            w, h = cell_size(values, self.theme, fs, self.cfg.decimals)
            cols = columns_that_fit(values.shape[1], self.content_width - label_w - 0.2, w)
            if cols == list(range(values.shape[1])) or fs == self.theme.size_min:
                return WideLayout(fs, w, cols)

    def flow_layout(self, top_row: NumericMatrix, arrow_text: VGroup, matrix: NumericMatrix) -> VGroup:
        """A row on top, an arrow down with what is applied, the full matrix below it."""
        arrow = Arrow(UP * 0.45, DOWN * 0.45, buff=0, color=self.theme.ffn, stroke_width=5,
                      max_tip_length_to_length_ratio=0.3)
        top_row.move_to([0, self.content_top - 0.1 - top_row.height / 2, 0])
        top_row.shift(RIGHT * (0 - top_row.get_grid().get_x()))
        keep_inside(top_row, content_region(self))    # a long row label: the row moves over
        arrow.next_to(top_row.get_grid(), DOWN, buff=0.12)
        arrow_text.next_to(arrow, RIGHT, buff=0.25)
        matrix.next_to(arrow, DOWN, buff=0.12)
        matrix.shift(RIGHT * (0 - matrix.get_grid().get_x()))
        keep_inside(matrix, content_region(self))     # long row labels: the matrix moves, the numbers stay
        group = VGroup(top_row, arrow, arrow_text, matrix)
        if group.get_bottom()[1] < self.content_bottom:   # squeeze the gaps, never the numbers
            matrix.shift(UP * (self.content_bottom - group.get_bottom()[1]))
            arrow.move_to([arrow.get_x(), (top_row.get_bottom()[1] + matrix.get_top()[1]) / 2, 0])
            arrow.scale(min(1.0, (top_row.get_bottom()[1] - matrix.get_top()[1] - 0.1) / arrow.height))
            arrow_text.next_to(arrow, RIGHT, buff=0.25)
        else:                                             # room to spare: centre the whole flow
            group.shift(DOWN * (group.get_bottom()[1] - self.content_bottom) / 2)
        return arrow

    # ------------------------------------------------------------ steps
    def one_row_at_a_time(self) -> tuple[NumericMatrix, VGroup]:
        """X_1, a frame sweeping its rows; returns X_1 and what goes with it (name, row frame, note)."""
        rec = self.record(f"{L}.norm1.out")
        n, d = rec.value.shape
        narration = ("Next comes a small network of two layers, applied to each row on its own: the same weights "
                     "for every token, and no token looks at another here. Attention did the mixing; this step "
                     "works on each token alone.")
        with self.step("ch07.per-row", narration=narration, heading="Feed-forward: one row at a time"):
            fs = self.theme.size_label if n <= 10 else self.theme.size_min
            X = register(self, f"{L}.norm1.out", NumericMatrix(rec.value, self.theme, decimals=self.cfg.decimals,
                                                              row_labels=rec.rows, font_size=fs, max_rows=12))
            name = MathTex(r"X_1 = \mathrm{AddNorm}_1(X)", font_size=32, color=self.theme.text)
            block = VGroup(name, X).arrange(DOWN, buff=0.25)
            self.place_in_content(block)
            self.play(FadeIn(X), FadeIn(name), run_time=1.0)
            # a frame visits every row in turn (one play), then stays on the row we follow
            sweep = [X.row_box(i, self.theme.ffn) for i in X.shown_row_indices()]
            self.play(LaggedStart(*(Succession(FadeIn(b, run_time=0.2), FadeOut(b, run_time=0.2)) for b in sweep),
                                  lag_ratio=0.55), run_time=0.3 * len(sweep) + 0.3)
            box = X.row_box(ROW, self.theme.ffn)
            self.play(Create(box), run_time=0.5)
            note = VGroup(self.t("same weights for every row", 22, self.theme.ffn),
                          self.t("no mixing between tokens", 22, self.theme.ffn))
            note.arrange(DOWN, buff=0.1)
            room = self.content_width / 2 - X.get_right()[0]
            if room > note.width + 0.5:
                note.next_to(X, RIGHT, buff=0.4)
            else:
                self.fit(note, width=self.content_width)
                note.next_to(X, DOWN, buff=0.15)
                if note.get_bottom()[1] < self.content_bottom:
                    note.next_to(name, RIGHT, buff=0.4)
            self.play(FadeIn(note), run_time=0.6)
        return X, VGroup(name, box, note)

    def widen(self, tokens, X1: NumericMatrix, leftovers: VGroup) -> tuple[NumericMatrix, WideLayout, VGroup]:
        """x · W_1 + b_1 for the followed row, then every row; returns the widened matrix, its layout and
        the flow drawn above it (row, arrow, what is applied, the shapes)."""
        rec = self.record(f"{L}.ffn.pre")
        n, dff = rec.value.shape
        d = self.cfg.d_model
        r, theme, dec = ROW, self.theme, self.cfg.decimals
        X1_name, row_mark, note = leftovers
        with self.step(f"{L}.ffn.pre"):
            wide = self.wide_layout(rec.value, tokens)
            fs, w, cols = wide.font_size, wide.cell_width, wide.cols
            pre = NumericMatrix(rec.value, theme, decimals=dec, row_labels=rec.rows, font_size=fs,
                                cell_width=w, cols=cols, max_rows=12).hide_entries()
            register(self, f"{L}.ffn.pre", pre)
            x_row = NumericMatrix(X1.values[r:r + 1], theme, decimals=dec, row_labels=[rec.rows[r]],
                                  font_size=fs, cell_width=w)
            register(self, f"{L}.norm1.out", x_row, rows=[r])
            what = VGroup(MathTex(r"\cdot\, W_1 + b_1", font_size=32, color=theme.ffn),
                          MathTex(rf"W_1:\ {d} \times {dff}", font_size=26, color=theme.dim)).arrange(
                DOWN, buff=0.1, aligned_edge=LEFT)
            arrow = self.flow_layout(x_row, what, pre)
            shape_in = self.t(f"{d} numbers", 20, theme.dim).next_to(x_row, RIGHT, buff=0.3)
            shape_out = self.t(f"{dff} numbers per row", 20, theme.dim)
            shape_out.next_to(what, RIGHT, buff=0.6)
            self.play(FadeOut(note), FadeOut(X1_name), FadeOut(row_mark),
                      TransformFromCopy(X1.get_row(r), x_row.get_row(0)), FadeIn(x_row.row_label_group),
                      FadeIn(x_row.brackets), FadeOut(X1), run_time=1.2)
            self.add(x_row)
            self.play(Create(arrow), FadeIn(what), FadeIn(shape_in), run_time=0.8)
            self.play(Create(pre.brackets), FadeIn(pre.row_label_group), FadeIn(pre.ellipses), run_time=0.6)
            for j in pre.shown_col_indices():
                pre.show_entry(r, j)
            box = pre.row_box(r, theme.ffn)
            self.play(TransformFromCopy(x_row.get_row(0), pre.get_row(r)), Create(box), FadeIn(shape_out),
                      run_time=1.4)
            self.wait(0.6)
            self.fill_rows(pre, skip=r)
            self.play(FadeOut(box), run_time=0.3)
        return pre, wide, VGroup(x_row, arrow, what, VGroup(shape_in, shape_out))

    def relu(self, pre: NumericMatrix, wide: WideLayout, flow: VGroup) -> tuple[NumericMatrix, MathTex]:
        """The negative numbers of pre turn into zeros; returns the ReLU's output and its formula."""
        rec = self.record(f"{L}.ffn.hidden")
        pre_vals = self.value(f"{L}.ffn.pre")
        theme = self.theme
        x_row, arrow, what, shapes = flow
        with self.step(f"{L}.ffn.hidden"):
            hidden = NumericMatrix(rec.value, theme, decimals=self.cfg.decimals, row_labels=rec.rows,
                                   font_size=wide.font_size, cell_width=wide.cell_width, cols=wide.cols, max_rows=12)
            hidden.move_to(pre)
            register(self, f"{L}.ffn.hidden", hidden)
            relu = MathTex(r"\mathrm{ReLU}(v) = \max(0,\ v)", font_size=36, color=theme.ffn)
            relu.move_to(VGroup(x_row, arrow))
            self.play(FadeOut(x_row), FadeOut(arrow), FadeOut(what), FadeOut(shapes),
                      FadeIn(relu), run_time=0.8)
            negative = [(i, j) for (i, j) in pre.cells if pre_vals[i, j] < 0]
            boxes = VGroup(*(pre.cell_box(i, j, theme.mask, buff=0.0) for i, j in negative))
            if len(boxes):
                self.play(Create(boxes, lag_ratio=0.02), run_time=1.2)
                self.wait(0.5)
                self.play(*(Transform(pre.get_cell(i, j), hidden.get_cell(i, j).copy()) for i, j in negative),
                          run_time=1.2)
                self.play(FadeOut(boxes), run_time=0.4)
            # the on-screen matrix is now the ReLU's output, cell for cell
            drop(self, pre)
            self.add(hidden)
            self.wait(0.5)
        return hidden, relu

    def narrow(self, hidden: NumericMatrix, relu_formula: MathTex, wide: WideLayout):
        rec = self.record(f"{L}.ffn.out")
        n, d = rec.value.shape
        dff = self.cfg.d_ff
        r, theme, dec = ROW, self.theme, self.cfg.decimals
        with self.step(f"{L}.ffn.out"):
            h_row = NumericMatrix(hidden.values[r:r + 1], theme, decimals=dec, row_labels=[rec.rows[r]],
                                  font_size=wide.font_size, cell_width=wide.cell_width, cols=wide.cols)
            register(self, f"{L}.ffn.hidden", h_row, rows=[r])
            ofs = self.theme.size_label if n <= 10 else self.theme.size_min
            out = NumericMatrix(rec.value, theme, decimals=dec, row_labels=rec.rows, font_size=ofs,
                                max_rows=12).hide_entries()
            register(self, f"{L}.ffn.out", out)
            what = VGroup(MathTex(r"\cdot\, W_2 + b_2", font_size=32, color=theme.ffn),
                          MathTex(rf"W_2:\ {dff} \times {d}", font_size=26, color=theme.dim)).arrange(
                DOWN, buff=0.1, aligned_edge=LEFT)
            arrow = self.flow_layout(h_row, what, out)
            shape_out = self.t(f"back to {d} numbers per row", 20, theme.dim)
            shape_out.next_to(what, RIGHT, buff=0.6)
            self.play(FadeOut(relu_formula),
                      TransformFromCopy(hidden.get_row(r), h_row.get_row(0)), FadeIn(h_row.row_label_group),
                      FadeIn(h_row.brackets), FadeIn(h_row.ellipses), FadeOut(hidden), run_time=1.2)
            self.add(h_row)
            self.play(Create(arrow), FadeIn(what), run_time=0.8)
            self.play(Create(out.brackets), FadeIn(out.row_label_group), run_time=0.5)
            for j in out.shown_col_indices():
                out.show_entry(r, j)
            box = out.row_box(r, theme.ffn)
            self.play(TransformFromCopy(h_row.get_row(0), out.get_row(r)), Create(box), FadeIn(shape_out),
                      run_time=1.4)
            self.wait(0.5)
            self.fill_rows(out, skip=r)
            self.play(FadeOut(box), run_time=0.3)

    def second_residual(self, tokens) -> MatrixSum:
        rec = self.record(f"{L}.norm2.sum")
        theme, dec = self.theme, self.cfg.decimals
        with self.step(f"{L}.norm2.sum"):
            clear_stage(self, fade=FadeOut)
            ms = build_matrix_sum(self, self.value(f"{L}.norm1.out"), self.value(f"{L}.ffn.out"), rec.value,
                                  ("X_1", r"\mathrm{FFN}(X_1)", "Z_2"), rec.rows, decimals=dec)
            if ms.a is not None:
                register(self, f"{L}.norm1.out", ms.a)
                register(self, f"{L}.ffn.out", ms.b)
            register(self, f"{L}.norm2.sum", ms.c)
            left = play_matrix_sum(self, ms, ROW, slow_cells=1, row_time=0.2, decimals=dec, tokens=tokens)
            note = VGroup(self.t("the row is kept,", 22, theme.residual),
                          self.t("the feed-forward only adjusts it", 22, theme.residual),
                          MathTex(r"\mathrm{LayerNorm}(X_1 + \mathrm{FFN}(X_1))", font_size=30, color=theme.text))
            note.arrange(DOWN, buff=0.15)
            note[2].shift(DOWN * 0.2)
            self.fit(note, width=ms.side_width - 0.1)
            ms.place_beside(note)
            self.play(FadeOut(left), FadeIn(note), run_time=0.6)
        return ms

    def second_norm(self, ms: MatrixSum) -> NumericMatrix:
        """The second Add & Norm, row by row; returns its output on screen."""
        rec = self.record(f"{L}.norm2.normalized")
        out_rec = self.record(f"{L}.norm2.out")
        n, d = rec.value.shape
        theme, dec = self.theme, self.cfg.decimals
        gamma, beta = self.example.weights[f"{L}.norm2.gamma"], self.example.weights[f"{L}.norm2.beta"]
        fs = self.theme.size_label if n <= 8 else self.theme.size_min
        allv = np.concatenate([ms.c.values.ravel(), rec.value.ravel(), out_rec.value.ravel(), gamma, beta])
        w, _ = cell_size(allv, theme, fs, self.cfg.decimals)
        mk = dict(decimals=dec, font_size=fs, cell_width=w)
        z = NumericMatrix(ms.c.values, theme, row_labels=rec.rows, max_rows=12, **mk)
        zh = NumericMatrix(rec.value, theme, row_labels=rec.rows, max_rows=12, **mk)
        out = NumericMatrix(out_rec.value, theme, row_labels=rec.rows, max_rows=12, **mk)
        mu = NumericMatrix(self.value(f"{L}.norm2.mean"), theme, column_vector=True, col_labels=["μ"], max_rows=12,
                           **mk)
        var = NumericMatrix(self.value(f"{L}.norm2.var"), theme, column_vector=True, col_labels=["σ²"],
                            max_rows=12, **mk)
        g = NumericMatrix(gamma, theme, row_labels=["γ"], **mk)
        b = NumericMatrix(beta, theme, row_labels=["β"], **mk)
        for step_id, m in ((f"{L}.norm2.normalized", zh), (f"{L}.norm2.out", out),
                           (f"{L}.norm2.mean", mu), (f"{L}.norm2.var", var), (f"{L}.norm2.gamma", g),
                           (f"{L}.norm2.beta", b)):
            register(self, step_id, m)
        name = MathTex(r"\hat Z_2 = \frac{Z_2 - \mu}{\sqrt{\sigma^2 + \epsilon}}", font_size=30, color=theme.text)
        out_name = MathTex(r"\mathrm{LayerNorm}(Z_2) = \gamma \odot \hat Z_2 + \beta", font_size=30,
                           color=theme.residual)
        row = VGroup(z, mu, var).arrange(RIGHT, buff=0.3, aligned_edge=DOWN)
        top = VGroup(g, b).arrange(DOWN, buff=0.15)
        block = VGroup(top, row).arrange(DOWN, buff=0.2)
        for m in (g, b):
            m.shift(RIGHT * (z.get_grid().get_x() - m.get_grid().get_x()))
        block.move_to([0, (self.content_top + self.content_bottom) / 2, 0])
        block.align_to([-self.content_width / 2 + 0.1, 0, 0], LEFT)
        zh.move_to(z)
        out.move_to(z)
        # the formula beside γ and β (they appear in the second step), in the room to their right
        room = self.content_width / 2 - top.get_right()[0] - 0.4
        for f in (name, out_name):
            self.fit(f, width=room, height=top.height + 0.1)
            f.next_to(top, RIGHT, buff=0.4)
        # centred across the frame when it is narrower than the content area
        everything = VGroup(block, zh, out, name, out_name)
        everything.shift(RIGHT * (0 - VGroup(block, out_name, name).get_x()))
        with self.step(f"{L}.norm2.normalized", heading="Add & Norm, again"):
            self.play(FadeOut(Group(*everything_but(self))), run_time=0.6)
            self.play(FadeIn(z, shift=LEFT * 0.3), run_time=0.7)
            self.play(FadeIn(mu), FadeIn(var), FadeIn(name), run_time=0.8)
            # row by row, each with its own mean and variance
            turns = []
            for k, i in enumerate(z.shown_row_indices()):
                marks = VGroup(z.row_box(i, theme.highlight), mu.row_box(i, theme.highlight),
                               var.row_box(i, theme.highlight))
                slow = 2.5 if k == 0 else 1.0
                turns += [Create(marks, run_time=0.25 * slow),
                          AnimationGroup(Transform(z.get_row(i), zh.get_row(i).copy()), FadeOut(marks),
                                         run_time=0.3 * slow)]
            self.play(Succession(*turns))
            drop(self, z)
            self.add(zh)
            self.wait(0.5)
        with self.step(f"{L}.norm2.out", heading="Add & Norm, again"):
            self.play(FadeIn(g), FadeIn(b), ReplacementTransform(name, out_name), run_time=0.9)
            # the numbers change in place: morph the entries only, then the output matrix takes over
            self.play(*(Transform(zh.get_cell(i, j).text, out.get_cell(i, j).text.copy()) for (i, j) in zh.cells),
                      run_time=1.2)
            drop(self, zh)
            self.add(out)
            self.wait(0.6)
        return out

    def encoder_output(self, out2: NumericMatrix):
        rec = self.record("encoder.output")
        theme = self.theme
        # H beside a box for the decoder: the largest numbers that leave the box room to be read
        for fs in (self.theme.size_label, self.theme.size_min):
            w, _ = cell_size(rec.value, theme, fs, self.cfg.decimals)
            H = NumericMatrix(rec.value, theme, decimals=self.cfg.decimals, row_labels=rec.rows, font_size=fs,
                              cell_width=w, max_rows=12)
            if self.content_width - H.width - 1.2 >= 4.2:
                break
        register(self, "encoder.output", H)
        name = MathTex(r"H = \mathrm{Enc}(X)", font_size=34, color=theme.text)
        block = VGroup(name, H).arrange(DOWN, buff=0.25)
        block.move_to([-self.content_width / 2 + block.width / 2 + 0.1,
                       (self.content_top + self.content_bottom) / 2, 0])
        right_l = block.get_right()[0] + 1.0
        right_w = self.content_width / 2 - right_l
        title = self.t("Decoder", 28, theme.text)
        inner = VGroup(self.t("cross-attention", 26, theme.key),
                       MathTex(r"K = H\,W_K", font_size=34, color=theme.text),
                       MathTex(r"V = H\,W_V", font_size=34, color=theme.text),
                       self.t("queries: from the decoder", 22, theme.dim))
        inner.arrange(DOWN, buff=0.18)
        content = VGroup(title, inner).arrange(DOWN, buff=0.3)
        self.fit(content, width=right_w - 0.4)
        frame = RoundedRectangle(corner_radius=0.2, width=content.width + 0.4, height=content.height + 0.5,
                                 stroke_color=theme.dim, stroke_width=2, fill_color=theme.panel, fill_opacity=0.6)
        content.move_to(frame)
        VGroup(frame, content).move_to([right_l + right_w / 2, H.get_y(), 0])
        arrow = Arrow(H.get_right() + RIGHT * 0.05, frame.get_left(), buff=0.1, color=theme.key, stroke_width=5)
        with self.step("encoder.output"):
            # the Add & Norm output is the encoder's output: it slides aside, now called H
            self.play(FadeOut(Group(*everything_but(self, out2))), run_time=0.5)
            self.play(FadeOut(out2, shift=LEFT * 0.5), FadeIn(H, shift=LEFT * 0.5), FadeIn(name), run_time=0.9)
            self.play(FadeIn(frame), FadeIn(content), run_time=0.8)
            self.play(Create(arrow), run_time=0.8)
            self.wait(1.0)
