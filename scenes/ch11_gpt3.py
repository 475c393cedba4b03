"""Chapter 11: GPT-3 on a napkin. The pipeline of chapters 1-10 redrawn at full scale for a model preset
(default GPT-3 175B, docs/teaching-notes.md §4): matrices as labelled blocks with their true dimensions, the
stack of layers with tokens flowing through it, generation one token at a time, what changed since the
original transformer, and the parameter count built up to its total.

Every size comes from mathcore.scale (stage_shapes, param_counts, the ModelSpec and the tokenization
example), formatted for reading; the scene computes nothing. Blocks have sides on a logarithmic scale
(said on screen): drawn to true proportions a 50,257-wide matrix would dwarf a 128-wide one.
"""
from __future__ import annotations

from manim import (DOWN, LEFT, RIGHT, UP, Arrow, Brace, Create, FadeIn, FadeOut, GrowFromEdge, Indicate,
                   Line, ManimColor, MathTex, Polygon, Rectangle, ShowPassingFlash, SurroundingRectangle, TransformFromCopy,
                   VGroup)

from mathcore import scale
from scenes.base import ChapterScene
from scenes.components import flat_text
from scenes.components.scale import figure, line
from scenes.components.stage import centre_y, clear_stage
from scenes.components.tokens import TokenChip
from scenes.theme import blend, hex_rgb


SIDE_POWER = 1 / 3   # block side ∝ dimension^(1/3): 128 to 50,257 fits on screen and still reads as growth


class ShapeBlock(VGroup):
    """A matrix as a block: sides proportional to the cube root of its dimensions (not to scale, said on
    screen), its name inside, its row count on the left and its column count on top."""

    def __init__(self, theme, name: str, shape: tuple[int, ...], color: str, unit: float, *,
                 font_size: float = 22, name_size: float = 30, min_side: float = 0.36, show_rows: bool = True,
                 **kwargs):
        super().__init__(**kwargs)
        rows, cols = (shape[0], 1) if len(shape) == 1 else shape[:2]
        self.shape = (rows, cols)
        h = max(unit * rows ** SIDE_POWER, min_side)
        w = max(unit * cols ** SIDE_POWER, min_side)
        self.rect = Rectangle(width=w, height=h, stroke_color=color, stroke_width=2).set_fill(color, 0.22)
        self.name = MathTex(name, font_size=name_size, color=theme.text)
        if self.name.width > w * 0.9 or self.name.height > h * 0.8:
            self.name.next_to(self.rect, DOWN, buff=0.12)
        else:
            self.name.move_to(self.rect)
        self.rows_label = flat_text(scale.format_int(rows), theme.mono, font_size, theme.dim)
        self.rows_label.next_to(self.rect, LEFT, buff=0.1)
        self.cols_label = flat_text(scale.format_int(cols), theme.mono, font_size, theme.dim)
        self.cols_label.next_to(self.rect, UP, buff=0.08)
        self.add(self.rect, self.name, self.cols_label)
        if show_rows:
            self.add(self.rows_label)


class GPT3Scene(ChapterScene):
    def construct(self):
        self.title_card(f"The same pipeline, at the size of {self.name}")
        self.tokens()
        log = self.embed()
        self.head(log)
        self.ffn(log)
        parts = self.stack()
        self.generate(parts)
        self.changes()
        self.params()

    # ------------------------------------------------------------ the model described (from the base's state)
    @property
    def spec(self):
        return scale.preset_spec(self.model_preset, self.cfg, len(self.example.vocab))

    @property
    def name(self) -> str:
        return scale.PRESET_TITLES.get(self.spec.name, self.spec.name)

    @property
    def shapes(self):
        return scale.stage_shapes(self.spec)

    @property
    def unit(self) -> float:
        """Block unit: the largest dimension drawn gets a side of about 3.2 units."""
        return 3.2 / max(max(s) for _, s in self.shapes) ** SIDE_POWER

    # ------------------------------------------------------------ helpers
    def shape(self, stage: str) -> tuple[int, ...]:
        """The shape of a stage of scale.stage_shapes; for an encoder-decoder, the encoder's stage."""
        found = dict(self.shapes)
        for name in (stage, "encoder " + stage, "encoder self-attention: " + stage):
            if name in found:
                return found[name]
        raise KeyError(f"no stage {stage!r} for {self.spec.name}")

    def has_shape(self, stage: str) -> bool:
        try:
            self.shape(stage)
            return True
        except KeyError:
            return False

    def block(self, name: str, shape, color: str, **kw) -> ShapeBlock:
        return ShapeBlock(self.theme, name, shape, color, self.unit, **kw)

    def op(self, tex: str, size: float = 56):
        return MathTex(tex, font_size=size, color=self.theme.text)

    def log_note(self):
        return self.t("block sides not to scale: read the numbers", 20, self.theme.dim)

    def tokenization(self) -> tuple[str, list[str], list[int], str, bool]:
        """(text, pieces, ids, tokenizer, byte-pair?): GPT-3's own example, or for the toy preset the worked
        example's source sentence as our word tokenizer cut it (chapter 1)."""
        if self.spec.name == "toy":
            toks = list(self.example.tokens["source"])
            ids = [int(i) for i in self.value("source.ids")]
            return self.cfg.source, toks, ids, "our word tokenizer (chapter 1)", False
        ex = scale.GPT3_TOKENIZATION_EXAMPLE
        return ex.text, [p.strip() for p in ex.pieces], list(ex.ids), ex.tokenizer, True

    # ------------------------------------------------------------ steps
    def tokens(self):
        sp, th = self.spec, self.theme
        text, pieces, ids, tokenizer, bpe = self.tokenization()
        if bpe:
            words = (f"{self.name} reads byte-pair tokens: common words are one token, rarer ones are cut into "
                     f"pieces, so capes becomes cap and es. Each piece is a row number in a vocabulary of "
                     f"{scale.format_int(sp.vocab_size)} tokens, and the model reads up to "
                     f"{scale.format_int(sp.n_ctx)} of them at once.")
            if sp.vocab_size != scale.GPT3_TOKENIZATION_EXAMPLE.vocab_size:
                words += f" These ids are GPT-3's; {self.name} has a vocabulary of its own."
        else:
            words = (f"{self.name} reads whole words: each is a row number in a vocabulary of "
                     f"{scale.format_int(sp.vocab_size)} tokens, and the videos allow up to "
                     f"{scale.format_int(sp.n_ctx)} of them at once.")
        with self.step("ch11.tokens", narration=words, heading="Byte-pair tokens" if bpe else "Word tokens"):
            sentence = self.t(f"“{text}”", 40)
            chips = VGroup(*(TokenChip(p, th, i, font_size=32, id_font_size=26)
                             for p, i in zip(pieces, ids))).arrange(RIGHT, buff=0.25, aligned_edge=UP)
            tok = self.t(tokenizer, 22, th.dim)
            facts = VGroup(
                line(self.t("vocabulary", 26, th.dim), figure(self, "vocab", scale.format_int(sp.vocab_size), 30),
                     buff=0.2),
                line(self.t("context", 26, th.dim), figure(self, "ctx", f"{scale.format_int(sp.n_ctx)} tokens", 30),
                     buff=0.2),
            ).arrange(RIGHT, buff=1.2)
            group = VGroup(sentence, chips, tok, facts).arrange(DOWN, buff=0.5)
            chips.shift(DOWN * 0.4)
            VGroup(tok, facts).shift(DOWN * 0.4)
            self.fit(group)
            group.move_to([0, centre_y(self), 0])
            arrow = Arrow(sentence.get_bottom(), chips.get_top(), buff=0.15, color=th.dim, stroke_width=4,
                          max_tip_length_to_length_ratio=0.3)
            self.play(FadeIn(sentence), run_time=0.8)
            self.wait(0.8)
            self.play(Create(arrow), FadeIn(chips, lag_ratio=0.15), run_time=1.5)
            self.wait(1.5)
            self.play(Indicate(VGroup(*chips[-2:]), color=th.highlight) if bpe else Indicate(chips),
                      FadeIn(tok), run_time=1)
            self.play(FadeIn(facts, shift=0.2 * UP), run_time=0.8)
        clear_stage(self, fade=FadeOut)

    def embed(self):
        sp, th = self.spec, self.theme
        oh, we, e = self.shape("one-hot"), self.shape("W_E"), self.shape("E = onehot·W_E")
        pos = {"learned": "added: rows of a learned table W_pos", "sinusoidal": "added: sinusoids, as in chapter 3",
               "rope": "none here: RoPE rotates Q and K inside attention"}[sp.position]
        words = (f"Embedding is the same product as in chapter 2, only bigger: {scale.format_int(oh[0])} one-hot rows "
                 f"of length {scale.format_int(oh[1])} times W_E, {scale.format_int(we[0])} by "
                 f"{scale.format_int(we[1])}, "
                 f"give {scale.format_int(e[0])} rows of {scale.format_int(e[1])} numbers. Positions: {pos}.")
        with self.step("ch11.embed", narration=words, heading="Embedding, at full size"):
            b_oh = self.block(r"\text{one-hot}", oh, th.dim)
            b_we = self.block("W_E", we, th.embedding)
            b_e = self.block("E", e, th.embedding)
            row = VGroup(b_oh, self.op(r"\cdot"), b_we, self.op("="), b_e).arrange(RIGHT, buff=0.35)
            rows = VGroup(row)
            row2 = VGroup()
            if sp.position in ("learned", "sinusoidal"):
                b_e2 = self.block("E", e, th.embedding)
                b_p = self.block("P" if sp.position == "learned" else "PE", self.shape("positions P"), th.positional)
                b_x = self.block("X", self.shape("X = E + P"), th.text)
                row2 = VGroup(b_e2, self.op("+"), b_p, self.op("="), b_x).arrange(RIGHT, buff=0.35)
                rows.add(row2)
            rows.arrange(DOWN, buff=0.6)
            note = self.t(pos, 24, th.positional)
            log = self.log_note()
            group = VGroup(rows, note).arrange(DOWN, buff=0.4)
            self.fit(group, height=self.content_height - 0.6)
            group.move_to([0, centre_y(self) + 0.25, 0])
            log.next_to(group, DOWN, buff=0.3)
            self.play(FadeIn(b_oh), FadeIn(log), run_time=0.8)
            self.play(FadeIn(row[1]), FadeIn(b_we), run_time=0.8)
            self.play(FadeIn(row[3]), GrowFromEdge(b_e, LEFT), run_time=1)
            if len(row2):
                self.play(TransformFromCopy(b_e, row2[0]), run_time=0.8)
                self.play(FadeIn(row2[1]), FadeIn(row2[2]), run_time=0.8)
                self.play(FadeIn(row2[3]), GrowFromEdge(row2[4], LEFT), run_time=1)
            self.play(FadeIn(note), run_time=0.6)
        clear_stage(self, log, fade=FadeOut)
        return log

    def head(self, log):
        sp, th = self.spec, self.theme
        pre = ""
        x = self.shape("X = E + P") if self.has_shape("X = E + P") else self.shape("E = onehot·W_E")
        q, k, v = (self.shape(pre + f"{m} (one head)") for m in ("Q", "K", "V"))
        s = self.shape(pre + "scores Q·Kᵀ/√d_k (one head)")
        hd = self.shape(pre + "head A·V (one head)")
        cat = self.shape(pre + "concat heads")
        wo = self.shape(pre + "W_O")
        words = (f"Attention splits into {sp.n_heads} heads. Each projects the {scale.format_int(x[1])}-wide rows down "
                 f"to queries, keys and values {scale.format_int(q[1])} wide, scores every token against every "
                 f"other in a {scale.format_int(s[0])} by {scale.format_int(s[1])} matrix, and mixes the values. "
                 f"The {sp.n_heads} heads side by side are {scale.format_int(cat[1])} wide again, and W_O mixes them.")
        with self.step("ch11.head", narration=words, heading=f"Attention: {sp.n_heads} heads"):
            b_x = self.block("X", x, th.text)
            b_q = self.block("Q", q, th.query)
            b_k = self.block("K", k, th.key, show_rows=False)
            b_v = self.block("V", v, th.value, show_rows=False)
            qkv = VGroup(b_q, b_k, b_v).arrange(RIGHT, buff=0.45)
            b_s = self.block(r"\mathrm{softmax}\!\left(\tfrac{QK^\top}{\sqrt{d_k}}\right)", s, th.weights, name_size=26)
            b_h = self.block("A V", hd, th.value)
            arrow = lambda: MathTex(r"\rightarrow", font_size=44, color=th.dim)  # noqa: E731
            row = VGroup(b_x, arrow(), qkv, arrow(), b_s, arrow(), b_h).arrange(RIGHT, buff=0.3)
            heads = VGroup(*(Rectangle(width=1, height=1, stroke_width=0.6, stroke_color=th.value)
                             .set_fill(th.value, 0.22) for _ in range(sp.n_heads))).arrange(RIGHT, buff=0)
            b_cat = self.block(r"\mathrm{concat}", cat, th.value)
            heads.stretch_to_fit_width(b_cat.rect.width).stretch_to_fit_height(b_cat.rect.height).move_to(b_cat.rect)
            b_wo = self.block("W_O", wo, th.residual)
            count = figure(self, "heads", f"{sp.n_heads} heads side by side", 22, th.value)
            row2 = VGroup(VGroup(b_cat, heads), self.op(r"\cdot"), b_wo).arrange(RIGHT, buff=0.35)
            group = VGroup(row, row2, count).arrange(DOWN, buff=0.5)
            self.fit(group, height=self.content_height - 0.6)
            group.move_to([0, centre_y(self) + 0.25, 0])
            log_at = log.copy().next_to(group, DOWN, buff=0.25).get_center()
            self.play(FadeIn(b_x), log.animate.move_to(log_at), run_time=0.6)
            self.play(FadeIn(row[1]), FadeIn(qkv, lag_ratio=0.3), run_time=1.2)
            self.wait(1.5)
            self.play(FadeIn(row[3]), FadeIn(b_s), run_time=1)
            self.wait(1.5)
            self.play(FadeIn(row[5]), FadeIn(b_h), run_time=0.8)
            self.wait(1)
            self.play(FadeIn(heads, lag_ratio=0.02), FadeIn(b_cat), FadeIn(count), run_time=1.5)
            self.play(FadeIn(row2[1]), FadeIn(b_wo), run_time=0.8)
        clear_stage(self, log, fade=FadeOut)

    def ffn(self, log):
        sp, th = self.spec, self.theme
        pre = "" if not sp.is_encoder_decoder else "encoder "
        hid_name, hid = next((n, s) for n, s in self.shapes if n.startswith(pre + "FFN hidden"))
        out = self.shape(pre + "FFN output")
        act = {"relu": "ReLU", "gelu": "GELU", "swiglu": "SwiGLU"}[sp.activation]
        words = (f"The feed-forward layer widens each row from {scale.format_int(out[1])} to "
                 f"{scale.format_int(hid[1])} numbers, applies {act}, and narrows it back. Attention plus "
                 "feed-forward, each wrapped in a residual connection and a normalization, is one layer.")
        with self.step("ch11.ffn", narration=words, heading=f"Feed-forward: widen, {act}, narrow"):
            b_in = self.block("x", out, th.text)
            b_h = self.block(r"\mathrm{" + act + "}", hid, th.ffn)
            b_out = self.block("y", out, th.text)
            w1 = MathTex(r"\xrightarrow{\ \cdot W_1\ }" if sp.activation != "swiglu"
                         else r"\xrightarrow{\ \cdot [W_{gate}\,|\,W_{up}]\ }", font_size=40, color=th.dim)
            w2 = MathTex(r"\xrightarrow{\ \cdot W_2\ }", font_size=40, color=th.dim)
            row = VGroup(b_in, w1, b_h, w2, b_out).arrange(RIGHT, buff=0.3)
            self.fit(row)
            row.move_to([0, centre_y(self), 0])
            log_at = log.copy().next_to(row, DOWN, buff=0.5).get_center()
            self.expose("ffn_hidden", scale.format_int(hid[1]))
            self.play(FadeIn(b_in), log.animate.move_to(log_at), run_time=0.6)
            self.play(FadeIn(w1), GrowFromEdge(b_h, LEFT), run_time=1)
            self.play(FadeIn(w2), GrowFromEdge(b_out, LEFT), run_time=1)
        clear_stage(self, fade=FadeOut)

    # ------------------------------------------------------------ the stack and generation
    def build_stack(self):
        """Layers as plates (the first three, ⋮, the last one when there are many; encoder and decoder side
        by side for an encoder-decoder), a slot per token below them, a track per slot up through them, and
        the output line on top."""
        sp, th = self.spec, self.theme
        _, pieces, ids, _, _ = self.tokenization()
        stacks = ([("encoder", sp.n_encoder_layers), ("decoder", sp.n_layers)] if sp.is_encoder_decoder
                  else [("layers", sp.n_layers)])
        chips = [TokenChip(p, th, i, font_size=24, id_font_size=20) for p, i in zip(pieces, ids)]
        slot_w = max(c.width for c in chips) + 0.15
        skew, thick, gap = 0.6, 0.4, 0.2
        groups = VGroup()
        for s_i, (label, n) in enumerate(stacks):
            # the last stack (the one generation runs through) is as wide as the row of token slots
            width = 7.4 if len(stacks) == 1 else 3.6
            if s_i == len(stacks) - 1:
                width = max(width, slot_w * len(chips) + 0.2 - skew)
            shown = list(range(n)) if n <= 5 else [0, 1, 2, None, n - 1]
            plates, names = VGroup(), VGroup()
            y = 0.0
            for i in shown:
                if i is None:
                    dots = self.t("⋮", 30, th.dim).move_to([width / 2 + skew / 2, y + thick / 2, 0])
                    names.add(self.t("⋮", 26, th.dim).move_to([-0.55, y + thick / 2, 0]))
                    plates.add(dots)
                else:
                    p = Polygon([0, y, 0], [width, y, 0], [width + skew, y + thick, 0], [skew, y + thick, 0],
                                stroke_color=th.residual, stroke_width=2).set_fill(th.residual, 0.45)
                    plates.add(p)
                    name = self.t(f"layer {i + 1}", 20, th.dim)
                    name.move_to([-0.2 - name.width / 2, y + thick / 2, 0])
                    names.add(name)
                y += thick + gap
            brace = Brace(plates, RIGHT, color=th.dim, buff=0.15)
            plural = "s" if n != 1 else ""
            count = figure(self, f"layers_{label}", f"{n} layer{plural}" if label == "layers"
                                else f"{n} {label} layer{plural}", 28)
            count.next_to(brace, RIGHT, buff=0.12)
            groups.add(VGroup(plates, names, brace, count))
        groups.arrange(RIGHT, buff=0.9, aligned_edge=DOWN)
        # token slots under the (last) stack, one track each
        plates = groups[-1][0]
        cx = plates.get_center()[0]
        xs = [cx + slot_w * (k - (len(chips) - 1) / 2) for k in range(len(chips))]
        y_chip = plates.get_bottom()[1] - 0.7
        for c, x in zip(chips, xs):
            c.move_to([x, y_chip, 0])
        top_y = groups.get_top()[1]
        chip_top = max(c.get_top()[1] for c in chips)
        tracks = VGroup(*(Line([x, chip_top - 0.02, 0], [x, top_y + 0.3, 0], stroke_width=3,
                               color=th.embedding, stroke_opacity=0.8).set_z_index(-1) for x in xs))
        logits = self.shape("logits")
        head = self.t(f"final norm · {'W_Eᵀ' if sp.tied_embeddings else 'W_out'} → logits "
                      f"{scale.format_int(logits[0])} × {scale.format_int(logits[1])}", 24, th.weights)
        self.expose("logits", f"{scale.format_int(logits[0])} × {scale.format_int(logits[1])}")
        head.next_to(tracks, UP, buff=0.1)
        parts = dict(groups=groups, chips=chips, tracks=tracks, head=head, xs=xs, y_chip=y_chip)
        return VGroup(tracks, groups, *chips, head), parts

    def n_context(self) -> int:
        """How many tokens the stack starts with; generation appends the rest (at most the last two)."""
        return max(1, len(self.tokenization()[1]) - 2)

    def flow(self, tracks):
        """A pulse of light up each track, over the plates."""
        return [ShowPassingFlash(t.copy().set_stroke(self.theme.highlight, width=6, opacity=1).set_z_index(2),
                                 time_width=0.5) for t in tracks]

    def stack(self):
        sp = self.spec
        words = (f"Stack {sp.n_layers_total} such layers and every token travels up its own track through all of "
                 f"them; only attention lets the tracks exchange information. At the top, a final norm and the "
                 f"transpose of W_E turn each row into {scale.format_int(sp.vocab_size)} logits.")
        if not sp.tied_embeddings:
            words = words.replace("the transpose of W_E", "an output matrix of its own")
        with self.step("ch11.stack", narration=words, heading=f"{sp.n_layers_total} layers deep"):
            whole, parts = self.build_stack()
            self.fit(whole)
            whole.move_to([0, centre_y(self), 0])
            n_show = self.n_context()   # generation (next step) appends the last pieces
            self.play(FadeIn(VGroup(*parts["chips"][:n_show]), lag_ratio=0.15), run_time=1)
            self.play(*(Create(t) for t in parts["tracks"][:n_show]), run_time=1)
            self.play(*(FadeIn(g[0], lag_ratio=0.2) for g in parts["groups"]),
                      *(FadeIn(g[1], lag_ratio=0.2) for g in parts["groups"]), run_time=1.8)
            self.play(*(FadeIn(g[2:]) for g in parts["groups"]), run_time=0.6)
            self.play(*self.flow(parts["tracks"][:n_show]), run_time=2.2)
            self.play(FadeIn(parts["head"]), run_time=0.8)
        return parts

    def generate(self, parts: dict):
        sp, th = self.spec, self.theme
        _, pieces, _, _, bpe = self.tokenization()
        n0 = self.n_context()
        arriving = " then ".join(pieces[n0:]) or "nothing more"
        words = (f"Generation runs the whole stack once per new token. The last row of the logits picks the next "
                 f"piece, which is appended to the context and fed back in, up to {scale.format_int(sp.n_ctx)} "
                 f"tokens. Here the {'pieces' if bpe else 'words'} of our sentence arrive one at a time: "
                 f"{arriving}.")
        with self.step("ch11.generate", narration=words, heading="One token at a time"):
            for k in range(n0, len(pieces)):
                tracks = parts["tracks"][:k]
                self.play(*self.flow(tracks), run_time=1.6)
                chip = parts["chips"][k]
                # the new piece comes out over the top layer's plate without its id (a dim number would be
                # faint on the plate); the id appears under it in the input row
                idl = chip.get_id_label()
                if idl is not None:
                    chip.remove(idl)
                final = chip.get_center().copy()
                chip.move_to([parts["xs"][k - 1] + 0.2, parts["head"].get_bottom()[1] - 0.4, 0])
                # (TokenChip.highlight/set_accent also recolour the word: style the box only); an opaque box of
                # the highlight's tint on the background, so the word reads the same over the top plate
                tint = blend(hex_rgb(th.background), hex_rgb(th.highlight), 0.35)
                chip.box.set_stroke(th.highlight).set_fill(ManimColor.from_rgb(tint), 1.0)
                mark = SurroundingRectangle(parts["head"], color=th.highlight, buff=0.06)
                self.play(FadeIn(chip, shift=0.2 * UP), Create(mark), run_time=0.8)
                self.play(chip.animate.move_to(final), FadeOut(mark), run_time=1.0)
                chip.box.set_stroke(th.embedding).set_fill(th.embedding, 0.16)
                if idl is not None:
                    chip.add(idl)
                    self.play(Create(parts["tracks"][k]), FadeIn(idl), run_time=0.5)
                else:
                    self.play(Create(parts["tracks"][k]), run_time=0.5)
            self.wait(0.5)
        clear_stage(self, fade=FadeOut)

    # ------------------------------------------------------------ what changed, and what it adds up to
    def changes(self):
        sp, th = self.spec, self.theme
        ref = scale.PRESETS["transformer-base"]
        rows = scale.compare_architectures(sp, ref)
        changed = [r for r in rows if r.changed]
        kept = [r for r in rows if not r.changed]
        words = (f"What changed since the original Transformer: {', '.join(r.aspect for r in changed) or 'nothing'}. "
                 f"What stayed: {', '.join(r.aspect for r in kept) or 'nothing'}. "
                 "A tied output layer multiplies by W_E transposed: a shared matrix, not an inverse.")
        if sp.arch == "decoder":
            words += " With no encoder there is nothing to cross-attend to: every layer is masked self-attention."
        with self.step("ch11.changes", narration=words, heading="What changed since 2017"):
            title_ref = scale.PRESET_TITLES[ref.name].replace("the original ", "original ")
            header = [self.t("", 24), self.t(title_ref, 24, th.dim), self.t(self.name, 24, th.highlight)]
            table_rows = [header]
            for r in rows:
                table_rows.append([self.t(r.aspect, 24, th.dim), self.t(r.reference, 24, th.text),
                                   self.t(r.model if r.changed else "same", 24,
                                          th.highlight if r.changed else th.dim)])
            widths = [max(row[c].width for row in table_rows) for c in range(3)]
            grid = VGroup()
            for i, row in enumerate(table_rows):
                x = 0.0
                for c, m in enumerate(row):
                    m.move_to([x + m.width / 2, -i * 0.55, 0])
                    x += widths[c] + 0.5
                grid.add(VGroup(*row))
            rule = Line(grid[0].get_corner(DOWN + LEFT) + DOWN * 0.12,
                        [grid.get_right()[0], grid[0].get_bottom()[1] - 0.12, 0], color=th.dim, stroke_width=1.5)
            group = VGroup(grid, rule)
            self.fit(group)
            group.move_to([0, centre_y(self), 0])
            self.expose("changes_table", grid)
            self.play(FadeIn(grid[0]), Create(rule), run_time=0.8)
            self.play(FadeIn(VGroup(*grid[1:]), lag_ratio=0.5), run_time=8)
        clear_stage(self, fade=FadeOut)

    def params(self):
        sp, th = self.spec, self.theme
        c = scale.param_counts(sp)
        layer = scale.decoder_layer_params(sp)
        total = c.total
        fi = scale.format_int
        comp = [
            ("embeddings", "token embeddings W_E", f"{fi(sp.vocab_size)} × {fi(sp.d_model)}", c.embeddings,
             th.embedding),
            ("positions", "position table W_pos",
             f"{fi(sp.n_ctx)} × {fi(sp.d_model)}" if c.positions else f"none ({sp.position})", c.positions,
             th.positional),
            ("attention", "attention W_Q, W_K, W_V, W_O",
             f"{sp.n_attention_blocks} × {scale.format_count(scale.attention_params(sp))}", c.attention, th.query),
            ("ffn", "feed-forward", f"{sp.n_layers_total} × {scale.format_count(scale.ffn_params(sp))}", c.ffn,
             th.ffn),
            ("norms", "normalization gains and shifts", "", c.norms, th.residual),
            ("output", "output layer", "tied: W_Eᵀ, no new numbers" if sp.tied_embeddings
             else f"{fi(sp.d_model)} × {fi(sp.vocab_size)}", c.output, th.weights),
        ]
        words = (f"Now count. The embedding table holds {scale.format_count(c.embeddings)} numbers. Each layer holds "
                 f"about {scale.format_count(layer)}: attention {scale.format_count(scale.attention_params(sp))}, "
                 f"feed-forward {scale.format_count(scale.ffn_params(sp))}. Times {sp.n_layers_total} layers and "
                 f"with the rest, {self.name} has {scale.format_count(total)} parameters.")
        with self.step("ch11.params", narration=words, heading="Counting the parameters"):
            rows = VGroup()
            cells = []
            for key, label, detail, value, color in comp:
                val = figure(self, f"param_{key}", scale.format_count(value), 26, color)
                cells.append([self.t(label, 24, th.text), self.t(detail, 22, th.dim), val])
            tot_val = figure(self, "param_total", scale.format_count(total), 34, th.highlight)
            cells.append([self.t("total", 28, th.text), self.t("", 22), tot_val])
            widths = [max(r[k].width for r in cells) for k in range(3)]
            for i, r in enumerate(cells):
                y = -i * 0.52 - (0.15 if i == len(cells) - 1 else 0)
                r[0].move_to([r[0].width / 2, y, 0])
                r[1].move_to([widths[0] + 0.5 + r[1].width / 2, y, 0])
                r[2].move_to([widths[0] + widths[1] + 1.0 + widths[2] - r[2].width / 2, y, 0])  # right-aligned
                rows.add(VGroup(*r))
            rule = Line(rows[-2].get_corner(DOWN + LEFT) + DOWN * 0.12,
                        [rows.get_right()[0], rows[-2].get_bottom()[1] - 0.12, 0], color=th.dim, stroke_width=1.5)
            # a bar of the total, segment by segment, to scale
            bar_w = 10.0
            segs = VGroup()
            x = 0.0
            segments = self.expose("param_segments", {})
            for key, _, _, value, color in comp:
                w = bar_w * value / total
                seg = Rectangle(width=max(w, 0.02), height=0.5, stroke_width=0).set_fill(color, 0.85)
                seg.move_to([x + max(w, 0.02) / 2, 0, 0])
                x += w
                segs.add(seg)
                segments[key] = (seg, w)
            per_layer = line(self.t("one layer:", 24, th.dim),
                             figure(self, "param_layer", scale.format_count(layer), 26),
                             self.t(f"× {sp.n_layers_total} layers", 24, th.dim), buff=0.2)
            group = VGroup(VGroup(rows, rule), segs, per_layer).arrange(DOWN, buff=0.45)
            self.fit(group)
            group.move_to([0, centre_y(self), 0])
            for i, (key, *_rest) in enumerate(comp):
                seg = segs[i]
                self.play(FadeIn(rows[i]), GrowFromEdge(seg, LEFT), run_time=0.9 if i < 4 else 0.6)
                if key == "attention":
                    self.play(FadeIn(per_layer), run_time=0.6)
            self.play(Create(rule), FadeIn(rows[-1]), run_time=0.8)
            self.play(Indicate(rows[-1][2], color=th.highlight), run_time=1)
