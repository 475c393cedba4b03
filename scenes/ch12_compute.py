"""Chapter 12: Compute and memory. What it costs to run and to train a transformer, from a 2·m·n·p matrix
product on our toy matrices up to 6·P·D for the chosen preset (docs/teaching-notes.md §5).

Every number on screen is a mathcore.scale figure (or a shape from the record) formatted for reading;
the scene computes nothing. The preset is `self.model_preset` ("toy" uses the worked example's own
sizes). Bars are drawn to scale within a chart (the chart's largest value fills it), so the same layout
holds from a few hundred parameters to 175 B; the units adapt (B, kB … TB; ns … years).
"""
from __future__ import annotations

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, Circle, Create, DashedLine, FadeIn, FadeOut, GrowFromEdge, Indicate, Line,
                   MathTex, Rectangle, Square, VGroup)

from mathcore import scale
from scenes.base import ChapterScene
from scenes.components import NumericMatrix, flat_text, format_number
from scenes.components.scale import figure, line, table
from scenes.components.stage import centre_y, clear_stage

MIN_BAR = 0.03   # a bar never vanishes entirely: the smallest drawn length


class BarRows(VGroup):
    """Horizontal bars, one row each: a label on the left, segments drawn to one scale, a value label.

    rows: (key, label, [(value, color, opacity), ...], value_text). The longest row fills max_len unless
    vmax is given. self.bars[key] is the list of segment rectangles, self.lengths[key] their lengths.
    """

    def __init__(self, theme, rows, *, max_len: float = 7.0, bar_h: float = 0.42, gap: float = 0.24,
                 font_size: float = 22, vmax: float | None = None, label_width: float | None = None, **kwargs):
        super().__init__(**kwargs)
        totals = [sum(v for v, _, _ in segs) for _, _, segs, _ in rows]
        self.vmax = vmax or max(totals) or 1.0
        self.max_len = max_len
        self.bars: dict[str, list[Rectangle]] = {}
        self.lengths: dict[str, list[float]] = {}
        self.labels: dict[str, VGroup] = {}
        self.value_labels: dict[str, VGroup] = {}
        self.rows = VGroup()
        left_labels = [flat_text(label, theme.font, font_size, theme.text) for _, label, _, _ in rows]
        lw = label_width or max((t.width for t in left_labels), default=0.0)
        for r, ((key, _, segs, value_text), lab) in enumerate(zip(rows, left_labels)):
            y = -r * (bar_h + gap)
            lab.move_to([-0.25 - lab.width / 2, y, 0])
            x = 0.0
            rects, lens = [], []
            for value, color, opacity in segs:
                length = max(value / self.vmax * max_len, MIN_BAR)
                rect = Rectangle(width=length, height=bar_h, stroke_width=0).set_fill(color, opacity)
                rect.move_to([x + length / 2, y, 0])
                rects.append(rect)
                lens.append(value / self.vmax * max_len)
                x += length
            val = flat_text(value_text, theme.font, font_size, theme.text)
            val.move_to([x + 0.2 + val.width / 2, y, 0])
            self.bars[key], self.lengths[key] = rects, lens
            self.labels[key], self.value_labels[key] = lab, val
            self.rows.add(VGroup(lab, *rects, val))
        self.label_width = lw
        self.add(self.rows)

    def grow(self, key: str, **kwargs):
        return [GrowFromEdge(r, LEFT, **kwargs) for r in self.bars[key]]


class ComputeScene(ChapterScene):
    def construct(self):
        sp = scale.preset_spec(self.model_preset, self.cfg, len(self.example.vocab))   # the model described
        name = scale.PRESET_TITLES.get(sp.name, sp.name)
        self.title_card(f"What it costs to run and train {name}")
        self.matmul(sp, name)
        self.forward(sp, name)
        self.training(sp)
        self.days(sp)
        self.weights(sp)
        self.kv_cache(sp)
        self.adam(sp)
        self.activations(sp)
        self.attention_square(sp)
        self.summary(sp, name)

    # ------------------------------------------------------------ helpers
    # ------------------------------------------------------------ steps
    def matmul(self, sp, name: str):
        X = self.value("source.input")
        W = self.example.weights["encoder.0.self_attn.W_Q"]
        # Q = X·W_Q for all heads side by side: the recorded per-head queries, concatenated (no arithmetic)
        heads = sorted(s.id for s in self.example.steps_under("encoder.0.self_attn")
                       if s.id.endswith(".q") and ".head" in s.id)
        Q = np.hstack([self.value(h) for h in heads])
        n, d = X.shape
        p = W.shape[1]
        flops = scale.matmul_flops(n, d, p)
        big = scale.matmul_flops(sp.n_ctx, sp.d_model, sp.d_attn)
        words = (f"Start with our own matrices: X is {n} by {d}, W_Q is {d} by {p}. Each entry of the product "
                 f"takes {d} multiplications and {d} additions, so an m by n times n by p product costs 2 m n p: "
                 f"{scale.format_flops(flops)} here, and {scale.format_flops(big)} for the same product in "
                 f"{name}.")
        with self.step("ch12.matmul", narration=words, heading="A matrix product costs 2·m·n·p"):
            th = self.theme
            kw = dict(max_rows=6, max_cols=6, font_size=20)
            mx = NumericMatrix(X, th, **kw)
            mw = NumericMatrix(W, th, **kw)
            dot = MathTex(r"\cdot", font_size=48, color=th.text)
            row = VGroup(mx, dot, mw).arrange(RIGHT, buff=0.3)
            self.fit(row, width=self.content_width, height=self.content_height * 0.45)
            row.move_to([0, self.content_top - 0.75 - row.height / 2, 0])
            names = VGroup(
                self.t(f"X  ({n} × {d})", 24).next_to(mx, UP, buff=0.12),
                self.t(f"W_Q  ({d} × {p})", 24, th.query).next_to(mw, UP, buff=0.12),
            )
            self.play(FadeIn(mx), FadeIn(mw), FadeIn(dot), FadeIn(names), run_time=1.2)
            i, j = mx.shown_row_indices()[0], mw.shown_col_indices()[0]
            marks = VGroup(mx.row_box(i, th.highlight), mw.column_box(j, th.highlight))
            self.play(Create(marks), run_time=0.8)
            self.wait(1)
            one = line(self.t(f"one entry of Q = X·W_Q: {d} multiplications + {d} additions =", 26,
                                   th.highlight),
                            self.t(format_number(float(Q[i, j]), self.cfg.decimals), 26, th.highlight, mono=True))
            rule = MathTex(r"(m \times n)\cdot(n \times p)\ \text{costs}\ 2\,m\,n\,p", font_size=40,
                           color=th.text)
            rows = table([
                (self.t("here", 26, th.dim),
                 figure(self, "toy_matmul", f"2 · {n} · {d} · {p} = {scale.format_flops(flops)}", 30)),
                (self.t(name, 26, th.dim),
                 figure(self, "big_matmul", f"2 · {scale.format_int(sp.n_ctx)} · {scale.format_int(sp.d_model)} · "
                             f"{scale.format_int(sp.d_attn)} = {scale.format_flops(big)}", 30)),
            ], row_h=0.6)
            block = VGroup(one, rule, rows).arrange(DOWN, buff=0.3)
            self.fit(block, height=row.get_bottom()[1] - self.content_bottom - 0.4)
            block.move_to([0, (row.get_bottom()[1] + self.content_bottom) / 2, 0])
            self.play(FadeIn(one), run_time=0.8)
            self.wait(2)
            self.play(FadeIn(rule), run_time=0.8)
            self.wait(1.5)
            self.play(FadeIn(rows[0]), run_time=0.8)
            self.wait(1.5)
            self.play(FadeIn(rows[1]), run_time=0.8)
        clear_stage(self, fade=FadeOut)

    def forward(self, sp, name: str):
        th = self.theme
        counts = scale.param_counts(sp)
        ff = scale.forward_flops_per_token(sp)
        words = (f"Per token, each weight outside the embedding does one multiply and one add. "
                 f"{name} has {scale.format_count(counts.non_embedding)} of them: "
                 f"{scale.format_flops(ff.dense)} per token. Scoring the context adds "
                 f"{scale.format_percent(ff.attention_fraction)}.")
        with self.step("ch12.forward", narration=words, heading="A forward pass: about 2 FLOPs per parameter"):
            rows = table([
                (self.t("weights outside the embedding", 26, th.dim),
                 figure(self, "N", f"N = {scale.format_count(counts.non_embedding)}", 30)),
                (self.t("one multiply-add each, per token", 26, th.dim),
                 figure(self, "dense", f"2N = {scale.format_flops(ff.dense)}", 30, th.ffn)),
                (self.t("attention scores over the context", 26, th.dim),
                 figure(self, "attn", f"2 · {sp.n_attention_blocks} · {scale.format_int(sp.n_ctx)} · "
                             f"{scale.format_int(sp.d_attn)} = {scale.format_flops(ff.attention)}", 30, th.query)),
            ], row_h=0.7)
            self.expose("fwd_total", scale.format_flops(ff.total))
            chart = BarRows(th, [("fwd", "per token", [(ff.dense, th.ffn, 0.85), (ff.attention, th.query, 0.95)],
                                  scale.format_flops(ff.total))], max_len=8.0, bar_h=0.6, font_size=26)
            pct = figure(self, "attn_pct", f"attention: {scale.format_percent(ff.attention_fraction)}", 24, th.query)
            group = VGroup(rows, chart).arrange(DOWN, buff=1.0)
            self.fit(group)
            group.move_to([0, centre_y(self) + 0.2, 0])
            bars = chart.bars["fwd"]
            pct.next_to(bars[1], DOWN, buff=0.15).align_to(bars[1], RIGHT)
            if pct.get_left()[0] < bars[0].get_left()[0]:
                pct.align_to(bars[0], LEFT)
            for r in rows:
                self.play(FadeIn(r, shift=0.2 * UP), run_time=0.8)
                self.wait(0.8)
            self.play(FadeIn(chart.labels["fwd"]), *chart.grow("fwd"), run_time=1.2)
            self.play(FadeIn(chart.value_labels["fwd"]), FadeIn(pct), run_time=0.6)
        clear_stage(self, fade=FadeOut)

    def training(self, sp):
        th, P = self.theme, scale.n_params(sp)
        data = scale.training_tokens(sp)
        C = scale.training_compute(P, data.tokens)
        words = (f"Training adds a backward pass that costs twice the forward one: 6 FLOPs per parameter per "
                 f"token. With P = {scale.format_count(P)} parameters and D = {scale.format_count(data.tokens)} "
                 f"tokens, C ≈ 6 P D = {scale.format_flops(C.total)}.")
        with self.step("ch12.training", narration=words, heading="Training: C ≈ 6·P·D"):
            formula = MathTex(r"C \approx 6\,P\,D = \underbrace{2PD}_{\text{forward}} + "
                              r"\underbrace{4PD}_{\text{backward}}", font_size=40, color=th.text)
            pd = VGroup(
                line(MathTex("P", font_size=40, color=th.embedding),
                          figure(self, "P", f"= {scale.format_count(P)} parameters", 30)),
                line(MathTex("D", font_size=40, color=th.weights),
                          figure(self, "D", f"= {scale.format_count(data.tokens)} tokens", 30)),
            ).arrange(RIGHT, buff=1.2)
            note = self.t(data.source if data.published else f"no published figure: {data.source}", 20, th.dim)
            chart = BarRows(th, [
                ("fwd", "forward", [(C.forward, th.ffn, 0.85)], scale.format_flops(C.forward)),
                ("bwd", "backward", [(C.backward, th.value, 0.85)], scale.format_flops(C.backward)),
            ], max_len=6.5, bar_h=0.5, font_size=24)
            total = line(MathTex("C =", font_size=44, color=th.text),
                              figure(self, "C", scale.format_flops(C.total), 34, th.highlight),
                              self.t("=", 30, th.dim),
                              figure(self, "pfdays", f"{scale.format_number(C.pf_days)} petaflop/s-days", 28, th.dim))
            group = VGroup(formula, VGroup(pd, note).arrange(DOWN, buff=0.15), chart, total).arrange(DOWN, buff=0.45)
            self.fit(group)
            group.move_to([0, centre_y(self), 0])
            self.expose("C_forward", scale.format_flops(C.forward))
            self.expose("C_backward", scale.format_flops(C.backward))
            self.play(FadeIn(formula), run_time=1)
            self.wait(1.5)
            self.play(FadeIn(pd), FadeIn(note), run_time=1)
            self.wait(1.5)
            self.play(FadeIn(chart.labels["fwd"]), *chart.grow("fwd"), FadeIn(chart.value_labels["fwd"]), run_time=1)
            self.play(FadeIn(chart.labels["bwd"]), *chart.grow("bwd"), FadeIn(chart.value_labels["bwd"]), run_time=1)
            self.play(FadeIn(total, shift=0.2 * UP), run_time=1)
        clear_stage(self, fade=FadeOut)

    def days(self, sp):
        th, P = self.theme, scale.n_params(sp)
        cl = scale.REFERENCE_CLUSTER
        C = scale.training_compute(P, scale.training_tokens(sp).tokens).total
        many = scale.training_days(C, cl.n_accelerators, cl.flops_per_accelerator) * scale.SECONDS_PER_DAY
        one = scale.training_days(C, 1, cl.flops_per_accelerator) * scale.SECONDS_PER_DAY
        rate = f"{scale.format_count(cl.flops_per_accelerator)}FLOP/s"
        words = (f"Time is compute over speed. One {cl.accelerator} sustaining {rate} would need "
                 f"{scale.format_duration(one)}; {scale.format_int(cl.n_accelerators)} of them need "
                 f"{scale.format_duration(many)}, if they never wait for each other.")
        with self.step("ch12.days", narration=words, heading="Days on a cluster"):
            formula = MathTex(r"\text{time} = \frac{C}{\text{accelerators} \times \text{FLOP/s each}}",
                              font_size=38, color=th.text)
            given = line(figure(self, "C_days", f"C = {scale.format_flops(C)}", 26),
                              self.t("·", 26, th.dim),
                              figure(self, "rate", f"{rate} each", 26))
            side = 3.0
            k = 1
            while k * k < cl.n_accelerators:
                k += 1
            cell = side / k
            grid = VGroup(*(Line([0, -i * cell, 0], [side, -i * cell, 0]) for i in range(k + 1)),
                          *(Line([i * cell, 0, 0], [i * cell, -side, 0]) for i in range(k + 1)))
            grid.set_stroke(th.ffn, width=1.0)
            fill = Rectangle(width=side, height=side, stroke_width=0).set_fill(th.ffn, 0.3).move_to(grid)
            many_box = VGroup(fill, grid)
            one_cell = Square(side_length=cell, stroke_color=th.ffn, stroke_width=1.0).set_fill(th.ffn, 0.6)
            ring = Circle(radius=max(cell * 2.5, 0.22), color=th.highlight, stroke_width=2.5).move_to(one_cell)
            one_box = VGroup(Rectangle(width=side, height=side, stroke_width=0, fill_opacity=0), one_cell, ring)
            one_cell.move_to(one_box[0]), ring.move_to(one_box[0])
            cap_one = VGroup(self.t(f"1 × {cl.accelerator}", 24, th.dim),
                             figure(self, "one_time", scale.format_duration(one), 36, th.highlight)
                             ).arrange(DOWN, buff=0.15)
            cap_many = VGroup(self.t(f"{scale.format_int(cl.n_accelerators)} × {cl.accelerator}", 24, th.dim),
                              figure(self, "many_time", scale.format_duration(many), 36, th.highlight)
                              ).arrange(DOWN, buff=0.15)
            left = VGroup(one_box, cap_one).arrange(DOWN, buff=0.3)
            right = VGroup(many_box, cap_many).arrange(DOWN, buff=0.3)
            cols = VGroup(left, right).arrange(RIGHT, buff=2.5)
            group = VGroup(VGroup(formula, given).arrange(DOWN, buff=0.2), cols).arrange(DOWN, buff=0.4)
            self.fit(group)
            group.move_to([0, centre_y(self), 0])
            self.play(FadeIn(formula), FadeIn(given), run_time=1)
            self.play(FadeIn(one_cell), Create(ring), FadeIn(cap_one), run_time=1)
            self.play(FadeIn(fill), Create(grid, lag_ratio=0.01), run_time=1.5)
            self.play(FadeIn(cap_many, shift=0.2 * UP), run_time=0.8)
        clear_stage(self, fade=FadeOut)

    def weights(self, sp):
        th, P = self.theme, scale.n_params(sp)
        mems = scale.inference_memory_by_precision(P)
        cl = scale.REFERENCE_CLUSTER
        fp16 = mems["fp16"]
        need = scale.accelerators_to_hold(fp16.total, cl.memory_per_accelerator)
        overhead = scale.format_percent(fp16.overhead / fp16.weights) if fp16.weights else ""
        words = (f"To run it, the weights must sit in memory: {scale.format_bytes(mems['fp32'].weights)} in fp32, "
                 f"{scale.format_bytes(fp16.weights)} in fp16, {scale.format_bytes(mems['int4'].weights)} in int4, "
                 f"plus some overhead. In fp16 that needs {need} {cl.accelerator} card{'s' if need != 1 else ''}.")
        with self.step("ch12.weights", narration=words, heading="Memory to run: the weights"):
            rows = []
            for prec, m in mems.items():
                text = f"{scale.format_bytes(m.weights)} + {scale.format_bytes(m.overhead)}"
                unit = "byte" if m.bytes_per_param == 1 else "bytes"
                rows.append((prec, f"{prec}: {scale.format_number(m.bytes_per_param)} {unit}",
                             [(m.weights, th.embedding, 0.85), (m.overhead, th.embedding, 0.3)], text))
                self.expose(f"mem_{prec}", scale.format_bytes(m.weights))
            chart = BarRows(th, rows, max_len=7.0, bar_h=0.45, gap=0.3, font_size=24)
            legend = line(Rectangle(width=0.35, height=0.25, stroke_width=0).set_fill(th.embedding, 0.85),
                               self.t("weights", 22, th.dim),
                               Rectangle(width=0.35, height=0.25, stroke_width=0).set_fill(th.embedding, 0.3),
                               self.t(f"+ {overhead} runtime overhead", 22, th.dim))
            group = VGroup(chart, legend).arrange(DOWN, buff=0.5)
            self.fit(group)
            group.move_to([0, centre_y(self) - 0.15, 0])
            self.expose("weight_chart", chart)
            extras = VGroup()
            # one accelerator's memory as a line, when it falls inside the chart
            first = chart.bars["fp32"][0]
            unit = chart.max_len * first.width / max(chart.lengths["fp32"][0], 1e-9)  # screen length of vmax
            x = first.get_left()[0] + cl.memory_per_accelerator / chart.vmax * unit
            if 0.04 * unit <= x - first.get_left()[0] <= unit:
                top, bottom = chart.get_top()[1] + 0.1, chart.get_bottom()[1] - 0.1
                mark = DashedLine([x, bottom, 0], [x, top, 0], color=th.highlight, stroke_width=2.5)
                tag = self.t(f"one {cl.accelerator}", 22, th.highlight).next_to(mark, UP, buff=0.08)
                extras.add(mark, tag)
            self.play(FadeIn(legend), run_time=0.5)
            for prec in mems:
                self.play(FadeIn(chart.labels[prec]), *chart.grow(prec), FadeIn(chart.value_labels[prec]),
                          run_time=0.7)
            if len(extras):
                self.play(Create(extras[0]), FadeIn(extras[1]), run_time=0.8)
        clear_stage(self, fade=FadeOut)

    def kv_cache(self, sp):
        th = self.theme
        per = scale.kv_cache(sp, 1)
        ctxs = scale.context_doublings(sp.n_ctx, 4)
        full = scale.kv_cache(sp)
        words = (f"Generating one token at a time reuses every earlier token's keys and values, so they are kept: "
                 f"{scale.format_bytes(per.per_token, binary=True)} per token, {scale.format_bytes(full.total)} for "
                 f"{scale.format_int(sp.n_ctx)} tokens, per sequence. And each token reads every weight once: "
                 "decoding waits on memory, not arithmetic.")
        with self.step("ch12.kv-cache", narration=words, heading="Memory to run: the KV cache"):
            kv_width = (f"{sp.n_kv_heads} × {sp.d_head}" if sp.n_kv_heads != sp.n_heads
                        else scale.format_int(sp.n_kv_heads * sp.d_head))
            per_line = line(
                self.t("per token:", 26, th.dim),
                self.t(f"2 (K and V) × {scale.format_number(scale.BYTES_PER_PARAM['fp16'])} bytes × "
                       f"{sp.n_layers} layer{'s' if sp.n_layers != 1 else ''} × {kv_width} =", 26),
                figure(self, "kv_token", scale.format_bytes(per.per_token, binary=True), 30, th.key))
            rows = []
            for n in ctxs:
                kv = scale.kv_cache(sp, n)
                rows.append((str(n), f"{scale.format_int(n)} tokens", [(kv.total, th.key, 0.85)],
                             scale.format_bytes(kv.total)))
                self.expose(f"kv_{n}", scale.format_bytes(kv.total))
            chart = BarRows(th, rows, max_len=7.0, bar_h=0.45, gap=0.3, font_size=24)
            group = VGroup(per_line, chart).arrange(DOWN, buff=0.7)
            self.fit(group)
            group.move_to([0, centre_y(self), 0])
            self.expose("kv_chart", chart)
            self.play(FadeIn(per_line), run_time=1)
            self.wait(2)
            for n in ctxs:
                self.play(FadeIn(chart.labels[str(n)]), *chart.grow(str(n)), FadeIn(chart.value_labels[str(n)]),
                          run_time=0.7)
        clear_stage(self, fade=FadeOut)

    def adam(self, sp):
        th, P = self.theme, scale.n_params(sp)
        tm = scale.training_memory(sp)
        cl = scale.REFERENCE_CLUSTER
        per = scale.adam_bytes_per_param()
        need = scale.accelerators_to_hold(tm.model_states, cl.memory_per_accelerator)
        b = scale.ADAM_BYTES_PER_PARAM
        words = (f"Training keeps far more per parameter: an fp16 weight and gradient, and for Adam an fp32 "
                 f"copy, momentum and variance. {scale.format_number(per)} bytes each: "
                 f"{scale.format_bytes(tm.model_states)}, {need} card{'s' if need != 1 else ''} before any "
                 "activation.")
        heading = f"Memory to train: {scale.format_number(per)} bytes per parameter"
        with self.step("ch12.adam", narration=words, heading=heading):
            parts = [("weights", ("weight", "fp16"), th.embedding), ("gradients", ("gradient", "fp16"), th.key),
                     ("optimizer", ("fp32 copy, momentum,", "variance (Adam)"), th.value)]
            cell = 0.72
            blocks = VGroup()
            for key, _, color in parts:
                blocks.add(VGroup(*(Square(side_length=cell * 0.88, stroke_width=0).set_fill(color, 0.85)
                                    for _ in range(int(b[key])))).arrange(RIGHT, buff=cell * 0.12))
            blocks.arrange(RIGHT, buff=cell * 0.5)
            captions = VGroup()
            for g, (key, lines, color) in zip(blocks, parts):
                cap = VGroup(*(self.t(ln, 20, color) for ln in lines),
                             self.t(f"{scale.format_number(b[key])} bytes", 22)).arrange(DOWN, buff=0.06)
                cap.next_to(g, DOWN, buff=0.2)
                captions.add(cap)
            total = line(figure(self, "adam_per", f"{scale.format_number(per)} bytes", 34, th.highlight),
                              self.t("×", 30),
                              figure(self, "adam_P", scale.format_count(P), 34),
                              self.t("parameters =", 30),
                              figure(self, "adam_total", scale.format_bytes(tm.model_states), 36, th.highlight))
            cards = line(self.t("at least", 24, th.dim), figure(self, "adam_cards", str(need), 26),
                              self.t(f"× {cl.accelerator}", 24, th.dim))
            group = VGroup(VGroup(blocks, captions), total, cards).arrange(DOWN, buff=0.6)
            self.fit(group)
            group.move_to([0, centre_y(self), 0])
            for g, cap in zip(blocks, captions):
                self.play(FadeIn(g, lag_ratio=0.1), FadeIn(cap), run_time=0.9)
                self.wait(0.6)
            self.play(FadeIn(total, shift=0.2 * UP), run_time=1)
            self.play(FadeIn(cards), run_time=0.6)
        clear_stage(self, fade=FadeOut)

    def activations(self, sp):
        th = self.theme
        kinds = [("none", "keep everything", th.mask), ("selective", "recompute attention", th.query),
                 ("full", "recompute everything", th.weights)]
        mems = {k: scale.training_memory(sp, recompute=k).activations for k, _, _ in kinds}
        words = (f"The backward pass also needs the forward pass's activations: {scale.format_bytes(mems['none'])} "
                 f"for one sequence. Recomputing the attention scores cuts that to "
                 f"{scale.format_bytes(mems['selective'])}; recomputing everything, to "
                 f"{scale.format_bytes(mems['full'])}, at the price of running the forward pass twice.")
        with self.step("ch12.activations", narration=words, heading="Memory to train: activations"):
            rows = [(k, label, [(mems[k], color, 0.85)], scale.format_bytes(mems[k])) for k, label, color in kinds]
            for k, _, _ in kinds:
                self.expose(f"act_{k}", scale.format_bytes(mems[k]))
            chart = BarRows(th, rows, max_len=7.0, bar_h=0.5, gap=0.35, font_size=24)
            note = self.t(f"one sequence of {scale.format_int(sp.n_ctx)} tokens, all {sp.n_layers_total} layers, fp16",
                          24, th.dim)
            group = VGroup(note, chart).arrange(DOWN, buff=0.6)
            self.fit(group)
            group.move_to([0, centre_y(self), 0])
            self.expose("activation_chart", chart)
            self.play(FadeIn(note), run_time=0.6)
            self.wait(1)
            for k, _, _ in kinds:
                self.play(FadeIn(chart.labels[k]), *chart.grow(k), FadeIn(chart.value_labels[k]), run_time=0.9)
                self.wait(1)
        clear_stage(self, fade=FadeOut)

    def attention_square(self, sp):
        th = self.theme
        ctxs = scale.context_doublings(sp.n_ctx, 3)
        flops = {n: scale.matmul_flops(n, sp.d_head, n) for n in ctxs}
        words = (f"Attention grows faster than the context: every token scores every other, an n by n matrix "
                 f"per head. Doubling the context quadruples it: {scale.format_flops(flops[ctxs[0]])} at "
                 f"{scale.format_int(ctxs[0])} tokens, {scale.format_flops(flops[ctxs[-1]])} at "
                 f"{scale.format_int(ctxs[-1])}.")
        with self.step("ch12.attention-n2", narration=words, heading="Attention grows as n²"):
            biggest = 3.6
            squares = VGroup()
            for n in ctxs:
                side = biggest * n / ctxs[-1]
                sq = Square(side_length=side, stroke_color=th.weights, stroke_width=2).set_fill(th.weights, 0.3)
                top = self.t(f"n = {scale.format_int(n)}", 26)
                cost = figure(self, f"qk_{n}", scale.format_flops(flops[n]), 24, th.weights)
                squares.add(VGroup(top, sq, cost).arrange(DOWN, buff=0.2))
            squares.arrange(RIGHT, buff=0.9, aligned_edge=DOWN)
            formula = MathTex(r"Q K^{\top}:\ (n \times d_k)\cdot(d_k \times n)\ \text{costs}\ 2\,n^2 d_k",
                              font_size=38, color=th.text)
            dk = self.t(f"one head, d_k = {sp.d_head}", 24, th.dim)
            group = VGroup(VGroup(formula, dk).arrange(DOWN, buff=0.15), squares).arrange(DOWN, buff=0.5)
            self.fit(group)
            group.move_to([0, centre_y(self), 0])
            self.expose("n2_squares", squares)
            self.play(FadeIn(formula), FadeIn(dk), run_time=1)
            for g in squares:
                self.play(FadeIn(g[0]), GrowFromEdge(g[1], DOWN), FadeIn(g[2]), run_time=1)
        clear_stage(self, fade=FadeOut)

    def summary(self, sp, name: str):
        th, P = self.theme, scale.n_params(sp)
        data = scale.training_tokens(sp)
        C = scale.training_compute(P, data.tokens).total
        cl = scale.REFERENCE_CLUSTER
        days = scale.training_days(C, cl.n_accelerators, cl.flops_per_accelerator) * scale.SECONDS_PER_DAY
        items = [
            ("parameters", scale.format_count(P)),
            ("forward pass, per token", scale.format_flops(scale.forward_flops_per_token(sp).total)),
            ("training compute", scale.format_flops(C)),
            (f"on {scale.format_int(cl.n_accelerators)} accelerators", scale.format_duration(days)),
            ("weights in fp16", scale.format_bytes(scale.inference_memory(P, "fp16").weights)),
            (f"KV cache, {scale.format_int(sp.n_ctx)} tokens", scale.format_bytes(scale.kv_cache(sp).total)),
            ("training states (Adam)", scale.format_bytes(scale.training_memory(sp).model_states)),
        ]
        words = (f"{name} on a napkin. Every figure came from a few rules: 2 m n p for a product, 2 P per "
                 "token, 6 P D to train, and bytes times parameters.")
        with self.step("ch12.summary", narration=words, heading=f"{name} on a napkin"):
            rows = table([(self.t(k, 26, th.dim), figure(self, f"sum_{i}", v, 28))
                               for i, (k, v) in enumerate(items)], row_h=0.6)
            rule = Line(rows.get_corner(UP + LEFT) + 0.3 * UP, rows.get_corner(UP + RIGHT) + 0.3 * UP,
                        color=th.dim, stroke_width=1.5)
            group = VGroup(rule, rows)
            self.fit(group)
            group.move_to([0, centre_y(self), 0])
            self.play(Create(rule), run_time=0.5)
            self.play(FadeIn(rows, lag_ratio=0.2), run_time=2.5)
            self.play(Indicate(rows[2][1], color=th.highlight), run_time=1)
