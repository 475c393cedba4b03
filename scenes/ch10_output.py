"""Chapter 10: Output and prediction.

The rest of the decoder layer in brief (Add & Norm, feed-forward, Add & Norm: the components of chapters 6
and 7); the output projection of every position on its own; the softmax as bars over the whole vocabulary
(the top words labelled; a large vocabulary shows its top words and elides the rest); the predicted next word
at every position against the true one; then greedy generation from <start>, one token at a time, each
chosen token appended and fed back, until <end> or the limit. Whether the weights were trained (and on what)
is said plainly, from the record.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, AnimationGroup, Arrow, Create, FadeIn, Indicate, LaggedStart,
                   MathTex, ReplacementTransform, RoundedRectangle, Transform, TransformFromCopy, VGroup, VMobject)

from scenes.base import ChapterScene
from scenes.components.attention import attention_grid, focus_row, rename, retire, wrapped_note
from scenes.components.stage import clear_stage, everything_but, fade_in, fade_out
from scenes.components.sums import build_matrix_sum, play_matrix_sum
from scenes.components import (NumericMatrix, ProbabilityBars, Region, TokenRow, content_region, hide,
                               layout_product, reveal, show_matrix_product)
from scenes.components.matrix import format_number, shown_indices, shown_subset
from scenes.components.text import ellipsize, flat_text, label_max_width, label_width
from scenes.components.tokens import chip_max_width, chip_widths

DEC = "decoder.0"
TOP_WORDS = 3          # words labelled under the bars of the whole vocabulary
WHOLE_VOCAB = 40       # up to this many words, every word gets a bar; beyond, the top ones and "+k more"
GEN_BARS = 5           # bars per generation step (the most probable words)


@dataclass
class GenerationStage:
    """Where greedy generation is drawn: the source line, the decoder-input row (laid out for the whole
    generated sequence), the model box (box, text) with its arrows, and the room for each step's bars; the
    decoder's words."""
    gen: list[str]
    src_line: VGroup
    row: TokenRow
    row_label: VMobject
    model: VGroup
    arrow_in: Arrow | None
    arrow_out: Arrow
    bars_region: Region
    words: DecoderWords

    def arrow_from(self, t: int, theme) -> Arrow:
        """From position t's chip to the model: the last position feeds the prediction."""
        chip, model = self.row.get_chip(t), self.model[0]
        return Arrow(chip.get_bottom(), [model.get_x() + (chip.get_x() - model.get_x()) * 0.3, model.get_top()[1], 0],
                     buff=0.08, color=theme.highlight, stroke_width=4, max_tip_length_to_length_ratio=0.3)


@dataclass(frozen=True)
class DecoderWords:
    """The decoder's words: its input (target_input), the true next words (target_labels), the vocabulary."""
    tgt: list[str]
    labels: list[str]
    vocab: list[str]

    @classmethod
    def of(cls, example) -> "DecoderWords":
        return cls(list(example.tokens["target_input"]), list(example.tokens["target_labels"]), list(example.vocab))

    @property
    def m(self) -> int:
        return len(self.tgt)

    @property
    def V(self) -> int:
        return len(self.vocab)

    @property
    def r(self) -> int:
        """The position followed in detail."""
        return focus_row(self.m)


class OutputScene(ChapterScene):
    def construct(self):
        self.title_card("From rows to words")
        shown: dict[str, NumericMatrix] = self.expose("shown", {})       # step id -> matrix shown (for tests)
        # (bars, step id, row or None): bars drawn and the values they show (for tests)
        prob_bars: list[tuple] = self.expose("prob_bars", [])
        wd = DecoderWords.of(self.example)
        N2, N2_notes = self.add_norm_2(wd, shown)
        shown[f"{DEC}.ffn.out"] = self.feed_forward(wd, N2, N2_notes)
        N3 = self.add_norm_3(wd, shown)
        shown["decoder.output"] = self.decoder_output(wd, N3)
        lay = self.logits(wd)
        shown["output.logits"] = lay.result
        Pm, bars = self.probs(wd, lay)
        shown["output.probs"] = Pm
        prob_bars.append((bars, "output.probs", wd.r))
        self.predicted(wd)
        self.generate(wd, shown, prob_bars)

    # ------------------------------------------------------------ helpers
    def drop_parts(self, matrix):
        """Remove matrix and the groups of its cells that animations left in the scene."""
        parts = {id(x) for x in matrix.get_family()}
        self.remove(*[m for m in self.mobjects if id(m) in parts or any(id(x) in parts for x in m.get_family())])

    def left_home(self, mob) -> np.ndarray:
        """Where a matrix stands while notes go on its right: the left of the content area, centred."""
        area = content_region(self)
        return np.array([area.left + mob.width / 2 + 0.2, (area.top + area.bottom) / 2 - 0.25, 0.0])

    def residual_and_norm(self, wd: DecoderWords, shown: dict, a_id: str, b_id: str, norm: str, names,
                          out_tex: str, slow_cells: int):
        """a + b = Z (the component of chapters 6 and 7), then Z turns row by row into LayerNorm(Z)."""
        theme, dec = self.theme, self.cfg.decimals
        ms = build_matrix_sum(self, self.value(a_id), self.value(b_id), self.value(f"{norm}.sum"), names, wd.tgt,
                              decimals=dec)
        play_matrix_sum(self, ms, wd.r, slow_cells=slow_cells, row_time=0.15, decimals=dec,
                        tokens=wd.tgt, position_word="position")
        C = ms.c
        shown[f"{norm}.sum"] = C
        N = NumericMatrix(self.value(f"{norm}.out"), theme, decimals=dec, row_labels=wd.tgt,
                          font_size=ms.font_size, cell_width=C.cell_width, rows=C.shown_rows, cols=C.shown_cols)
        N.font_size = ms.font_size
        N.move_to(self.left_home(N))
        name = MathTex(out_tex, font_size=32, color=theme.residual)
        self.fit(name, width=self.content_width)
        name.next_to(N, UP, buff=0.25).align_to(N.get_grid(), LEFT)
        if name.get_left()[0] < -self.content_width / 2:
            name.align_to(N, LEFT)
        norm_note = VGroup(self.text("each row: mean 0, variance 1,", 22, theme.dim),
                           self.text("then γ and β (chapter 6)", 22, theme.dim)).arrange(DOWN, buff=0.1)
        room = content_region(self).right - N.get_right()[0] - 0.6
        show_note = room >= norm_note.width * 0.85
        if show_note:
            self.fit(norm_note, width=room)
            norm_note.move_to([(N.get_right()[0] + content_region(self).right) / 2, N.get_y(), 0])
        self.play(*(fade_out(m) for m in everything_but(self, C)), C.animate.move_to(N), fade_in(name),
                  run_time=0.8)
        # C's rows turn into N's (C itself stays as it was: it still shows the sum, for the record)
        self.drop_parts(C)
        self.add(N.brackets, N.row_label_group, N.ellipses)
        self.play(LaggedStart(*(TransformFromCopy(C.get_row(i), N.get_row(i)) for i in C.shown_row_indices()),
                              lag_ratio=0.15), *([fade_in(norm_note)] if show_note else []), run_time=1.2)
        self.drop_parts(N)
        self.add(N)
        shown[f"{norm}.out"] = N
        return N, VGroup(name, *([norm_note] if show_note else []))

    # ------------------------------------------------------------ the rest of the decoder layer
    def add_norm_2(self, wd: DecoderWords, shown: dict) -> tuple[NumericMatrix, VGroup]:
        narration = ("The decoder layer ends like the encoder layer. First the same Add & Norm as in chapter 6: the "
                     "cross-attention output is added to its input, and each row is normalized again.")
        with self.step("ch10.add-norm", narration=narration, heading="Add & Norm after cross-attention"):
            N2, N2_notes = self.residual_and_norm(
                wd, shown, f"{DEC}.norm1.out", f"{DEC}.cross_attn.out", f"{DEC}.norm2",
                ("Y", r"\mathrm{Cross}(Y)", "Z_2"), r"Y_2 = \mathrm{LayerNorm}(Y + \mathrm{Cross}(Y))", slow_cells=1)
            self.wait(0.4)
        return N2, N2_notes

    def feed_forward(self, wd: DecoderWords, X: NumericMatrix, notes: VGroup) -> NumericMatrix:
        """FFN(Y_2) in brief: X's rows turn into the feed-forward's; returns the output matrix."""
        theme, d, dff, dec = self.theme, self.cfg.d_model, self.cfg.d_ff, self.cfg.decimals
        rec = self.record(f"{DEC}.ffn.out")
        narration = (f"Then the feed-forward network of chapter 7, on each row alone: widened to {dff} numbers, the "
                     f"negatives set to zero, and narrowed back to {d}.")
        with self.step("ch10.ffn", narration=narration, heading="Feed-forward, on each row alone"):
            name, *old_notes = notes
            area = content_region(self)
            F = NumericMatrix(rec.value, theme, decimals=dec, row_labels=wd.tgt,
                              font_size=X.font_size, cell_width=X.cell_width, rows=X.shown_rows,
                              cols=X.shown_cols).move_to(X)
            new_name = MathTex(r"\mathrm{FFN}(Y_2)", font_size=32, color=theme.ffn).move_to(name, aligned_edge=LEFT)
            what = VGroup(MathTex(r"\mathrm{FFN}(x) = \max(0,\ x W_1 + b_1)\, W_2 + b_2", font_size=30,
                                  color=theme.ffn),
                          self.text(f"{d} → {dff} → {d} numbers per row", 22, theme.dim),
                          self.text("the same weights for every row", 22, theme.dim)).arrange(DOWN, buff=0.2)
            room = area.right - X.get_right()[0] - 0.5
            if room >= what.width * 0.6:
                self.fit(what, width=room)
                what.move_to([(X.get_right()[0] + area.right) / 2, X.get_y(), 0])
            else:
                self.fit(what, width=area.width)
                what.next_to(X, DOWN, buff=0.2)
            self.play(*(fade_out(m) for m in old_notes), fade_in(what), run_time=0.7)
            idx = X.shown_row_indices()
            first = idx[0]
            box = X.row_box(first, theme.ffn)
            self.play(Create(box), run_time=0.4)
            # a stand-in's rows turn into F's, one then the rest (X keeps showing Y_2, for the record)
            stand = X.copy()
            self.drop_parts(X)
            self.add(stand, box)
            self.play(Transform(stand.get_row(first), F.get_row(first).copy()), run_time=0.8)
            self.play(fade_out(box), LaggedStart(*(Transform(stand.get_row(i), F.get_row(i).copy()) for i in idx[1:]),
                                                lag_ratio=0.2), Transform(name, new_name), run_time=1.4)
            self.drop_parts(stand)
            self.add(F)
        return F

    def add_norm_3(self, wd: DecoderWords, shown: dict) -> NumericMatrix:
        narration = ("And a third Add & Norm: the feed-forward output is added to its input and each row normalized. "
                     "This is the decoder's output.")
        with self.step("ch10.add-norm-3", narration=narration, heading="Add & Norm, a third time"):
            clear_stage(self, run_time=0.4, detach=True)
            N3, _ = self.residual_and_norm(
                wd, shown, f"{DEC}.norm2.out", f"{DEC}.ffn.out", f"{DEC}.norm3",
                ("Y_2", r"\mathrm{FFN}(Y_2)", "Z_3"), r"Y_3 = \mathrm{LayerNorm}(Y_2 + \mathrm{FFN}(Y_2))",
                slow_cells=0)
        return N3

    def decoder_output(self, wd: DecoderWords, N3: NumericMatrix) -> NumericMatrix:
        theme, dec = self.theme, self.cfg.decimals
        rec = self.record("decoder.output")
        with self.step("decoder.output"):
            fs = 20 if wd.m <= 10 else self.theme.size_min
            Y = NumericMatrix(rec.value, theme, decimals=dec, row_labels=rec.rows, font_size=fs, max_rows=12)
            name = MathTex(r"Y = \mathrm{Dec}(\mathrm{target}, H)", font_size=34, color=theme.text)
            block = VGroup(name, Y).arrange(DOWN, buff=0.25)
            self.fit(block, width=self.content_width - 4.2)       # leaves room for the notes on the right
            area = content_region(self)
            block.move_to([area.left + block.width / 2 + 0.2, (area.top + area.bottom) / 2, 0])
            notes = VGroup(self.text("one row per target position", 24),
                           self.text("row t: the words up to t", 22, theme.dim),
                           self.text("and the whole source sentence", 22, theme.dim),
                           self.text("next: which word comes after t?", 24, theme.highlight)).arrange(DOWN, buff=0.18)
            self.fit(notes, width=area.right - block.get_right()[0] - 0.6)
            notes.move_to([(block.get_right()[0] + area.right) / 2, block.get_y(), 0])
            self.play(*(fade_out(m) for m in everything_but(self, N3)), ReplacementTransform(N3, Y),
                      fade_in(name), run_time=1.0)
            self.play(FadeIn(notes, lag_ratio=0.3), run_time=1.2)
        return Y

    # ------------------------------------------------------------ output layer
    def logits(self, wd: DecoderWords):
        """Y · W_out, worked out for a position or two; returns the product's layout."""
        theme = self.theme
        rec = self.record("output.logits")
        W = self.example.weights["embedding.W_E"].T if self.cfg.tied_output else self.example.weights["output.W_out"]
        w_tex = r"W_E^\top" if self.cfg.tied_output else r"W_{\mathrm{out}}"
        lay = layout_product(self, self.value("decoder.output"), W, rec.value,
                             names=("Y", w_tex, r"\mathrm{logits}"), colors=(None, theme.embedding, None),
                             left_row_labels=wd.tgt, right_col_labels=wd.vocab, result_col_labels=wd.vocab,
                             kinds=("scheme", "row"))
        L = lay.result.hide_entries()
        with self.step("output.logits"):
            clear_stage(self, run_time=0.5, detach=True)
            self.play(fade_in(lay.left), fade_in(lay.right), fade_in(L), fade_in(lay.name_group), fade_in(lay.ops),
                      run_time=0.8)
            show_matrix_product(self, lay.left, lay.right, L, detailed=1, rows=2, rest=True, panel=lay.panel,
                                speed=1.5, moment="ch10.logits-work")
            note = wrapped_note(self, [("Each position on its own, with the same matrix:", theme.text),
                                       (f"{self.cfg.d_model} numbers in, one score per word out "
                                        f"({wd.V} words).", theme.dim)], lay.panel)
            if note is not None:
                self.play(fade_in(note), run_time=0.6)
        return lay

    def probs(self, wd: DecoderWords, logits_lay) -> tuple[NumericMatrix, VGroup]:
        """softmax row by row; then one position's distribution as bars. Returns P on screen and the bars."""
        theme, r = self.theme, wd.r
        rec = self.record("output.probs")
        P = rec.value
        recs = [self.record("output.logits"), rec]
        whole = wd.V <= WHOLE_VOCAB
        # the columns of the words the positions should predict (the focus row's first), as many as fit
        ids = []
        for w in [wd.labels[r]] + wd.labels:
            if wd.vocab.index(w) not in ids:
                ids.append(wd.vocab.index(w))
        candidates = [shown_subset(wd.V, ids[:k], limit=12) for k in range(len(ids), 0, -1)]
        grid = attention_grid(self, recs, fills=[None, theme.weights], name_tex=r"\mathrm{logits}", panel_rows=0,
                              bars=0.2, col_candidates=[c for c in candidates if len(c) <= 13], keep_row=r)
        Lg, Pm = grid.mats
        with self.step("output.probs"):
            old = logits_lay.result
            clear_stage(self, old, run_time=0.5, detach=True)
            self.drop_parts(old)          # it stays as it was (the record's logits); a copy moves into the grid
            self.play(TransformFromCopy(old, Lg), fade_in(grid.name), run_time=1.0)
            Pm.hide_entries()
            self.add(Pm, grid.name)
            self.play(LaggedStart(*(
                AnimationGroup(*[hide(Lg.get_cell(i, j)) for j in Lg.shown_col_indices()],
                               *[reveal(Pm, i, j) for j in Pm.shown_col_indices()])
                for i in Pm.shown_row_indices()), lag_ratio=0.2),
                rename(self, grid, r"P = \mathrm{softmax}(\mathrm{logits})", theme.weights), run_time=1.4)
            retire(self, grid, Lg, Pm)
            if r in Pm.shown_row_indices():
                box = Pm.row_box(r, theme.highlight)
                self.play(Create(box), run_time=0.5)
            self.key_moment("ch10.probs-grid")
            # one position's distribution over the whole vocabulary, as large as the stage allows
            area = content_region(self)
            tag = VGroup(self.text(f"after '{wd.tgt[r]}', position {r + 1}", 24, theme.highlight),
                         self.text(f"true next word: '{wd.labels[r]}'", 22, theme.dim)).arrange(RIGHT, buff=0.6)
            self.fit(tag, width=area.width)
            tag.move_to([area.left + tag.width / 2, area.top - 0.1 - tag.height / 2, 0])
            region = Region(area.left, area.right, area.bottom, tag.get_bottom()[1] - 0.3)
            bars = self.vocab_bars(wd, P[r], region, whole)
            self.play(*(fade_out(m) for m in everything_but(self)), fade_in(tag), run_time=0.6)
            self.add(bars)
            self.play(bars.grow(run_time=1.4), run_time=1.4)
        return Pm, bars

    def vocab_bars(self, wd: DecoderWords, probs, panel: Region, whole: bool) -> VGroup:
        """The distribution as bars: every word when the vocabulary is small (the top few labelled), else the
        most probable words and "+k more". Heights are the record's probabilities (1.0 = full length)."""
        theme = self.theme
        top = [int(k) for k in np.argsort(-probs, kind="stable")[:TOP_WORDS]]
        label_room = max(label_width(w, theme.font, 20, label_max_width(20)) for w in wd.vocab) + 0.2
        if whole:
            slot = min(0.55, (panel.width - 1.0) / wd.V)
            labels = [w if k in top else "" for k, w in enumerate(wd.vocab)]
            length = max(0.6, panel.height - label_room - 0.75)
            bars = ProbabilityBars(probs, theme, labels=labels, max_bars=wd.V, slot=slot, bar_width=slot * 0.7,
                                   length=length, scale_max=1.0, label_font_size=20)
        else:
            n = 12
            slot = min(0.8, (panel.width - 2.0) / n)
            length = max(0.6, panel.height - label_room - 0.75)
            bars = ProbabilityBars(probs, theme, labels=wd.vocab, max_bars=n, order="value", slot=slot,
                                   bar_width=slot * 0.7, length=length, scale_max=1.0, label_font_size=20)
        # the top words' probabilities above their bars (staggered when two are neighbours)
        values = VGroup()
        placed = []
        for k in top:
            if k not in bars.bars:
                continue
            bar = bars.get_bar(k)
            v = flat_text(format_number(float(probs[k]), self.cfg.decimals), theme.mono, 20,
                          theme.highlight if k == bars.max_index else theme.text)
            v.next_to(bar, UP, buff=0.08)
            for other in placed:
                if abs(other.get_x() - v.get_x()) < (other.width + v.width) / 2 + 0.05 and \
                        abs(other.get_y() - v.get_y()) < v.height + 0.05:
                    v.next_to(other, UP, buff=0.05).set_x(bar.get_x())
            placed.append(v)
            values.add(v)
        bars.value_marks = values
        bars.add(values)
        self.fit(bars, width=panel.width - 0.2, height=panel.height - 0.1)
        bars.move_to(panel.center)
        return bars

    def predicted(self, wd: DecoderWords):
        theme = self.theme
        pred = list(self.example.tokens["predicted"])
        run = self.example.training
        with self.step("output.predicted"):
            clear_stage(self, run_time=0.5, detach=True)
            fs = 24
            head_w, room = 2.3, self.content_width / 0.85

            def slot_widths(cap):
                return [max(a, b, c) + 0.05 for a, b, c in zip(chip_widths(wd.tgt, theme, fs, cap),
                                                               chip_widths(pred, theme, fs, cap),
                                                               chip_widths(wd.labels, theme, fs, cap))]
            cap = None                        # whole words while they fit, else cut like labels (or shorter)
            widths = slot_widths(cap)
            total = sum(widths) + 0.12 * (wd.m - 1)
            parts = 1 if total + head_w <= room else 2
            cut = [0, wd.m] if parts == 1 else [0, (wd.m + 1) // 2, wd.m]
            k = cut[1] - cut[0]               # the most chips in one block
            if max(sum(widths[a:b]) + 0.12 * (b - a - 1) for a, b in zip(cut, cut[1:])) + head_w > room:
                cap = min(chip_max_width(theme, fs, label_max_width(fs)), (room - head_w - 0.12 * (k - 1)) / k - 0.05)
                widths = slot_widths(cap)
            blocks = VGroup()
            pred_chips, true_chips, marks = [], [], VGroup()
            for a, b in zip(cut, cut[1:]):
                rows = [TokenRow(toks[a:b], theme, font_size=fs, max_width=1e9, min_widths=widths[a:b], colors=c,
                                 chip_kwargs={"max_width": cap})
                        for toks, c in ((wd.tgt, theme.query), (pred, theme.highlight), (wd.labels, theme.weights))]
                VGroup(*rows).arrange(DOWN, buff=0.5)
                for rr in rows[1:]:
                    for x, y in zip(rows[0].chips, rr.chips):
                        y.set_x(x.get_x())
                ticks = VGroup()
                for p, t, chip in zip(pred[a:b], wd.labels[a:b], rows[1].chips):
                    ok = p == t
                    mark = flat_text("✓" if ok else "✗", theme.font, 24, theme.weights if ok else theme.mask)
                    ticks.add(mark.move_to([chip.get_x(), (rows[1].get_bottom()[1] + rows[2].get_top()[1]) / 2, 0]))
                heads_here = VGroup(self.text("input", 22, theme.dim), self.text("predicted", 22, theme.dim),
                                    self.text("true next", 22, theme.dim))
                for h, rr in zip(heads_here, rows):
                    h.next_to(rr, LEFT, buff=0.35).set_y(rr.chips[0].box.get_y())
                heads_here.align_to(heads_here[1], RIGHT)
                for h, rr in zip(heads_here, rows):
                    h.align_to([rr.get_left()[0] - 0.35, 0, 0], RIGHT)
                block = VGroup(heads_here, *rows, ticks)
                block.rows, block.ticks = rows, ticks
                blocks.add(block)
                pred_chips += list(rows[1].chips)
                true_chips += list(rows[2].chips)
                marks.add(ticks)
            blocks.arrange(DOWN, buff=0.6, aligned_edge=LEFT)
            if run is None:
                honest = [("Random, untrained weights: these guesses are arbitrary.", theme.mask)]
            elif run.reproduced:
                honest = [(f"Trained on this one sentence pair ({run.steps} steps): it recalls the sentence, "
                           "it does not understand language." if run.pairs == 1 else
                           f"Trained for {run.steps} steps on this pair and {run.pairs - 1} corpus lines: "
                           "it recalls, it does not understand.", theme.dim)]
            else:
                honest = [(f"Trained for {run.steps} steps, the limit, and still wrong in places.", theme.mask)]
            self.expose("pred_chips", pred_chips)
            self.expose("true_chips", true_chips)
            self.expose("honesty_text", honest[0][0])
            note = wrapped_note(self, honest, Region(-self.content_width / 2, self.content_width / 2, 0, 1.2),
                                font_size=24)
            group = VGroup(blocks, *([note] if note is not None else []))
            if note is not None:
                note.next_to(blocks, DOWN, buff=0.5)
            self.fit(group, width=self.content_width, height=self.content_height - 0.2)
            group.move_to([0, (self.content_top + self.content_bottom) / 2, 0])
            for block in blocks:
                self.play(fade_in(block[0][0]), fade_in(block.rows[0]), run_time=0.6)
            self.play(*(fade_in(block[0][1]) for block in blocks), *(fade_in(block[0][2]) for block in blocks),
                      *(fade_in(block.rows[2]) for block in blocks), run_time=0.7)
            self.play(LaggedStart(*(FadeIn(c, shift=DOWN * 0.15) for c in pred_chips), lag_ratio=0.12),
                      run_time=1.4)
            self.play(LaggedStart(*(FadeIn(t, scale=1.4) for t in marks.family_members_with_points()),
                                  lag_ratio=0.08), run_time=1.0)
            if note is not None:
                self.play(fade_in(note), run_time=0.7)

    # ------------------------------------------------------------ generation
    def generate(self, wd: DecoderWords, shown: dict, prob_bars: list):
        gen = list(self.example.tokens["generated"])
        stage = self.generation_stage(wd, gen)
        chips = self.expose("generated_chips", [])     # the chips of the generated tokens, in order
        bars = self.first_generation_step(stage, chips, shown, prob_bars)
        # the other steps faster: the new input, its bars, the chosen token appended
        for t in range(1, len(gen)):
            bars = self.next_generation_step(stage, chips, t, bars, prob_bars)

    def generation_stage(self, wd: DecoderWords, gen) -> GenerationStage:
        """The source line, the decoder-input row (laid out once for the final sequence, so chips keep their
        places as the row grows), the model box and its arrows, and the room for each step's bars."""
        theme, area = self.theme, content_region(self)
        row_label = self.text("decoder input", 22, theme.dim)
        lead = max(2.2, row_label.width + 0.3)      # the label starts at the content area's left edge
        row = TokenRow(["<start>"] + gen, theme, font_size=24, max_width=area.width - lead - 0.2, max_height=1.6,
                       colors=theme.query, min_font_size=18, elide=label_max_width(24))
        src_line = self.source_line(area)
        row.next_to(src_line, DOWN, buff=0.45)
        row.set_x(area.left + lead + row.width / 2)
        row_label.next_to(row, LEFT, buff=0.3).set_y(row.chips[0].box.get_y())
        box = RoundedRectangle(corner_radius=0.15, width=5.2, height=0.7, stroke_color=theme.dim, stroke_width=2,
                               fill_color=theme.panel, fill_opacity=0.8)
        model_t = self.text("encoder + decoder: the last position", 22)
        self.fit(model_t, width=box.width - 0.3)
        box.next_to(row, DOWN, buff=0.7).set_x(0)
        model_t.move_to(box)
        bars_region = Region(area.left + 1.0, area.right - 1.0, area.bottom, box.get_bottom()[1] - 0.7)
        arrow_out = Arrow(box.get_bottom(), [0, bars_region.top + 0.05, 0], buff=0.08, color=theme.dim,
                          stroke_width=4)
        stage = GenerationStage(gen, src_line, row, row_label, VGroup(box, model_t), None, arrow_out, bars_region,
                                wd)
        stage.arrow_in = stage.arrow_from(0, theme)
        return stage

    def source_line(self, area: Region) -> VGroup:
        """'source (encoded once):' and the source sentence, at the top of the area. A sentence that would
        shrink below 18 has its long words cut, then, if need be, its middle words left out (⋯)."""
        theme = self.theme
        src = list(self.example.tokens["source"])
        sep = " " if self.cfg.tokenizer == "word" else ""
        head = self.text("source (encoded once):", 22, theme.dim)
        src_text = self.text(sep.join(src), 22, theme.key)
        if head.width + 0.2 + src_text.width > area.width * 22 / 18:   # it would shrink below 18: cut long words
            cut = [ellipsize(w, theme.font, 22, label_max_width(22)) for w in src]
            for limit in range(len(cut), 2, -1):       # still too long: fewer words, the first ones and the last
                words = [cut[i] if i is not None else "⋯" for i in shown_indices(len(cut), limit)]
                src_text = self.text(sep.join(words), 22, theme.key)
                if head.width + 0.2 + src_text.width <= area.width * 22 / 18:
                    break
        src_line = VGroup(head, src_text).arrange(RIGHT, buff=0.2)
        self.fit(src_line, width=area.width)
        return src_line.move_to([0, area.top - 0.05 - src_line.height / 2, 0])

    def generation_bars(self, stage: GenerationStage, t: int) -> ProbabilityBars:
        """Step t's most probable words as bars, in the room below the model."""
        wd = stage.words
        probs = self.value(f"generate.{t}.probs")
        b = ProbabilityBars(probs, self.theme, labels=wd.vocab, max_bars=min(GEN_BARS, wd.V), order="value",
                            direction="right", slot=0.5, bar_width=0.34, length=5.0, scale_max=1.0,
                            show_values=True, decimals=self.cfg.decimals, font_size=20, label_font_size=22)
        self.fit(b, width=stage.bars_region.width, height=stage.bars_region.height - 0.1)
        b.move_to(stage.bars_region.center)
        return b

    def append_token(self, stage: GenerationStage, chips: list, t: int, bars: ProbabilityBars):
        """Step t's chosen token flies from its bar's label (or the bars) into the row."""
        tok_id = int(self.value(f"generate.{t}.token"))
        chip = stage.row.get_chip(t + 1)
        chips.append(chip)
        src_label = bars.get_label(tok_id) if tok_id in bars.labels else bars
        self.play(TransformFromCopy(src_label, chip), run_time=0.8)
        if t == len(stage.gen) - 1:
            self.generation_verdict(stage.words, stage.gen, bars, stage.bars_region)

    def first_generation_step(self, stage: GenerationStage, chips: list, shown: dict,
                              prob_bars: list) -> ProbabilityBars:
        """Step 0 in full: input, logits, probabilities, the chosen token. Returns its bars."""
        with self.step("generate.0.input"):
            clear_stage(self, run_time=0.5, detach=True)
            self.play(fade_in(stage.src_line), fade_in(stage.row_label), fade_in(stage.row.get_chip(0)),
                      run_time=0.8)
            self.play(Create(stage.arrow_in), fade_in(stage.model[0]), fade_in(stage.model[1]), run_time=0.8)
        with self.step("generate.0.logits"):
            vec, name = self.generation_logits(stage.words, stage.bars_region)
            self.play(Create(stage.arrow_out), fade_in(vec), fade_in(name), run_time=1.0)
            shown["generate.0.logits"] = vec
        with self.step("generate.0.probs"):
            bars = self.generation_bars(stage, 0)
            prob_bars.append((bars, "generate.0.probs", None))
            self.add(bars)
            self.play(fade_out(vec), fade_out(name), bars.grow(run_time=1.2), run_time=1.2)
        with self.step("generate.0.token"):
            self.append_token(stage, chips, 0, bars)
        return bars

    def generation_logits(self, wd: DecoderWords, region: Region) -> tuple[NumericMatrix, MathTex]:
        """Step 0's logits as a row (the largest ones, the chosen token's among them, when the vocabulary
        does not fit) and the record's formula beside it."""
        rec = self.record("generate.0.logits")
        chosen = int(self.value("generate.0.token"))
        order = [int(j) for j in np.argsort(-rec.value, kind="stable")]
        cols = next(c for k in range(4, 0, -1)
                    if len(c := shown_subset(wd.V, {chosen, *order[:k]}, limit=9)) <= 9)
        vec = NumericMatrix(rec.value, self.theme, decimals=self.cfg.decimals, col_labels=wd.vocab, cols=cols,
                            font_size=20)
        self.fit(vec, width=region.width, height=region.height)
        vec.move_to(region.center)
        name = MathTex(rec.formula, font_size=32, color=self.theme.text).next_to(vec, LEFT, buff=0.3)
        if name.get_left()[0] < content_region(self).left:
            name.next_to(vec, UP, buff=0.2)
        return vec, name

    def next_generation_step(self, stage: GenerationStage, chips: list, t: int,
                             bars: ProbabilityBars, prob_bars: list) -> ProbabilityBars:
        """Step t, fast: its bars replace the last ones, the arrow moves to the newest input, the chosen token
        is appended. Returns its bars."""
        # one heading for the fast steps (the caption names each step)
        with self.step(f"generate.{t}.token", heading="Greedy generation: append, feed back, repeat" if t == 1
                       else ""):
            new = self.generation_bars(stage, t)
            prob_bars.append((new, f"generate.{t}.probs", None))
            self.add(new)
            self.play(fade_out(bars), new.grow(run_time=0.8),
                      Transform(stage.arrow_in, stage.arrow_from(t, self.theme)),
                      Indicate(stage.row.get_chip(t), color=self.theme.highlight, scale_factor=1.1), run_time=0.8)
            self.append_token(stage, chips, t, new)
        return new

    def generation_verdict(self, wd: DecoderWords, gen, bars, region: Region):
        """What the generated words are, from the record: the target (memorized) or not, or arbitrary."""
        theme = self.theme
        run = self.example.training
        if run is None:
            text, color = "Random, untrained weights: the generated words are arbitrary.", theme.mask
        elif gen == wd.labels[:len(gen)]:
            whole = "the target" if len(gen) == len(wd.labels) else "the start of the target"
            text, color = f"Exactly {whole}: memorized in {run.steps} training steps.", theme.weights
        else:
            text, color = f"Not the target: {run.steps} training steps were not enough.", theme.mask
        self.expose("verdict_text", text)
        note = wrapped_note(self, [(text, color)], region, font_size=28)
        if note is not None:
            self.play(fade_out(bars), fade_in(note), run_time=0.8)
