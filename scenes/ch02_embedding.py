"""Chapter 2: Embedding. One-hot rows times W_E pick rows of W_E; then the scale by sqrt(d_model)."""
from __future__ import annotations

from manim import (DOWN, RIGHT, UP, Create, FadeIn, FadeOut, MathTex, ReplacementTransform,
                   TransformFromCopy, VGroup)

from scenes.base import ChapterScene
from mathcore.elide import elide
from scenes.components import NumericMatrix, first_readable, shown_subset

# the smallest scale of the product row whose 20-pt numbers still keep the layout audit's 18 px at 1080p
# (8 px at 480p), with a little room: the default example shows its whole row, a larger one is elided
READABLE_SCALE = 0.675


class EmbeddingScene(ChapterScene):
    def construct(self):
        self.title_card("A token becomes a row of numbers")
        self.the_table()
        onehot, label = self.one_hot_rows()
        onehot, W_E, E, names, ops = self.pick_rows(onehot, label)
        self.scale_rows(onehot, W_E, E, names, ops)

    # ------------------------------------------------------------ steps
    def the_table(self):
        W = self.example.weights["embedding.W_E"]
        V, d = W.shape
        run = self.example.training
        origin = (f"They started as seeded random numbers and were learned in {run.steps} training steps, then "
                  f"rounded to {run.decimals} decimals" if run is not None else
                  "Training would learn them; here they are seeded random numbers with zero mean, rounded to "
                  f"{self.cfg.decimals} decimals")
        words = (f"The embedding matrix W_E has one row per word of the vocabulary: {V} rows of {d} numbers. "
                 f"{origin}, so the numbers shown are exactly the numbers used.")
        with self.step("ch02.table", narration=words, heading="The embedding matrix"):
            table = NumericMatrix(W, self.theme, row_labels=self.example.vocab, max_rows=11)
            name = MathTex(rf"W_E \in \mathbb{{R}}^{{{V} \times {d}}}", font_size=36, color=self.theme.embedding)
            group = VGroup(name, table).arrange(DOWN, buff=0.3)
            self.place_in_content(group)
            self.play(FadeIn(name), Create(table.brackets), FadeIn(table.row_label_group), run_time=0.8)
            self.play(FadeIn(table.body, lag_ratio=0.01), run_time=1.5)
            self.wait(1)
        self.play(FadeOut(group), run_time=0.5)

    def one_hot_rows(self):
        rec = self.record("source.onehot")
        ids = self.value("source.ids")
        # show the vocabulary columns that the sentence uses; the rest are elided
        cols = shown_subset(rec.shape[1], ids, limit=12)
        with self.step("source.onehot"):
            onehot = NumericMatrix(rec.value, self.theme, decimals=0, row_labels=rec.rows,
                                        col_labels=rec.cols, cols=cols, max_rows=12, fill_color=self.theme.embedding)
            label = MathTex(r"\mathrm{onehot}", font_size=34, color=self.theme.text)
            self.place_in_content(onehot)
            label.next_to(onehot, UP, buff=0.25)
            if label.get_top()[1] > self.content_top:
                label.next_to(onehot, DOWN, buff=0.25)
            if label.get_bottom()[1] < self.content_bottom:
                # no room above or below (tall column labels): the matrix makes room for its name
                self.fit(onehot, height=self.content_height - label.height - 0.25)
                pair = VGroup(label, onehot).arrange(DOWN, buff=0.25)
                pair.move_to([0, (self.content_top + self.content_bottom) / 2, 0])
            self.play(FadeIn(onehot.row_label_group), FadeIn(onehot.col_label_group),
                      Create(onehot.brackets), run_time=1)
            self.play(FadeIn(onehot.body, lag_ratio=0.02), FadeIn(label), run_time=1.5)
        return onehot, label

    def pick_rows(self, onehot: NumericMatrix, onehot_label):
        rec = self.record("source.embedding")
        ids = [int(i) for i in self.value("source.ids")]
        W = self.example.weights["embedding.W_E"]
        vocab = self.example.vocab
        with self.step("source.embedding"):
            # onehot (left, smaller) · W_E (middle) = E (right)
            self.play(FadeOut(onehot_label), run_time=0.3)
            onehot_rec = self.record("source.onehot")

            def product(k, cols):
                """The row with W_E's and E's columns cols; k: only the first k tokens' 1s (one-hot columns)
                and rows of W_E are shown (None: every token's)."""
                if k is None:
                    onehot_cols, w_rows = list(onehot.shown_cols), shown_subset(W.shape[0], ids, limit=10)
                else:
                    onehot_cols = shown_subset(onehot_rec.shape[1], ids[:k], limit=0)
                    w_rows = shown_subset(W.shape[0], ids[:k], limit=0)

                def build():
                    t = NumericMatrix(onehot_rec.value, self.theme, decimals=0, row_labels=onehot_rec.rows,
                                      col_labels=onehot_rec.cols, cols=onehot_cols, max_rows=12,
                                      fill_color=self.theme.embedding)
                    w = NumericMatrix(W, self.theme, row_labels=vocab, rows=w_rows, cols=cols, fill_color=None)
                    # E's rows line up with the one-hot's (the same tokens, the same row pitch), so the
                    # one-hot's row labels name both and E needs none
                    e = NumericMatrix(rec.value, self.theme, max_rows=12, cols=cols).hide_entries()
                    return VGroup(t, MathTex(r"\cdot", font_size=48, color=self.theme.text), w,
                                  MathTex("=", font_size=48, color=self.theme.text), e).arrange(RIGHT, buff=0.2)
                return build

            # the least elided row whose numbers stay at the theme's minimum size or above: first W_E's and
            # E's columns are elided (⋯), then only the first tokens' one-hot columns and W_E rows are shown
            d = W.shape[1]
            col_sets = [elide(d, m) for m in sorted({d, min(d, 6), min(d, 4)}, reverse=True)]
            layouts = [product(k, c) for k in (None, 6, 4, 3, 2) for c in col_sets]
            row = first_readable(layouts, self.content_width, self.content_height - 0.8, READABLE_SCALE)
            target, dot, W_E, eq, E = row
            first = E.shown_row_indices()[0]
            E.shift(UP * (target.get_row(first).get_center()[1] - E.get_row(first).get_center()[1]))
            self.fit(row, height=self.content_height - 0.8)
            row.move_to([0, (self.content_top + self.content_bottom) / 2 - 0.2, 0])
            names = VGroup(
                MathTex(r"\mathrm{onehot}", font_size=30, color=self.theme.text).next_to(row[0], UP, buff=0.2),
                MathTex("W_E", font_size=34, color=self.theme.embedding).next_to(row[2], UP, buff=0.2),
                MathTex("E", font_size=34, color=self.theme.text).next_to(row[4], UP, buff=0.2),
            )
            for n in names:   # column labels of the one-hot sit above the matrix: keep names clear of them
                n.set_y(max(m.get_top()[1] for m in row) + 0.3)
            self.play(ReplacementTransform(onehot, target), run_time=1)
            self.play(FadeIn(dot), FadeIn(W_E), FadeIn(eq), Create(E.brackets), FadeIn(E.row_label_group),
                      FadeIn(E.ellipses), FadeIn(names), run_time=1)
            # token by token: the 1 in the one-hot row selects one row of W_E, which becomes that token's row
            for k, i in enumerate(E.shown_row_indices()):
                slow = k < 2
                t = 1.0 if slow else 0.35
                for j in E.shown_col_indices():
                    E.show_entry(i, j)
                if not W_E.has_cell(ids[i], E.shown_col_indices()[0]):
                    # (a compact row shows W_E's rows for the first tokens only: the rest simply appear)
                    self.play(FadeIn(E.get_row(i)), run_time=0.15)
                    continue
                one = target.get_cell(i, ids[i]) if target.has_cell(i, ids[i]) else None
                marks = [target.row_box(i, self.theme.highlight), W_E.row_box(ids[i], self.theme.embedding)]
                if one is not None:
                    marks.append(target.cell_box(i, ids[i], self.theme.highlight))
                self.play(*(Create(m) for m in marks), run_time=t)
                copies = VGroup(*(W_E.get_cell(ids[i], j).copy() for j in E.shown_col_indices()))
                self.play(TransformFromCopy(copies, E.get_row(i)), run_time=t)
                self.play(*(FadeOut(m) for m in marks), run_time=0.25 if slow else 0.15)
        return target, W_E, E, names, VGroup(dot, eq)

    def scale_rows(self, onehot, W_E, E, names, ops):
        rec = self.record("source.embedding_scaled")
        with self.step("source.embedding_scaled"):
            self.play(FadeOut(onehot), FadeOut(W_E), FadeOut(ops), FadeOut(names[:2]), run_time=0.6)
            formula = MathTex(rec.formula, font_size=36, color=self.theme.text)
            value = self.record("source.embedding").value
            d = value.shape[1]

            def pair(cols, max_rows):
                def build():
                    slot = NumericMatrix(value, self.theme, row_labels=rec.rows, max_rows=max_rows, cols=cols)
                    scaled = NumericMatrix(rec.value, self.theme, row_labels=rec.rows, max_rows=max_rows, cols=cols)
                    arrow = MathTex(r"\longrightarrow", font_size=48, color=self.theme.dim)
                    return VGroup(slot, arrow, scaled).arrange(RIGHT, buff=0.4)
                return build

            # every column, then E's columns as they were shown, then fewer, each with fewer rows: the first
            # layout whose numbers stay at the theme's minimum size
            col_sets = []
            for c in (list(range(d)), list(E.shown_cols), elide(d, 4)):
                if c not in col_sets:
                    col_sets.append(c)
            layouts = [pair(c, r) for c in col_sets for r in (12, 10, 8)]
            group = first_readable(layouts, self.content_width, self.content_height - 1.2, READABLE_SCALE)
            slot, _, scaled = group
            self.fit(group, height=self.content_height - 1.2)
            group.move_to([0, (self.content_top + self.content_bottom) / 2 - 0.3, 0])
            formula.next_to(group, UP, buff=0.35)
            self.play(FadeOut(names[2]), ReplacementTransform(E, slot), FadeIn(formula), run_time=0.8)
            self.play(FadeIn(group[1]), TransformFromCopy(slot, scaled), run_time=1.5)
