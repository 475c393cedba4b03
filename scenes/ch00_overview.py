"""Chapter 0: The whole machine. The transformer of "Attention Is All You Need" as one diagram, the example's
sentences flowing through it, our sizes next to the paper's, and the chapter that explains each block."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, Arrow, Circle, Create, Dot, FadeIn, FadeOut, LaggedStart, Line,
                   MoveAlongPath, RoundedRectangle, SurroundingRectangle, Transform, VGroup, VMobject)

from scenes import CHAPTERS
from scenes.base import ChapterScene
from scenes.components import flat_text
from scenes.components.text import label_max_width, note_font
from scenes.components.tokens import TokenRow
from scenes.components.training import trained

BOX_W = 3.6          # width of a block
SUB_H = 0.46         # attention / feed-forward blocks
NORM_H = 0.36        # Add & Norm blocks
PLUS_Y = SUB_H + 0.32   # the positional ⊕, above the embeddings (as high as a block)
GAP = 0.15           # between blocks
PAD = 0.16           # inside a layer frame
COL_GAP = 1.85       # between the two columns' blocks
BADGE_MARGIN = (1.15, 0.65)   # room for the chapter badges outside each stack (two beside the encoder's attention)
FS = 24              # block labels
SMALL = 24           # other labels (kept large: the diagram shrinks when a panel joins it)

# the paper's sizes (Vaswani et al. 2017, base model; byte-pair vocabulary shared by source and target)
PAPER = {"d_model": "512", "heads": "8", "d_ff": "2048", "layers": "6 + 6", "vocabulary": "≈ 37 000"}


class Block(VGroup):
    """A labelled, rounded box of the diagram, tinted with its role's colour."""

    def __init__(self, label: str, color: str, theme, height: float, width: float = BOX_W):
        super().__init__()
        self.box = RoundedRectangle(corner_radius=0.1, width=width, height=height, stroke_color=color,
                                    stroke_width=2.5).set_fill(color, opacity=0.18)
        self.label = flat_text(label, theme.font, FS, theme.text).move_to(self.box)
        self.name = label
        self.add(self.box, self.label)


def elbow(points, color, width=2.5, tip=False) -> VMobject:
    path = VMobject(stroke_color=color, stroke_width=width).set_points_as_corners([np.array(p, dtype=float)
                                                                                  for p in points])
    if tip:
        a, b = np.array(points[-2], dtype=float), np.array(points[-1], dtype=float)
        head = Arrow(b - (b - a) / max(np.linalg.norm(b - a), 1e-9) * 0.3, b, buff=0, color=color,
                     stroke_width=width, tip_length=0.16, max_tip_length_to_length_ratio=1.0)
        return VGroup(path, head.tip)
    return VGroup(path)


@dataclass
class Picture:
    """The diagram and the token rows as placed on screen: what the steps pass along."""
    d: dict                  # the diagram's parts by name (OverviewScene.build_diagram)
    src: TokenRow
    tgt: TokenRow
    pred: TokenRow
    src_label: VMobject
    tgt_label: VMobject
    out_label: VMobject
    scale: float             # the diagram's scale on screen
    note: VGroup | None      # the note beside the predictions, when it fits


def diagram_parts(d: dict) -> list:
    return [d["enc_frame"], d["dec_frame"], d["enc_emb"], d["dec_emb"], d["enc_pe"], d["dec_pe"], *d["enc"],
            *d["dec"], d["linear"], d["lines"], d["residual"], d["link"], d["kv"], d["enc_label"],
            d["dec_label"], d["enc_in"], d["dec_in"], d["dec_out"]]


def encoder_side(d: dict, target) -> bool:
    """Whether target (a part of the diagram) is on the encoder's side."""
    return target.get_x() < (d["enc_frame"].get_right()[0] + d["dec_frame"].get_left()[0]) / 2


class OverviewScene(ChapterScene):
    def construct(self):
        fonts = self.expose("fonts_shown", {})   # the smallest font size on screen per step (for the tests)
        self.title_card("Attention Is All You Need, end to end")
        pic = self.build_layout(fonts)
        self.architecture(pic)
        self.flow(pic)
        table, legend = self.sizes(pic, fonts)
        self.chapter_map(pic, table, legend)

    # ------------------------------------------------------------ the diagram
    def column(self, x: float, names: list[tuple[str, str, float]], y0: float):
        """Blocks stacked upward from y0 (bottom) at x; returns them in order."""
        blocks, y = [], y0
        for label, role, h in names:
            b = Block(label, self.theme.role(role), self.theme, h)
            b.move_to([x, y + h / 2, 0])
            y += h + GAP
            blocks.append(b)
        return blocks

    def build_diagram(self) -> dict:
        """The diagram's parts by name, placed (bottom of the embeddings at y = 0)."""
        d = self.diagram_blocks()
        self.add_positional(d)
        self.add_connectors(d)
        self.add_cross_link(d)
        th = self.theme
        # where the data comes in and goes out
        d["enc_in"] = Line(d["enc_emb"].get_bottom() + DOWN * 0.3, d["enc_emb"].get_bottom(), stroke_color=th.dim,
                           stroke_width=2.5)
        d["dec_in"] = Line(d["dec_emb"].get_bottom() + DOWN * 0.3, d["dec_emb"].get_bottom(), stroke_color=th.dim,
                           stroke_width=2.5)
        d["dec_out"] = Line(d["linear"].get_top(), d["linear"].get_top() + UP * 0.3, stroke_color=th.dim,
                            stroke_width=2.5)
        return d

    def diagram_blocks(self) -> dict:
        """Embeddings at the bottom, then (room for the positional ⊕) each side's layer in its frame, and the
        output layer above the decoder."""
        th = self.theme
        xe, xd = -(BOX_W + COL_GAP) / 2, (BOX_W + COL_GAP) / 2
        emb_h = SUB_H
        d = {}
        d["enc_emb"] = Block("Embedding", th.embedding, th, emb_h).move_to([xe, emb_h / 2, 0])
        d["dec_emb"] = Block("Embedding", th.embedding, th, emb_h).move_to([xd, emb_h / 2, 0])
        layer_y0 = PLUS_Y + 0.32 + PAD
        d["enc"] = self.column(xe, [("Multi-head attention", "key", SUB_H), ("Add & Norm", "residual", NORM_H),
                                    ("Feed-forward", "ffn", SUB_H), ("Add & Norm", "residual", NORM_H)], layer_y0)
        d["dec"] = self.column(xd, [("Masked self-attention", "mask", SUB_H), ("Add & Norm", "residual", NORM_H),
                                    ("Cross-attention", "value", SUB_H), ("Add & Norm", "residual", NORM_H),
                                    ("Feed-forward", "ffn", SUB_H), ("Add & Norm", "residual", NORM_H)], layer_y0)
        frames = []
        for blocks in (d["enc"], d["dec"]):
            g = VGroup(*blocks)
            f = RoundedRectangle(corner_radius=0.18, width=g.width + 2 * PAD + 0.3, height=g.height + 2 * PAD,
                                 stroke_color=th.dim, stroke_width=1.5).set_fill(th.panel, opacity=0.6)
            # the residual lines run in the outer margin of the frame
            f.move_to(g).shift((LEFT if blocks is d["enc"] else RIGHT) * 0.15)
            frames.append(f)
        d["enc_frame"], d["dec_frame"] = frames
        lin_y = d["dec_frame"].get_top()[1] + 0.48 + SUB_H / 2
        d["linear"] = Block("Linear + softmax", th.weights, th, SUB_H).move_to([xd, lin_y, 0])
        return d

    def add_positional(self, d: dict):
        """⊕ and a small wave for the positional encoding, on the outer side of each embedding."""
        th = self.theme
        plus_y = PLUS_Y
        for side, sign in (("enc", -1), ("dec", 1)):
            x = sign * (BOX_W + COL_GAP) / 2
            circ = Circle(radius=0.15, color=th.positional, stroke_width=2.5)
            plus = VGroup(Line(LEFT * 0.09, RIGHT * 0.09), Line(DOWN * 0.09, UP * 0.09)).set_stroke(th.positional, 2.5)
            oplus = VGroup(circ, plus).move_to([x, plus_y, 0])
            ts = np.linspace(0, 2 * np.pi, 40)
            wave = VMobject(stroke_color=th.positional, stroke_width=2.5).set_points_smoothly(
                [np.array([t / (2 * np.pi) * 0.6 - 0.3, 0.12 * np.sin(t), 0]) for t in ts])
            wave.move_to([x + sign * 0.75, plus_y, 0])
            feed = Line(wave.get_edge_center(-sign * RIGHT), circ.get_edge_center(sign * RIGHT),
                        stroke_color=th.positional, stroke_width=2)
            d[f"{side}_pe"] = VGroup(oplus, wave, feed)
            d[f"{side}_oplus"] = oplus

    def add_connectors(self, d: dict):
        """Lines along each column, bottom to top; residual connections around each sub-layer, in the outer
        margin, into its Add & Norm."""
        th = self.theme
        lines = VGroup()
        for side in ("enc", "dec"):
            seq = [d[f"{side}_emb"].box, d[f"{side}_oplus"][0], *[b.box for b in d[side]]]
            if side == "dec":
                seq.append(d["linear"].box)
            for a, b in zip(seq, seq[1:]):
                lines.add(Line(a.get_top(), b.get_bottom(), stroke_color=th.dim, stroke_width=2.5))
        d["lines"] = lines
        res = VGroup()
        for side, sign in (("enc", -1), ("dec", 1)):
            blocks = d[side]
            for k in range(0, len(blocks), 2):
                sub, norm = blocks[k], blocks[k + 1]
                y_from = sub.get_bottom()[1] - GAP / 2
                x_out = sub.get_center()[0] + sign * (BOX_W / 2 + 0.2)
                edge = norm.box.get_edge_center(sign * RIGHT)
                res.add(elbow([[sub.get_x(), y_from, 0], [x_out, y_from, 0], [x_out, edge[1], 0], edge],
                              th.residual, width=2, tip=True))
        d["residual"] = res

    def add_cross_link(self, d: dict):
        """The encoder's output feeds the decoder's cross-attention (keys and values); the stacks' labels."""
        th = self.theme
        enc_top = d["enc"][-1].box.get_top()
        cross = d["dec"][2].box
        y_up = d["enc_frame"].get_top()[1] + 0.25
        x_mid = (d["enc_frame"].get_right()[0] + d["dec_frame"].get_left()[0]) / 2
        d["link"] = elbow([enc_top, [enc_top[0], y_up, 0], [x_mid, y_up, 0], [x_mid, cross.get_y(), 0],
                           cross.get_left()], th.text, width=3, tip=True)
        d["kv"] = self.t("K, V", SMALL, th.dim).next_to([x_mid, cross.get_y(), 0], UP, buff=0.1)
        d["kv"].set_x((x_mid + d["dec_frame"].get_left()[0]) / 2)   # between the link and the decoder's frame
        n_enc, n_dec = self.cfg.n_encoder_layers, self.cfg.n_decoder_layers
        d["enc_label"] = self.t(f"Encoder ×{n_enc}", SMALL, th.text).next_to(
            d["enc_frame"], UP, buff=0.1).align_to(d["enc_frame"], LEFT)
        d["dec_label"] = self.t(f"Decoder ×{n_dec}", SMALL, th.text).next_to(
            d["dec_frame"], UP, buff=0.1).align_to(d["dec_frame"], RIGHT)

    def build_layout(self, fonts: dict) -> Picture:
        """The diagram and the token rows, placed so nothing moves during the first two steps. Long sentences
        wrap; if that shrinks the picture too much, the rows wrap earlier and the words stay larger; if no
        wrapping keeps them readable, the longest words are cut with an ellipsis (TokenRow's elide)."""
        for elide in (False, True):
            for min_fs in (21, 22, 24):
                pic = self.place_all(min_fs, fonts, elide)
                if min(fonts.values()) >= self.theme.size_min:
                    return pic
                fonts.clear()
        return self.place_all(21, fonts, True)

    def place_all(self, min_fs: float, fonts: dict, elide: bool = False) -> Picture:
        th, ex = self.theme, self.example
        d = self.build_diagram()
        half = self.content_width / 2 - 0.3
        fs = 24   # the whole picture may shrink by up to a quarter
        # when no wrapping keeps the words readable, they may be cut to half a label's room (about 8 letters):
        # here the diagram is the subject, and the chapters after it show every word whole
        compact = dict(max_lines=3, line_buff=0.14, buff=0.09, chip_kwargs={"pad_x": 0.1},
                       elide=label_max_width(fs) / 2 if elide else None)
        src = TokenRow(ex.tokens["source"], th, max_width=half, font_size=fs, min_font_size=min_fs,
                       colors=th.highlight, **compact)
        tgt = TokenRow(ex.tokens["target_input"], th, max_width=half, font_size=fs, min_font_size=min_fs,
                       colors=th.query, **compact)
        # above the decoder the whole width is free (the encoder is shorter)
        pred = TokenRow(ex.tokens["predicted"], th, max_width=self.content_width - 0.2, font_size=fs,
                        min_font_size=min_fs, colors=th.weights, **compact)
        src_label = self.t("source sentence", SMALL, th.dim)
        tgt_label = self.t("target, shifted right", SMALL, th.dim)
        out_label = self.t("next-word probabilities", SMALL, th.dim)
        bottom = min(d["enc_in"].get_bottom()[1], d["dec_in"].get_bottom()[1])
        row_h = max(src.height, tgt.height, src_label.height)
        for row, lab, line in ((src, src_label, d["enc_in"]), (tgt, tgt_label, d["dec_in"])):
            for m in (row, lab):
                m.move_to([line.get_x(), bottom - 0.1 - row_h / 2, 0])
        pred.move_to([d["dec_out"].get_x(), d["dec_out"].get_top()[1] + 0.1 + pred.height / 2, 0])
        if pred.get_right()[0] > self.content_width / 2 - 0.1:
            pred.shift(LEFT * (pred.get_right()[0] - self.content_width / 2 + 0.1))
        out_label.move_to([d["dec_out"].get_x(), d["dec_out"].get_top()[1] + 0.1 + out_label.height / 2, 0])
        # keep the rows inside their half of the frame
        for row, lab, sign in ((src, src_label, -1), (tgt, tgt_label, 1)):
            for m in (row, lab):
                if sign < 0 and m.get_right()[0] > -0.25:
                    m.shift(LEFT * (m.get_right()[0] + 0.25))
                if sign > 0 and m.get_left()[0] < 0.25:
                    m.shift(RIGHT * (0.25 - m.get_left()[0]))
        diagram = VGroup(*diagram_parts(d))
        natural = diagram.width
        everything = VGroup(diagram, src, tgt, pred, src_label, tgt_label, out_label)
        self.fit(everything, height=self.content_height - 0.1)
        everything.move_to([0, (self.content_top + self.content_bottom) / 2 - 0.05, 0])
        scale = diagram.width / natural
        # a note beside the predictions, when there is room for it (the narration says it anyway)
        if not trained(self.example):
            lines = ("random, untrained weights:", "the guesses are arbitrary")
        elif list(ex.tokens["predicted"]) == list(ex.tokens["target_labels"]):
            lines = ("trained on this sentence pair:", "it has memorized the answer")
        else:
            lines = ("trained on this sentence pair,", "but not enough to recall it")
        note = VGroup(*(self.t(t, SMALL, th.dim) for t in lines)).arrange(DOWN, aligned_edge=RIGHT,
                                                                                      buff=0.12)
        note.scale(scale)
        # in the free space above the encoder, right-aligned with it, under the predictions if they reach over it
        low = d["enc_label"].get_top()[1] + 0.2
        high = pred.get_bottom()[1] - 0.15 if pred.get_left()[0] < d["enc_frame"].get_right()[0] else self.content_top
        note.move_to([0, (low + high) / 2, 0]).align_to(d["enc_frame"], RIGHT)
        fits = (note.get_left()[0] >= -self.content_width / 2 and note.height <= high - low)
        note_font(fonts, "ch00.architecture", min(FS, SMALL) * scale)
        note_font(fonts, "ch00.flow", min(src.min_font_size_shown, tgt.min_font_size_shown,
                                          pred.min_font_size_shown) * scale)
        for name, row in (("src", src), ("tgt", tgt), ("pred", pred)):
            self.expose(name, row)
        return Picture(d, src, tgt, pred, src_label, tgt_label, out_label, scale, note if fits else None)

    # ------------------------------------------------------------ steps
    def architecture(self, pic: Picture):
        d = pic.d
        narration = ("This is the whole transformer of the paper Attention Is All You Need. On the left, the encoder "
                     "reads the source sentence; on the right, the decoder writes the target. Each side repeats one "
                     "layer: attention, then a small feed-forward network, each followed by Add & Norm. The encoder's "
                     "output reaches the decoder through cross-attention.")
        with self.step("ch00.architecture", narration=narration, heading="The transformer"):
            self.play(FadeIn(d["enc_emb"]), FadeIn(d["dec_emb"]), FadeIn(pic.src_label), FadeIn(pic.tgt_label),
                      Create(d["enc_in"]), Create(d["dec_in"]), run_time=0.8)
            self.play(FadeIn(d["enc_pe"]), FadeIn(d["dec_pe"]), run_time=0.6)
            self.play(FadeIn(d["enc_frame"]), FadeIn(d["enc_label"]), run_time=0.5)
            self.play(LaggedStart(*(FadeIn(b, shift=0.15 * UP) for b in d["enc"]), lag_ratio=0.3), run_time=1.6)
            self.play(FadeIn(d["dec_frame"]), FadeIn(d["dec_label"]), run_time=0.5)
            self.play(LaggedStart(*(FadeIn(b, shift=0.15 * UP) for b in d["dec"]), lag_ratio=0.25), run_time=2.0)
            self.play(FadeIn(d["linear"], shift=0.15 * UP), Create(d["dec_out"]), FadeIn(pic.out_label),
                      run_time=0.8)
            self.play(Create(d["lines"]), run_time=0.8)
            self.play(Create(d["residual"]), run_time=1.2)
            self.play(Create(d["link"]), FadeIn(d["kv"]), run_time=1.2)

    def climb(self, blocks, run_time=0.35):
        """A highlight that climbs through blocks, one after the other."""
        hl = self.theme.highlight
        cursor = SurroundingRectangle(blocks[0], color=hl, buff=0.05, stroke_width=4, corner_radius=0.12)
        self.play(Create(cursor), run_time=run_time)
        for b in blocks[1:]:
            self.play(Transform(cursor, SurroundingRectangle(b, color=hl, buff=0.05, stroke_width=4,
                                                             corner_radius=0.12)), run_time=run_time)
        return cursor

    def flow(self, pic: Picture):
        d, ex = pic.d, self.example
        src = " ".join(ex.tokens["source"])
        # the record's own sentence about the predictions says how good they are and why (trained or not)
        narration = (f"The source sentence, {src}, enters the encoder at the bottom. The target enters the decoder "
                     "shifted one place to the right, behind <start>. At the top, the decoder guesses the next word "
                     "at every position. " + self.record("output.predicted").narration)
        with self.step("ch00.flow", narration=narration, heading="One pass through the machine"):
            self.play(FadeOut(pic.src_label), LaggedStart(*(FadeIn(c, shift=0.2 * UP) for c in pic.src.chips),
                                                           lag_ratio=0.1), run_time=1.2)
            enc_path = [d["enc_emb"], d["enc_oplus"], *d["enc"]]
            cursor = self.climb(enc_path)
            dot = Dot(color=self.theme.highlight, radius=0.08).move_to(d["link"][0].get_start())
            self.play(FadeOut(cursor), FadeIn(dot), run_time=0.3)
            self.play(MoveAlongPath(dot, d["link"][0]), run_time=1.0)
            self.play(FadeOut(dot), FadeOut(pic.tgt_label),
                      LaggedStart(*(FadeIn(c, shift=0.2 * UP) for c in pic.tgt.chips), lag_ratio=0.1), run_time=1.2)
            cursor = self.climb([d["dec_emb"], d["dec_oplus"], *d["dec"], d["linear"]], run_time=0.3)
            self.play(FadeOut(cursor), FadeOut(pic.out_label),
                      LaggedStart(*(FadeIn(c, shift=0.2 * UP) for c in pic.pred.chips), lag_ratio=0.1),
                      *([FadeIn(pic.note)] if pic.note else []), run_time=1.5)

    def sizes(self, pic: Picture, fonts: dict):
        cfg, V = self.cfg, len(self.example.vocab)
        narration = ("The machine in these videos is the paper's, only tiny, so that every number fits on screen: "
                     f"rows of {cfg.d_model} numbers instead of 512, {cfg.n_heads} attention "
                     f"head{'s' * (cfg.n_heads > 1)} instead of 8, a feed-forward width of {cfg.d_ff} instead of 2048, "
                     f"{cfg.n_encoder_layers} + {cfg.n_decoder_layers} layers instead of 6 + 6, and a vocabulary of "
                     f"{V} tokens instead of about 37 000.")
        with self.step("ch00.sizes", narration=narration, heading="Our toy model and the paper's"):
            rows = [("", "here", "paper"),
                    ("d_model", str(cfg.d_model), PAPER["d_model"]),
                    ("heads", str(cfg.n_heads), PAPER["heads"]),
                    ("d_ff", str(cfg.d_ff), PAPER["d_ff"]),
                    ("layers", f"{cfg.n_encoder_layers} + {cfg.n_decoder_layers}", PAPER["layers"]),
                    ("vocabulary", str(V), PAPER["vocabulary"])]
            table = self.sizes_table(rows)
            legend = self.legend()
            self.layout_with_panel(pic, fonts, [table, legend])
            self.play(FadeIn(table.frame), run_time=0.4)
            self.play(LaggedStart(*(FadeIn(r, shift=0.1 * LEFT) for r in table.rows), lag_ratio=0.2), run_time=1.8)
        return table, legend

    def sizes_table(self, rows) -> VGroup:
        """Our sizes beside the paper's: a name column, then ours and the paper's right-aligned, a rule under
        the header row, on a panel (t.frame; t.rows, one VGroup per row)."""
        th = self.theme
        cells = []
        for k, (name, ours, paper) in enumerate(rows):
            head = k == 0
            word = th.dim if head else th.text
            cells.append([self.t(name, 22, word, mono=name.startswith("d_")),
                          self.t(ours, 22, th.dim if head else th.highlight, mono=not head),
                          self.t(paper, 22, th.dim, mono=not head)])
        widths = [max(r[j].width for r in cells) for j in range(3)]
        xs = [0.0, widths[0] + 0.35, widths[0] + widths[1] + 0.7]
        t = VGroup()
        t.rows = VGroup()
        for k, r in enumerate(cells):
            y = -k * 0.54
            r[0].move_to([xs[0], y, 0], aligned_edge=LEFT)
            r[1].move_to([xs[1] + widths[1], y, 0], aligned_edge=RIGHT)
            r[2].move_to([xs[2] + widths[2], y, 0], aligned_edge=RIGHT)
            t.rows.add(VGroup(*r))
        rule = Line([0, t.rows[0].get_bottom()[1] - 0.14, 0], [xs[2] + widths[2], t.rows[0].get_bottom()[1] - 0.14, 0],
                    stroke_color=th.dim, stroke_width=1.5)
        t.rows[0].add(rule)
        t.add(t.rows)
        t.frame = RoundedRectangle(corner_radius=0.15, width=t.rows.width + 0.5, height=t.rows.height + 0.5,
                                   stroke_color=th.dim, stroke_width=1.5).set_fill(th.panel, opacity=1).move_to(t.rows)
        t.add_to_back(t.frame)
        t.font_size = 22
        return t

    def legend(self, max_title_width: float = 3.5) -> VGroup:
        """The chapters 1-10, each a badge and its title (from the chapter list), long titles on two lines."""
        th = self.theme
        legend = VGroup()
        for ch in CHAPTERS:
            if not 1 <= ch.number <= 10:
                continue
            title = self.t(ch.title, 22, th.text)
            words = ch.title.split(" ")
            if title.width > max_title_width and len(words) > 1:
                cut = min(range(1, len(words)), key=lambda k: abs(len(" ".join(words[:k])) - len(ch.title) / 2))
                title = VGroup(self.t(" ".join(words[:cut]), 22, th.text),
                               self.t(" ".join(words[cut:]), 22, th.text)).arrange(
                    DOWN, aligned_edge=LEFT, buff=0.1)
            badge = self.badge(ch.number, 1.0)
            entry = VGroup(badge, title).arrange(RIGHT, buff=0.2, aligned_edge=UP)
            badge.align_to(title[0] if isinstance(title, VGroup) and len(title) == 2 else title, UP).shift(UP * 0.05)
            entry.number = ch.number
            legend.add(entry)
        legend.arrange(DOWN, aligned_edge=LEFT, buff=0.2)
        legend.font_size = 22
        return legend

    def layout_with_panel(self, pic: Picture, fonts: dict, panels: list):
        """Clear the token rows and slide (and if needed shrink) the diagram to the left, so the panels fit on
        the right; nothing goes below the theme's smallest size. Sets pic.scale to the diagram's new scale."""
        parts = VGroup(*diagram_parts(pic.d))
        smallest = min(FS, SMALL)
        min_scale = self.theme.size_min / smallest
        panel_w = max(p.width for p in panels)
        diag_w_at = parts.width / pic.scale + sum(BADGE_MARGIN)   # at scale 1, with the badge columns
        scale = min(pic.scale, (self.content_width - panel_w - 0.4) / diag_w_at)
        scale = max(scale, min_scale)
        room = self.content_width - 0.4 - diag_w_at * scale
        for p in panels:
            before = p.width
            self.fit(p, width=room, height=self.content_height - 0.1)
            note_font(fonts, "ch00.sizes" if p is panels[0] else "ch00.map", p.font_size * p.width / before)
        labels = [pic.src_label, pic.tgt_label, pic.out_label]
        target = VGroup(*parts, *labels).copy().scale(scale / pic.scale)
        mid_y = (self.content_top + self.content_bottom) / 2
        target.move_to([-self.content_width / 2 + BADGE_MARGIN[0] * scale + target.width / 2, mid_y, 0])
        for lab, new in zip(labels, target[len(parts):]):
            lab.become(new)   # off screen now: they come back beside the moved diagram
        target = VGroup(*target[:len(parts)])
        right = self.content_width / 2
        for p in panels:
            p.move_to([right - room / 2, mid_y, 0])
        note_font(fonts, "ch00.sizes", smallest * scale)
        note_font(fonts, "ch00.map", smallest * scale)
        pic.scale = scale
        gone = [m for m in (*pic.src.chips, *pic.tgt.chips, *pic.pred.chips, pic.note) if m is not None]
        self.play(*(FadeOut(m) for m in gone), run_time=0.5)
        self.play(Transform(parts, target), run_time=1.0)
        self.play(*(FadeIn(m) for m in labels), run_time=0.4)

    def chapter_map(self, pic: Picture, table, legend):
        d = pic.d
        places = {
            1: [d["enc_in"], d["dec_in"]],
            2: [d["enc_emb"], d["dec_emb"]],
            3: [d["enc_oplus"], d["dec_oplus"]],
            4: [d["enc"][0]],
            5: [d["enc"][0]],
            6: [d["enc"][1], d["enc"][3], d["dec"][1], d["dec"][3], d["dec"][5]],
            7: [d["enc"][2], d["dec"][4]],
            8: [d["dec"][0]],
            9: [d["dec"][2]],
            10: [d["linear"]],
        }
        narration = ("Each chapter takes one block and works through its numbers by hand: first the data and the "
                     "encoder from the bottom up, then what is new in the decoder, and finally the output layer "
                     "that turns the last rows into next-word probabilities.")
        with self.step("ch00.map", narration=narration, heading="Where each chapter fits"):
            badges = VGroup()
            total: dict[int, int] = {}
            for targets in places.values():
                for t in targets:
                    total[id(t)] = total.get(id(t), 0) + 1
            count: dict[int, int] = {}
            for num, targets in places.items():
                for t in targets:
                    k = count.get(id(t), 0)
                    count[id(t)] = k + 1
                    # badges read left to right in chapter order on both sides
                    left_side = encoder_side(d, t)
                    badges.add(self.badge(num, pic.scale, t, total[id(t)] - 1 - k if left_side else k, d))
            self.play(FadeOut(table), run_time=0.4)
            for entry in legend:
                mine = [b for b in badges if b.number == entry.number]
                self.play(FadeIn(entry, shift=0.1 * LEFT), *(FadeIn(b, scale=1.4) for b in mine), run_time=0.45)
            self.expose("badges", badges)
            self.expose("legend", legend)

    def badge(self, num: int, scale: float, target=None, k: int = 0, d: dict | None = None) -> VGroup:
        """A chapter number in a circle; beside target (a block, the ⊕ or an input line) when given, in a
        column outside its stack (left of the encoder, right of the decoder: d, the diagram's parts); a second
        badge goes further out."""
        th = self.theme
        radius = 0.24 * scale
        c = Circle(radius=radius, color=th.highlight, stroke_width=2).set_fill(th.background, opacity=1)
        t = self.t(str(num), 24, th.highlight, mono=True).scale(scale)
        g = VGroup(c, t.move_to(c))
        g.number = num
        if target is not None:
            enc_side = encoder_side(d, target)
            frame = d["enc_frame"] if enc_side else d["dec_frame"]
            out = LEFT if enc_side else RIGHT
            x = frame.get_edge_center(out)[0] + out[0] * (0.12 * scale + radius + k * 2.3 * radius)
            y = target.get_y() if not isinstance(target, Line) else target.get_bottom()[1]
            g.move_to([x, y, 0])
        return g
