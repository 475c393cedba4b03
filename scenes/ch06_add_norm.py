"""Chapter 6: Add & Norm. Encoder layer 0's first: the residual sum Z = X + MultiHead(X); one row's mean and
variance worked out (population variance, ε inside the square root); the normalized row, now mean 0 and
variance 1; then γ ⊙ Ẑ + β."""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, Arrow, Circle, Create, DashedLine, FadeIn, FadeOut, Group, GrowFromEdge, Line,
                   MathTex, Rectangle, ReplacementTransform, RoundedRectangle, Transform, TransformFromCopy, VGroup,
                   VMobject)

from mathcore.layers import LN_EPS
from scenes.base import ChapterScene
from scenes.components import NumericMatrix, flat_text, format_number
from scenes.components.shown import register
from scenes.components.stage import clear_stage, content_region, everything_but
from scenes.components.sums import MatrixSum, build_matrix_sum, cell_size, drop, operand, play_matrix_sum

P = "encoder.0.norm1"
ROW = 0          # the row worked out in detail: the first token
LABEL_W = 2.25   # the column right of the worked row, for the labels of its chart
FORMULA_H = 1.0  # the band above the worked row, for its formula


def signed_terms(values, decimals: int) -> str:
    """0.83 − 0.59 + 0.20 …: record numbers joined by their own signs (LaTeX)."""
    out = []
    for k, v in enumerate(values):
        s = format_number(float(v), decimals).replace("\u2212", "")
        neg = format_number(float(v), decimals).startswith("\u2212")
        out.append(("-" if neg else "") + s if k == 0 else ("- " if neg else "+ ") + s)
    return " ".join(out)


def tex_number(v: float, decimals: int) -> str:
    return format_number(float(v), decimals).replace("\u2212", "-")


def tex_minus(a: float, b: float, decimals: int) -> str:
    """a − b written with record numbers, a double minus turned into a plus."""
    sb = tex_number(b, decimals)
    return f"{tex_number(a, decimals)} + {sb[1:]}" if sb.startswith("-") else f"{tex_number(a, decimals)} - {sb}"


class RowChart(VGroup):
    """One row's numbers as bars under their cells, on a zero line; a mean line and the distances to it
    can be laid over. Heights are the record's numbers; positions follow the row vector's cells."""

    def __init__(self, row: NumericMatrix, values, lo: float, hi: float, height: float, theme, **kwargs):
        super().__init__(**kwargs)
        self.row, self.theme = row, theme
        self.lo, self.hi = lo, hi
        self.unit = height / (hi - lo)
        self.top_y = row.get_bottom()[1] - 0.35
        self.xs = [row.get_cell(0, j).get_x() for j in range(len(values))]
        self.bar_w = row.cell_width * 0.5
        left, right = row.get_grid().get_left()[0], row.get_grid().get_right()[0]
        self.left, self.right = left, right
        self.zero = Line([left, self.y(0), 0], [right, self.y(0), 0], color=theme.dim, stroke_width=2)
        self.bars = VGroup(*(self.bar(j, v) for j, v in enumerate(values)))
        self.add(self.zero, self.bars)

    def y(self, v: float) -> float:
        return self.top_y - (self.hi - v) * self.unit

    def bar(self, j: int, v: float) -> Rectangle:
        v = float(v)
        h = max(abs(v) * self.unit, 0.01)
        color = self.theme.positive if v >= 0 else self.theme.negative
        r = Rectangle(width=self.bar_w, height=h, stroke_width=0, fill_color=color, fill_opacity=0.75)
        return r.move_to([self.xs[j], (self.y(0) + self.y(v)) / 2, 0])

    def level(self, v: float, color: str, dashed: bool = True) -> Line:
        a, b = [self.left - 0.1, self.y(v), 0], [self.right + 0.1, self.y(v), 0]
        return (DashedLine(a, b, dash_length=0.1, color=color, stroke_width=3) if dashed
                else Line(a, b, color=color, stroke_width=3))

    def distances(self, values, mean: float) -> VGroup:
        """From the mean line to each number: what the variance averages (squared)."""
        dx = self.bar_w / 2 + 0.07
        return VGroup(*(Line([x + dx, self.y(mean), 0], [x + dx, self.y(float(v)), 0],
                             color=self.theme.highlight, stroke_width=4) for x, v in zip(self.xs, values)))


@dataclass(frozen=True)
class WorkedRow:
    """The worked row's picture, from the mean step to the normalization: the row vector and its name, its
    chart, the formula line on top, the mean's line and label, every row's μ and σ² columns, the font size of
    the row's numbers and the cap on its label's width (None: the usual), where the labels right of the row
    begin."""
    row: NumericMatrix
    name: MathTex
    show_name: bool
    chart: RowChart
    formula: VMobject
    mean_line: Line
    mean_label: VMobject
    mu: NumericMatrix
    sig: NumericMatrix
    font_size: float
    label_cap: float | None
    label_x: float


class AddNormScene(ChapterScene):
    def construct(self):
        self.title_card("Keep the row, then rescale it")
        tokens = list(self.example.tokens["source"])
        self.the_wrapper()
        ms = self.residual_sum(tokens)
        worked = self.row_mean(tokens, ms)
        worked, dists, var_block = self.row_variance(worked)
        self.normalize(tokens, worked, dists, var_block)
        self.scale_and_shift()

    # ------------------------------------------------------------ steps
    def the_wrapper(self):
        theme = self.theme
        narration = ("Every sub-layer of the transformer is wrapped the same way: its input is added back to its "
                     "output, and the sum is normalized row by row. Here the sub-layer is the multi-head attention "
                     "of the last chapter.")
        with self.step("ch06.wrap", narration=narration, heading="Add & Norm: the wrapper"):
            def box(label: str, color: str) -> VGroup:
                t = self.t(label, 26, theme.text)
                frame = RoundedRectangle(corner_radius=0.15, width=t.width + 0.6, height=1.0, stroke_color=color,
                                         stroke_width=3, fill_color=theme.panel, fill_opacity=0.8)
                return VGroup(frame, t)
            x = MathTex("X", font_size=44, color=theme.text)
            att = box("Multi-head attention", theme.key)
            plus = VGroup(Circle(radius=0.3, color=theme.residual, stroke_width=3),
                          MathTex("+", font_size=40, color=theme.residual))
            norm = box("LayerNorm", theme.residual)
            out = MathTex(r"\mathrm{out}", font_size=40, color=theme.text)
            chain = VGroup(x, att, plus, norm, out).arrange(RIGHT, buff=0.7)
            self.fit(chain, width=self.content_width - 0.2)
            chain.move_to([0, -0.2, 0])
            arrows = VGroup(*(Arrow(a.get_right(), b.get_left(), buff=0.1, color=theme.dim, stroke_width=4,
                                    max_tip_length_to_length_ratio=0.25)
                              for a, b in zip(chain[:-1], chain[1:])))
            # the residual path: from X, over the attention box, down into the sum
            y = att.get_top()[1] + 0.7
            start = x.get_top() + UP * 0.1
            path = VMobject(color=theme.residual, stroke_width=4).set_points_as_corners(
                [start, [start[0], y, 0], [plus.get_x(), y, 0], plus.get_top() + UP * 0.02])
            tip = Arrow(plus.get_top() + UP * 0.45, plus.get_top(), buff=0, color=theme.residual, stroke_width=4,
                        max_tip_length_to_length_ratio=0.5)
            skip_label = self.t("the input itself, added back", 22, theme.residual)
            skip_label.next_to([att.get_x(), y, 0], UP, buff=0.12)
            formula = MathTex(r"\mathrm{LayerNorm}\big(X + \mathrm{MultiHead}(X)\big)", font_size=36,
                              color=theme.text)
            formula.next_to(chain, DOWN, buff=0.8)
            post = self.t("post-norm, as in the paper: add first, then normalize", 22, theme.dim)
            post.next_to(formula, DOWN, buff=0.25)
            self.play(FadeIn(x), FadeIn(att), Create(arrows[0]), run_time=1.0)
            self.play(Create(path), FadeIn(tip), FadeIn(skip_label), FadeIn(plus), Create(arrows[1]), run_time=1.4)
            self.play(Create(arrows[2]), FadeIn(norm), run_time=0.8)
            self.play(Create(arrows[3]), FadeIn(out), run_time=0.6)
            self.play(FadeIn(formula), FadeIn(post), run_time=0.8)
            self.wait(0.5)

    def residual_sum(self, tokens) -> MatrixSum:
        rec = self.record(f"{P}.sum")
        n, d = rec.value.shape
        dec = self.cfg.decimals
        with self.step(f"{P}.sum"):
            clear_stage(self, fade=FadeOut)
            ms = build_matrix_sum(self, self.value("source.input"), self.value("encoder.0.self_attn.out"),
                                  rec.value, ("X", r"\mathrm{MultiHead}(X)", "Z"), rec.rows, decimals=dec)
            if ms.a is not None:
                register(self, "source.input", ms.a)
                register(self, "encoder.0.self_attn.out", ms.b)
            register(self, f"{P}.sum", ms.c)
            left = play_matrix_sum(self, ms, ROW, decimals=dec, tokens=tokens, moment="ch06.one-row")
            self.play(FadeOut(left), run_time=0.3)
            note = VGroup(self.t("the input row is kept,", 22, self.theme.residual),
                          self.t("attention only adjusts it", 22, self.theme.residual),
                          MathTex(r"\mathrm{LayerNorm}(X + \mathrm{MultiHead}(X))", font_size=30,
                                  color=self.theme.text))
            note.arrange(DOWN, buff=0.15)
            note[2].shift(DOWN * 0.2)
            self.fit(note, width=ms.side_width - 0.1)
            ms.place_beside(note)
            self.play(FadeIn(note), run_time=0.6)
            self.wait(0.8)
        return ms

    def stats_columns(self, tokens, label_cap: float | None) -> tuple[NumericMatrix, NumericMatrix]:
        """Every row's μ and σ² as two columns on the right (entries hidden); row labels cut at label_cap
        (None: the usual cap)."""
        mean, var = self.value(f"{P}.mean"), self.value(f"{P}.var")
        n, d = self.value(f"{P}.sum").shape
        theme, dec = self.theme, self.cfg.decimals
        stats_fs = theme.size_min if n > 8 or d > 6 else theme.size_label
        mu = NumericMatrix(mean, theme, decimals=dec, column_vector=True, row_labels=tokens,
                           col_labels=["μ"], font_size=stats_fs, max_rows=12,
                           max_label_width=label_cap).hide_entries()
        sig = NumericMatrix(var, theme, decimals=dec, column_vector=True, col_labels=["σ²"],
                            font_size=stats_fs, max_rows=12).hide_entries()
        stats = VGroup(mu, sig).arrange(RIGHT, buff=0.2, aligned_edge=UP)
        stats.move_to([self.content_width / 2 - stats.width / 2, 0, 0])
        stats.set_y((self.content_top + self.content_bottom) / 2 - 0.1)
        return mu, sig

    def worked_row(self, tokens, fs: float, w: float, cap: float | None, room: float) -> NumericMatrix:
        """The worked row z at font size fs, cells w wide, its label cut at cap, in the room left of the
        labels' column, under the formula's band."""
        Z = self.value(f"{P}.sum")
        row = NumericMatrix(Z[ROW:ROW + 1], self.theme, decimals=self.cfg.decimals, row_labels=[tokens[ROW]],
                            font_size=fs, cell_width=w, max_label_width=cap)
        row.move_to([0, self.content_top - FORMULA_H - 0.35, 0])
        row.set_x(-self.content_width / 2 + max(room - row.width, 0) / 2 + row.width - row.get_grid().width / 2)
        return row

    def worked_row_layout(self, tokens) -> tuple[NumericMatrix, NumericMatrix, NumericMatrix, float, float | None]:
        """μ and σ² of every row on the right; the worked row as large as fits left of them, beside a column
        for its chart's labels (LABEL_W). Long words: the row labels are cut shorter until the labels' column
        clears μ's labels, and last the cells give up some padding. Returns μ, σ², the row, its font size and
        the labels' cap."""
        Z, Zh = self.value(f"{P}.sum"), self.value(f"{P}.normalized")
        d = Z.shape[1]

        def excess(row, mu) -> float:    # how far the labels' column reaches into μ's labels
            return row.get_grid().get_right()[0] + 0.35 + LABEL_W - 0.3 - (mu.get_left()[0] - 0.1)

        for cap in (None, 1.2, 0.9, 0.7):
            mu, sig = self.stats_columns(tokens, cap)
            room = VGroup(mu, sig).get_left()[0] - (-self.content_width / 2) - 0.4 - LABEL_W
            for fs in (24, 22, 20, self.theme.size_min):
                w, _ = cell_size(np.concatenate([Z[ROW], Zh[ROW]]), self.theme, fs, self.cfg.decimals)
                if d * w + 1.6 <= room:
                    break
            if d * w + 1.6 > room:   # still too wide: tighter cells
                w -= 0.05
            row = self.worked_row(tokens, fs, w, cap, room)
            if excess(row, mu) <= 0:
                return mu, sig, row, fs, cap
        # the shortest labels and still too wide: the cells give up some padding
        floor = cell_size(np.concatenate([Z[ROW], Zh[ROW]]), self.theme, fs, self.cfg.decimals)[0] - 0.05
        while excess(row, mu) > 0 and w > floor:
            w = max(w - max(excess(row, mu), 0.01) / d, floor)
            row = self.worked_row(tokens, fs, w, cap, room)
        return mu, sig, row, fs, cap

    def row_mean(self, tokens, ms: MatrixSum) -> WorkedRow:
        r, dec = ROW, self.cfg.decimals
        Z = self.value(f"{P}.sum")
        Zh = self.value(f"{P}.normalized")
        mean = self.value(f"{P}.mean")
        n, d = Z.shape
        theme = self.theme
        with self.step(f"{P}.mean"):
            # left to right: the row and its bars, a column for their labels, then μ and σ² of every row
            mu, sig, row, fs, cap = self.worked_row_layout(tokens)
            register(self, f"{P}.mean", mu)
            register(self, f"{P}.var", sig)
            register(self, f"{P}.sum", row, rows=[r])
            row_name = MathTex("z", font_size=34, color=theme.text)
            row_name.next_to(row.row_label_group, LEFT, buff=0.25)
            show_name = row_name.get_left()[0] >= -self.content_width / 2
            if not show_name:    # a wide row leaves no room for the name
                row_name.set_opacity(0)
            label_x = row.get_grid().get_right()[0] + 0.35
            lo = min(float(np.min(Z[r])), float(np.min(Zh[r])), -1.0) - 0.15
            hi = max(float(np.max(Z[r])), float(np.max(Zh[r])), 1.0) + 0.15
            chart = RowChart(row, Z[r], lo, hi, height=row.get_bottom()[1] - 0.35 - self.content_bottom - 0.15,
                             theme=theme)
            # Z leaves as its row flies out of it (a tall Z would stand under the row's new place)
            self.play(FadeOut(Group(*everything_but(self, ms.c))), FadeOut(ms.c),
                      TransformFromCopy(ms.c.get_row(r), row.get_row(0)),
                      FadeIn(row.row_label_group), FadeIn(row.brackets), FadeIn(row_name), run_time=1.0)
            self.play(Create(chart.zero), run_time=0.5)
            self.play(*(GrowFromEdge(b, DOWN if v >= 0 else UP) for b, v in zip(chart.bars, Z[r])), run_time=1.0)
            # μ = (z_1 + … + z_d) / d = recorded mean
            formula = MathTex(r"\mu = \frac{" + signed_terms(Z[r], dec) + "}{" + str(d) + "} = "
                              + tex_number(mean[r], dec), font_size=32, color=theme.text)
            self.fit(formula, width=self.formula_room(mu))
            formula.move_to([0, self.content_top - FORMULA_H / 2 - 0.05, 0])
            formula.align_to([-self.content_width / 2 + 0.1, 0, 0], LEFT)
            self.play(FadeIn(formula), run_time=0.8)
            line = chart.level(float(mean[r]), theme.residual)
            label = flat_text(f"μ = {format_number(float(mean[r]), dec)}", theme.mono, 22, theme.residual)
            label.move_to([label_x + label.width / 2, line.get_y(), 0])
            self.play(Create(line), FadeIn(label), run_time=0.8)
            # the same for every row: one mean each
            self.play(FadeIn(mu.brackets), FadeIn(mu.row_label_group), FadeIn(mu.col_label_group),
                      FadeIn(sig.brackets), FadeIn(sig.col_label_group), run_time=0.5)
            mu.show_entry(r, 0)
            self.play(TransformFromCopy(label, mu.get_cell(r, 0)), run_time=0.7)
            for i in mu.shown_row_indices():
                mu.show_entry(i, 0)
            self.play(FadeIn(VGroup(*(mu.get_cell(i, 0) for i in mu.shown_row_indices() if i != r)), lag_ratio=0.1),
                      run_time=0.8)
            self.add(mu)
            self.add(row)
        return WorkedRow(row, row_name, show_name, chart, formula, line, label, mu, sig, fs, cap, label_x)

    def formula_room(self, mu: NumericMatrix) -> float:
        """The formula line spans the row's area and the label column, up to the μ and σ² columns."""
        return mu.get_left()[0] + self.content_width / 2 - 0.4

    def row_variance(self, w: WorkedRow) -> tuple[WorkedRow, VGroup, VGroup]:
        """σ² of the worked row; returns the row with its new formula, the distances drawn and the σ² note."""
        r, dec = ROW, self.cfg.decimals
        Z = self.value(f"{P}.sum")
        mean, var = self.value(f"{P}.mean"), self.value(f"{P}.var")
        n, d = Z.shape
        theme = self.theme
        with self.step(f"{P}.var"):
            terms = [f"({tex_minus(v, mean[r], dec)})^2" for v in Z[r]]
            shown = terms if d <= 3 else terms[:2] + [r"\dots"] + terms[-1:]
            formula = MathTex(r"\sigma^2 = \frac{" + " + ".join(shown) + "}{" + str(d) + "} = "
                              + tex_number(var[r], dec), font_size=32, color=theme.text)
            self.fit(formula, width=self.formula_room(w.mu))
            formula.move_to(w.formula).align_to(w.formula, LEFT)
            dists = w.chart.distances(Z[r], float(mean[r]))
            self.play(FadeOut(w.formula), FadeIn(formula), run_time=0.6)
            self.play(Create(dists, lag_ratio=0.15), run_time=1.4)
            label = flat_text(f"σ² = {format_number(float(var[r]), dec)}", theme.mono, 22, theme.highlight)
            note = VGroup(self.t(f"divided by d = {d}:", 20, theme.dim),
                          self.t("population variance", 20, theme.dim))
            note.arrange(DOWN, buff=0.06, aligned_edge=LEFT)
            block = VGroup(label, note).arrange(DOWN, buff=0.12, aligned_edge=LEFT)
            self.fit(block, width=LABEL_W - 0.3)
            chart, sig = w.chart, w.sig
            low_mean = w.mean_line.get_y() < (chart.y(chart.lo) + chart.y(chart.hi)) / 2
            y = chart.y(chart.hi) - block.height / 2 if low_mean else chart.y(chart.lo) + block.height / 2
            block.move_to([w.label_x + block.width / 2, y, 0])
            self.play(FadeIn(block), run_time=0.7)
            sig.show_entry(r, 0)
            self.play(TransformFromCopy(label, sig.get_cell(r, 0)), run_time=0.7)
            for i in sig.shown_row_indices():
                sig.show_entry(i, 0)
            self.play(FadeIn(VGroup(*(sig.get_cell(i, 0) for i in sig.shown_row_indices() if i != r)),
                             lag_ratio=0.1), run_time=0.8)
            self.add(sig)
        return replace(w, formula=formula), dists, block

    def normalize(self, tokens, w: WorkedRow, dists: VGroup, var_block: VGroup):
        r, dec = ROW, self.cfg.decimals
        Z = self.value(f"{P}.sum")
        Zh = self.value(f"{P}.normalized")
        mean, var = self.value(f"{P}.mean"), self.value(f"{P}.var")
        n, d = Z.shape
        theme = self.theme
        eps = f"{LN_EPS:.5f}".rstrip("0")
        with self.step(f"{P}.normalized"):
            general = MathTex(r"\hat z_j = \frac{z_j - \mu}{\sqrt{\sigma^2 + \epsilon}}", font_size=32,
                              color=theme.text)
            worked = MathTex(r"\hat z_1 = \frac{" + tex_minus(Z[r, 0], mean[r], dec)
                             + r"}{\sqrt{" + f"{tex_number(var[r], dec)} + {eps}" + "}} = "
                             + tex_number(Zh[r, 0], dec), font_size=32, color=theme.text)
            eq = VGroup(general, worked).arrange(RIGHT, buff=0.8)
            self.fit(eq, width=self.formula_room(w.mu))
            eq.move_to(w.formula).align_to(w.formula, LEFT)
            eq.set_y(w.formula.get_y())
            self.play(FadeOut(w.formula), FadeIn(eq), run_time=0.8)
            new_row = NumericMatrix(Zh[r:r + 1], theme, decimals=dec, row_labels=[tokens[r]],
                                    font_size=w.font_size, cell_width=w.row.cell_width,
                                    max_label_width=w.label_cap)
            new_row.move_to(w.row)
            register(self, f"{P}.normalized", new_row, rows=[r])
            new_name = MathTex(r"\hat z", font_size=34, color=theme.text).move_to(w.name)
            if not w.show_name:
                new_name.set_opacity(0)
            chart = w.chart
            new_bars = VGroup(*(chart.bar(j, v) for j, v in enumerate(Zh[r])))
            zero_line = chart.level(0.0, theme.residual)
            new_dists = chart.distances(Zh[r], 0.0)
            # on the right: mean 0 on its line, variance 1 under it; the ±1 guides are labelled on the left
            mean0 = flat_text("mean 0", theme.font, 22, theme.residual)
            mean0.move_to([w.label_x + mean0.width / 2, zero_line.get_y(), 0])
            var1 = flat_text("variance 1", theme.font, 22, theme.highlight)
            var1.next_to(mean0, DOWN, buff=0.12).align_to(mean0, LEFT)
            ones = VGroup(chart.level(1.0, theme.dim), chart.level(-1.0, theme.dim))
            ones.set_stroke(width=2, opacity=0.7)
            one_labels = VGroup(flat_text("+1", theme.mono, 20, theme.dim),
                                flat_text(format_number(-1.0, 0), theme.mono, 20, theme.dim))
            left = content_region(self).left
            for t, ln in zip(one_labels, ones):
                t.next_to(ln, LEFT, buff=0.1)
                if t.get_left()[0] < left:   # a chart that reaches the area's edge: the label sits on its line
                    t.next_to(ln.get_left(), UP, buff=0.08).align_to(ln, LEFT)
            self.play(ReplacementTransform(w.row.body, new_row.body),
                      ReplacementTransform(w.name, new_name),
                      *(Transform(b, nb) for b, nb in zip(chart.bars, new_bars)),
                      ReplacementTransform(w.mean_line, zero_line), ReplacementTransform(w.mean_label, mean0),
                      ReplacementTransform(dists, new_dists), FadeOut(var_block),
                      run_time=2.0)
            self.remove(w.row.row_label_group, w.row.brackets)
            self.add(new_row)
            self.play(Create(ones), FadeIn(one_labels), FadeIn(var1), run_time=0.8)
            self.wait(0.8)

    def scale_and_shift(self):
        dec, theme, r = self.cfg.decimals, self.theme, ROW
        rec = self.record(f"{P}.out")
        Zh = self.value(f"{P}.normalized")
        n, d = Zh.shape
        gamma, beta = self.example.weights[f"{P}.gamma"], self.example.weights[f"{P}.beta"]
        untouched = bool(np.all(gamma == 1.0) and np.all(beta == 0.0))
        with self.step(f"{P}.out"):
            clear_stage(self, fade=FadeOut)
            fs = 20 if n <= 8 else self.theme.size_min
            allv = np.concatenate([Zh.ravel(), rec.value.ravel(), gamma, beta])
            w, _ = cell_size(allv, theme, fs, self.cfg.decimals)
            g = NumericMatrix(gamma, theme, decimals=dec, row_labels=["γ"], font_size=fs, cell_width=w)
            b = NumericMatrix(beta, theme, decimals=dec, row_labels=["β"], font_size=fs, cell_width=w)
            zh = NumericMatrix(Zh, theme, decimals=dec, row_labels=rec.rows, font_size=fs, cell_width=w, max_rows=12)
            out = NumericMatrix(rec.value, theme, decimals=dec, row_labels=rec.rows, font_size=fs, cell_width=w,
                                max_rows=12)
            register(self, f"{P}.gamma", g)
            register(self, f"{P}.beta", b)
            register(self, f"{P}.normalized", zh)
            register(self, f"{P}.out", out)
            name = MathTex(r"\hat Z", font_size=32, color=theme.text)
            out_name = MathTex(r"\gamma \odot \hat Z + \beta", font_size=32, color=theme.residual)
            col = VGroup(g, b, out_name, zh).arrange(DOWN, buff=0.15)
            for m in (g, b, out_name):
                m.shift(RIGHT * (zh.get_grid().get_x() - (m.get_grid().get_x() if m is not out_name else m.get_x())))
            col.move_to([-self.content_width / 2 + col.width / 2 + 0.2,
                         (self.content_top + self.content_bottom) / 2, 0])
            out.move_to(zh)
            name.move_to(out_name)
            self.play(FadeIn(zh), FadeIn(name), run_time=0.8)
            self.play(FadeIn(g), FadeIn(b), run_time=0.8)
            # one cell worked: ẑ × γ + β = out, all four numbers from the record
            side_l = zh.get_right()[0] + 0.5
            side_w = self.content_width / 2 - side_l
            formula = MathTex(r"\mathrm{out}_j = \gamma_j\,\hat z_j + \beta_j", font_size=34, color=theme.text)
            cell = VGroup(flat_text(format_number(float(gamma[0]), dec), theme.mono, 24, theme.text),
                          flat_text("×", theme.mono, 24, theme.dim),
                          flat_text(operand(Zh[r, 0], dec), theme.mono, 24, theme.text),
                          flat_text("+", theme.mono, 24, theme.dim),
                          flat_text(operand(beta[0], dec), theme.mono, 24, theme.text),
                          flat_text("=", theme.mono, 24, theme.dim),
                          flat_text(format_number(float(rec.value[r, 0]), dec), theme.mono, 24, theme.highlight))
            cell.arrange(RIGHT, buff=0.15)
            if cell.width > side_w:    # a narrow side: the worked cell on two lines
                cell = VGroup(VGroup(*cell[:3]), VGroup(*cell[3:]).arrange(RIGHT, buff=0.15))
                cell.arrange(DOWN, buff=0.15)
            if untouched:
                lines = ["γ starts at 1 and β at 0:", "until training changes them,", "the output equals Ẑ"]
            else:
                lines = ["γ starts at 1 and β at 0;", "training has changed them:", "each column is rescaled",
                         "and shifted a little"]
            words = VGroup(*(self.t(t, 22, theme.dim) for t in lines)).arrange(DOWN, buff=0.1)
            side = VGroup(formula, cell, words).arrange(DOWN, buff=0.4)
            self.fit(side, width=side_w)
            side.move_to([side_l + side_w / 2, zh.get_y(), 0])
            marks = VGroup(g.cell_box(0, 0, theme.highlight), b.cell_box(0, 0, theme.highlight),
                           zh.cell_box(r, 0, theme.highlight))
            self.play(FadeIn(formula), Create(marks), run_time=0.8)
            self.play(FadeIn(cell), run_time=0.8)
            self.wait(0.6)
            self.key_moment("ch06.scale-shift")
            # the numbers change in place (structure alike: a cheap, cell-by-cell morph of the entries only)
            self.play(FadeOut(marks), *(Transform(zh.get_cell(i, j).text, out.get_cell(i, j).text.copy())
                                        for (i, j) in zh.cells),
                      ReplacementTransform(name, out_name), FadeIn(words), run_time=1.5)
            drop(self, zh)
            self.add(out)
            self.wait(1.0)
