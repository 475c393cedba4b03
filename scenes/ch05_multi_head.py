"""Chapter 5: Multi-head attention (encoder layer 0).

Each head owns a slice of W_Q, W_K, W_V; every head of the layer side by side (its attention weights and
its output, from the record); the outputs concatenated back to rows of d_model; the product with W_O.
Works for 1 to 8 heads (d_model 8 with 8 heads: d_k = 1).
"""
from __future__ import annotations

from manim import (DOWN, LEFT, RIGHT, UP, Create, LaggedStart, Line,
                   ReplacementTransform, SurroundingRectangle, TransformFromCopy, VGroup, Write)

from scenes.base import ChapterScene
from scenes.components import (NumericMatrix, content_region, layout_product, show_matrix_product,
                               shown_indices)
from scenes.components.stage import clear_stage, fade_in, fade_out, place_formula
from scenes.components.heatmap import WeightsHeatmap
from scenes.components.text import flat_text

LAYER = "encoder.0.self_attn"
MIN_SCALE = 0.9          # numbers no smaller than 18 (base 20)


class MultiHeadScene(ChapterScene):
    def construct(self):
        self.title_card("Several heads look at once")
        shown: dict[str, object] = self.expose("shown", {})     # step id -> the mobject that shows it (for tests)
        self.slices()
        head_row = self.heads(shown)
        concat, extras = self.concatenate(head_row)
        shown[f"{LAYER}.concat"] = concat
        shown.update(self.project_out(concat, extras))
        self.recap()

    # ------------------------------------------------------------ helpers
    def head_marks(self, m: NumericMatrix, labels: bool = True) -> VGroup:
        """Dividers between the heads' column slices of m (d_model columns), and a label over each slice."""
        h, dk, theme = self.cfg.n_heads, self.cfg.d_k, self.theme
        xs = {j: m.get_column(j)[0].get_x() for j in m.shown_col_indices()}
        top = m.get_grid().get_top()[1]
        bottom = m.get_grid().get_bottom()[1]
        marks = VGroup()
        for k in range(1, h):
            a, b = k * dk - 1, k * dk
            if a in xs and b in xs:
                x = (xs[a] + xs[b]) / 2
                marks.add(Line([x, top + 0.05, 0], [x, bottom - 0.05, 0], stroke_width=2, color=theme.highlight))
        if labels:
            cw = (max(xs.values()) - min(xs.values())) / max(len(m.shown_cols) - 1, 1) if len(xs) > 1 else 1.0
            above = (m.col_label_group if len(m.col_label_group) else m.get_grid()).get_top()[1] + 0.08
            for k in range(1, h + 1):
                cols = [xs[j] for j in range((k - 1) * dk, k * dk) if j in xs]
                if not cols:
                    continue
                room = dk * cw * 0.95
                t = flat_text(f"head {k}", theme.font, 20, theme.dim)
                if t.width > room:
                    t = flat_text(str(k), theme.font, 20, theme.dim)
                t.move_to([sum(cols) / len(cols), above + t.height / 2, 0])
                marks.add(t)
        return marks

    # ------------------------------------------------------------ steps
    def slices(self):
        h, dk, d = self.cfg.n_heads, self.cfg.d_k, self.cfg.d_model
        if h > 1:
            narration = (f"Multi-head attention runs {h} heads side by side. Each head takes its own {dk} columns "
                         "of W_Q, W_K and W_V, so each one asks its own question of the same rows.")
        else:
            narration = (f"With a single head, that head uses all {d} columns of W_Q, W_K and W_V. With more "
                         "heads, each would take its own slice of columns and ask its own question of the same "
                         "rows.")
        with self.step("ch05.slices", narration=narration, heading="Each head owns a slice"):
            W = NumericMatrix(self.example.weights[f"{LAYER}.W_Q"], self.theme, bracket_color=self.theme.query)
            name = self.formula("W_Q", 40, self.theme.query)
            side = VGroup(
                self.formula(rf"d_k = d_\mathrm{{model}} / h = {d} / {h} = {dk}", 34),
                self.formula(r"W_Q^{(i)},\ W_K^{(i)},\ W_V^{(i)}:\ \text{columns of head } i", 30),
                self.formula(r"W_K,\ W_V:\ \text{cut the same way}", 30, self.theme.dim),
            ).arrange(DOWN, buff=0.35, aligned_edge=LEFT)
            marks = self.head_marks(W)
            fig = VGroup(W, marks, name)
            name.next_to(W, LEFT, buff=0.3)
            self.fit(side, width=self.content_width * 0.42)
            group = VGroup(fig, side).arrange(RIGHT, buff=0.7)
            self.place_in_content(group)
            self.play(fade_in(W), fade_in(name), run_time=1.0)
            self.play(LaggedStart(*(Create(m) if isinstance(m, Line) else fade_in(m) for m in marks),
                                  lag_ratio=0.15), run_time=1.0)
            boxes = [SurroundingRectangle(VGroup(*(W.get_column(j) for j in range((k - 1) * dk, k * dk))),
                                          color=self.theme.highlight, buff=0.04, stroke_width=3)
                     for k in range(1, h + 1)]
            self.play(Create(boxes[0]), fade_in(side[0]), run_time=0.8)
            for prev, box in zip(boxes, boxes[1:4]):
                self.play(ReplacementTransform(prev, box), run_time=0.4)
            last = boxes[min(len(boxes), 4) - 1]
            self.play(fade_in(side[1:]), fade_out(last), run_time=0.8)

    def head_blocks(self, tokens):
        """Every head's weights (numbers when they fit, else a heatmap) above its output, heads in a row."""
        h, theme = self.cfg.n_heads, self.theme
        area = content_region(self)
        n = len(tokens)
        weights = [self.record(f"{LAYER}.head{k}.weights") for k in range(1, h + 1)]
        outs = [self.record(f"{LAYER}.head{k}.out") for k in range(1, h + 1)]
        gap = 0.45
        label_h = 0.45

        def outputs(rows):
            return [NumericMatrix(o.value, theme, rows=rows, row_labels=o.rows if k == 0 else None)
                    for k, o in enumerate(outs)]

        def arrange(grids, outs_m):
            blocks = []
            for k, (g, o) in enumerate(zip(grids, outs_m)):
                o.next_to(g, DOWN, buff=0.35)
                # align the grids' and outputs' cell columns on their left edges, row labels hanging out
                gx = (g.get_grid() if isinstance(g, NumericMatrix) else g.grid).get_left()[0]
                o.shift(RIGHT * (gx - o.get_grid().get_left()[0]))
                lab = flat_text(f"head {k + 1}", theme.font, 22, theme.text)
                if lab.width > max(g.width, o.width):
                    lab = flat_text(str(k + 1), theme.font, 22, theme.text)
                gtop = g.get_top()[1]
                lab.move_to([(g.get_grid() if isinstance(g, NumericMatrix) else g.grid).get_center()[0],
                             gtop + 0.12 + lab.height / 2, 0])
                blocks.append(VGroup(g, o, lab))
            row = VGroup(*blocks).arrange(RIGHT, buff=gap, aligned_edge=UP)
            return row, min(1.0, area.width / row.width, area.height / row.height)

        # numbers, when every head's whole grid fits with readable numbers
        if h * n * n <= 2 * 36:
            rows = list(range(n))
            grids = [NumericMatrix(w.value, theme, rows=rows, cols=rows, fill_color=theme.weights,
                                   row_labels=w.rows if k == 0 else None, col_labels=w.cols)
                     for k, w in enumerate(weights)]
            row, f = arrange(grids, outputs(rows))
            if f >= MIN_SCALE:
                return row, f, True
        # heatmaps: as big as fits beside each other (rows up to 0.3 tall), the outputs below with as many rows
        # as the rest of the height allows (at least 5 shown, else the heatmaps shrink)
        label_w = max(flat_text(t, theme.font, 20, theme.dim).width for t in tokens) + 0.2
        free_w = (area.width - label_w - (h - 1) * gap) / h
        cell = min(0.3, free_w / n)
        row = f = None
        while True:
            room = area.height / MIN_SCALE - n * cell - label_h - 0.6
            limit = min(n, 12)
            while limit > min(n, 4) and NumericMatrix(outs[0].value, theme,
                                                      rows=shown_indices(n, limit)).height > room:
                limit -= 1
            if limit >= min(n, 5) or cell < 0.07:
                break
            cell *= 0.85
        labelled = cell >= 0.28          # token labels only where a row is tall enough for them
        grids = [WeightsHeatmap(w.value, theme, cell_size=cell,
                                row_labels=w.rows if (k == 0 and labelled) else None)
                 for k, w in enumerate(weights)]
        row, f = arrange(grids, outputs(shown_indices(n, limit)))
        return row, f, False

    def heads(self, shown: dict) -> VGroup:
        """Every head's block (weights, output, label) in a row; returns the row."""
        h = self.cfg.n_heads
        tokens = list(self.record(f"{LAYER}.concat").rows)
        n = len(tokens)
        rows = "its 1 row" if n == 1 else f"the same {n} rows"
        if h > 1:
            every = "both" if h == 2 else f"all {h}"
            narration = (f"Here are {every} heads of encoder layer 1, run on {rows} at once. Each has its own "
                         "attention pattern (top) and its own output (bottom): the same recipe, different "
                         "weights, different views.")
        else:
            narration = (f"Here is the one head of encoder layer 1 on {rows}: its attention pattern (top) and "
                         "its output (bottom).")
        with self.step("ch05.heads", narration=narration, heading="All heads at once"):
            clear_stage(self, run_time=0.5)
            row, f, numeric = self.head_blocks(tokens)
            if f < 1.0:
                row.scale(f)
            self.place_in_content(row)
            for k, block in enumerate(row):
                g, o, lab = block
                self.play(fade_in(lab), fade_in(g), run_time=1.0 if k == 0 else 0.45)
                self.play(fade_in(o), run_time=0.8 if k == 0 else 0.35)
                if numeric:
                    shown[f"{LAYER}.head{k + 1}.weights"] = g
                else:
                    shown[f"{LAYER}.head{k + 1}.weights.heatmap"] = g
                shown[f"{LAYER}.head{k + 1}.out"] = o
        return row

    def concatenate(self, head_row: VGroup) -> tuple[NumericMatrix, VGroup]:
        """The heads' outputs slide into one matrix; returns it and its marks and name."""
        rec = self.record(f"{LAYER}.concat")
        dk = self.cfg.d_k
        outs = [block[1] for block in head_row]
        rows = outs[0].shown_rows
        with self.step(f"{LAYER}.concat"):
            C = NumericMatrix(rec.value, self.theme, rows=rows, row_labels=rec.rows)
            first = outs[0].shown_row_indices()[0]
            C.scale(outs[0].get_cell(first, 0).box.height / C.get_cell(first, 0).box.height)
            C.move_to([0, 0, 0])
            C.shift(UP * (outs[0].body[0].get_y() - C.body[0].get_y()))
            if C.get_left()[0] < content_region(self).left:
                C.shift(RIGHT * (content_region(self).left - C.get_left()[0]))
            C.hide_entries()
            C.brackets.set_stroke(opacity=0)
            C.row_label_group.set_fill(opacity=0)
            grids = VGroup(*(VGroup(block[0], block[2]) for block in head_row))
            self.play(fade_out(grids), run_time=0.6)
            self.add(C)
            # the heads' cells slide into their columns of the concatenation (copies take their place)
            moves = []
            for k, o in enumerate(outs):
                for c in range(dk):
                    j = k * dk + c
                    for i in C.shown_row_indices():
                        C.show_entry(i, j)
                    moves.append(TransformFromCopy(o.get_column(c), VGroup(*(C.get_cell(i, j)
                                                                            for i in C.shown_row_indices()))))
            frames = VGroup(*(VGroup(o.brackets, o.row_label_group) for o in outs))
            self.remove(*outs)
            self.add(frames)
            self.play(*moves, fade_out(frames), C.brackets.animate.set_stroke(opacity=1),
                      C.row_label_group.animate.set_fill(opacity=1), run_time=1.6)
            marks = self.head_marks(C)
            name = self.formula(rec.formula, 34)
            name.next_to(VGroup(C, marks), UP, buff=0.3)
            whole = VGroup(C, marks, name)
            target = whole.get_center().copy()
            target[1] = (self.content_top + self.content_bottom) / 2
            delta = target - whole.get_center()
            self.play(C.animate.shift(delta), run_time=0.7)
            marks.shift(delta)
            name.shift(delta)
            self.play(LaggedStart(*(fade_in(m) for m in marks), lag_ratio=0.1), Write(name), run_time=1.0)
        return C, VGroup(marks, name)

    def project_out(self, concat_m: NumericMatrix, concat_extras: VGroup) -> dict[str, NumericMatrix]:
        """Concat · W_O, worked out; returns the matrices it shows by step id."""
        rec = self.record(f"{LAYER}.out")
        concat = self.record(f"{LAYER}.concat")
        lay = layout_product(self, concat.value, self.example.weights[f"{LAYER}.W_O"], rec.value,
                             names=(r"\mathrm{Concat}", "W_O", r"\mathrm{MultiHead}"),
                             colors=(None, self.theme.residual, None), left_row_labels=concat.rows,
                             kinds=("scheme", "row"))
        with self.step(f"{LAYER}.out"):
            lay.result.hide_entries()
            self.play(fade_out(concat_extras), ReplacementTransform(concat_m, lay.left), run_time=0.8)
            marks = self.head_marks(lay.left, labels=False)
            self.play(fade_in(lay.right), fade_in(lay.result), fade_in(lay.name_group), fade_in(lay.ops),
                      fade_in(marks), run_time=0.8)
            show_matrix_product(self, lay.left, lay.right, lay.result, detailed=1, rows=1, rest=True,
                                panel=lay.panel, moment="ch05.out-work")
            f = self.formula(rec.formula, 34)
            place_formula(self, f, lay)
            self.play(fade_in(f), run_time=0.6)
        # the earlier concat was transformed into lay.left
        return {f"{LAYER}.out": lay.result, f"{LAYER}.concat": lay.left}

    def recap(self):
        narration = ("Multi-head attention in one line: every head attends on its own slice, the heads are "
                     "concatenated, and W_O mixes them back into one row per token."
                     + self.teaser("Next: add the input back and normalize."))
        with self.step("ch05.recap", narration=narration, heading="Multi-head attention"):
            clear_stage(self, run_time=0.5)
            big = self.formula(r"\mathrm{MultiHead}(X) = \mathrm{Concat}(\mathrm{head}_1, \dots, "
                               r"\mathrm{head}_h)\,W_O", 46)
            small = self.formula(r"\mathrm{head}_i = \mathrm{softmax}\!\left(\frac{Q_i K_i^\top}{\sqrt{d_k}}"
                                 r"\right) V_i,\qquad Q_i = X\,W_Q^{(i)}", 36, self.theme.dim)
            group = VGroup(big, small).arrange(DOWN, buff=0.6)
            self.place_in_content(group)
            self.play(Write(big), run_time=1.5)
            self.play(fade_in(small), run_time=0.8)
