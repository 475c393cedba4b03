"""Short: how the model picks the next word. The output probabilities over the vocabulary at one position
and the chosen word, then greedy generation of the target, each word with its probability; all from the
example's record (output.probs, output.predicted, generate.*)."""
from __future__ import annotations

from manim import DOWN, FadeIn, LaggedStart, VGroup

from ..components.attention import focus_row
from ..components.bars import ProbabilityBars
from .base import STAGE, ShortScene, num


class NextWordShort(ShortScene):
    def construct(self):
        theme = self.theme
        ex = self.example
        toks = list(ex.tokens["target_input"])
        vocab = list(ex.vocab)
        m = len(toks)
        r = focus_row(m)
        w = toks[r]
        P = self.value("output.probs")
        pid = int(self.value("output.predicted")[r])
        unit = "token" if self.cfg.tokenizer == "char" else "word"

        self.hook(f"How does it pick the next {unit}?", f"How does it pick the {unit} after “{w}”?", toks, r,
                  color=theme.weights)

        self.clear_but_captions()
        with self.step("probs", f"It gives every {unit} of its vocabulary a probability. "
                                f"“{vocab[pid]}” gets {num(P[r, pid], self.dec)}: that is the next {unit}."):
            bars = ProbabilityBars(P[r], theme, labels=vocab, max_bars=min(7, len(vocab)), order="value",
                                   direction="right", slot=0.42, bar_width=0.3, length=1.6, scale_max=1.0,
                                   show_values=True, decimals=self.dec, font_size=20, label_font_size=20)
            self.fit(bars, width=STAGE.width, height=STAGE.height - 1.0)
            title = self.wrapped(f"after “{w}”", 24, theme.text)
            VGroup(title, bars).arrange(DOWN, buff=0.35).move_to([0, (STAGE.top + STAGE.bottom) / 2, 0])
            self.play(FadeIn(title), run_time=0.4)
            self.play(bars.grow(run_time=1.2))
            self.expose("bars", bars)

        self.clear_but_captions()
        gen = list(ex.tokens["generated"])
        chosen = [int(self.value(f"generate.{k}.token")) for k in range(len(gen))]
        probs = [self.value(f"generate.{k}.probs")[chosen[k]] for k in range(len(gen))]
        sep = "" if self.cfg.tokenizer == "char" else " "
        with self.step("generate", f"Then it feeds each {unit} back in and picks again, the most likely each time: "
                                   f"{sep.join(t for t in gen if t not in ('<start>', '<end>'))}."):
            title = self.wrapped("greedy generation", 24, theme.weights)
            texts = {k: num(probs[k], self.dec) for k in range(len(gen))}
            # each chip at least as wide as the probability under it, so neighbouring labels never run together
            wide = max(self.t(s, 18, theme.dim, mono=True).width for s in texts.values()) + 0.12
            row = self.sentence_row(gen, None, font_size=24, max_lines=4, color=theme.weights, line_buff=0.5,
                                    min_width=wide)
            labels = VGroup()
            for chip, k in zip(row.chips, row.shown):
                if k is None:
                    continue
                lab = self.t(texts[k], 18, theme.dim, mono=True)
                lab.next_to(chip, DOWN, buff=0.06)
                labels.add(lab)
            block = VGroup(title, VGroup(row, labels)).arrange(DOWN, buff=0.4)
            block.move_to([0, (STAGE.top + STAGE.bottom) / 2 + 0.3, 0])
            self.play(FadeIn(title), run_time=0.3)
            pairs = []
            li = 0
            for chip, k in zip(row.chips, row.shown):
                if k is None:
                    pairs.append(FadeIn(chip))
                else:
                    pairs.append(FadeIn(VGroup(chip, labels[li]), shift=0.1 * DOWN))
                    li += 1
            self.play(LaggedStart(*pairs, lag_ratio=0.6), run_time=min(4.0, 0.5 * len(pairs) + 0.5))
            self.expose("generated", row)
            self.expose("generated_probs", labels)

        self.end_card()
