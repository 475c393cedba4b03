"""Chapter 3: Positional encoding. Attention alone is blind to order; sine and cosine waves of different
frequencies give every position its own pattern; the values read off the waves fill PE; X = E·√d + PE is an
addition, number by number.
"""
from __future__ import annotations

import unicodedata

import numpy as np

from manim import (DOWN, LEFT, RIGHT, UP, AnimationGroup, Create, FadeIn, FadeOut, LaggedStart, Line, MathTex,
                   SurroundingRectangle, TransformFromCopy, VGroup)

from mathcore.layers import frequencies
from scenes.base import ChapterScene
from scenes.components import NumericMatrix, flat_text
from scenes.components.shown import register
from scenes.components.stage import clear_stage
from scenes.components.sums import build_matrix_sum, cell_size, play_matrix_sum, sum_note
from scenes.components.tokens import balanced_lines, word_text
from scenes.components.waves import PositionalWaveGrid


def sentence_words(scene: ChapterScene, tokens, font_size: float = 28, max_word_width: float | None = None,
                   max_width: float | None = None, line_gap: float = 0.55,
                   lines: list[list[int]] | None = None, swap_ends: bool = False) -> VGroup:
    """The tokens as text on a common baseline, in reading order (right to left when the sentence is written
    in a right-to-left script); item p is the glyphs of token p. Each word is drawn on its own (make_text
    keeps Arabic and Hebrew letters in order); a word wider than max_word_width is cut with an ellipsis
    (the full word stays in its full_text). With max_width, the words break into as few balanced lines as
    keep each line within max_width (line_gap apart, room for a note under each line); .lines says which
    tokens are on which line (lines: take these lines instead). With swap_ends, the lines are chosen so that
    they also keep within max_width with the first and the last word traded; .widest is then the widest line
    in either order (else the widest line)."""
    font = scene.theme.font
    gap = 2 * (flat_text("x x", font, font_size, "#fff").width - flat_text("xx", font, font_size, "#fff").width)
    mobs = [word_text(t, font, font_size, scene.theme.text, max_width=max_word_width) for t in tokens]
    widths = [m.width for m, _ in mobs]
    orders = [widths]
    if swap_ends and len(tokens) > 1:
        orders.append([widths[-1], *widths[1:-1], widths[0]])

    def widest(lines):
        return max(sum(w[i] for i in ln) + gap * (len(ln) - 1) for w in orders for ln in lines)
    given, lines = lines, [list(range(len(tokens)))]
    if given is not None:
        lines = given
    elif max_width is not None and len(tokens) > 1:
        for k in range(1, len(tokens) + 1):
            lines = balanced_lines(widths, k, gap)
            if widest(lines) <= max_width:
                break
    first_strong = next((unicodedata.bidirectional(c) for c in "".join(tokens)
                         if unicodedata.bidirectional(c) in ("L", "R", "AL")), "L")
    pitch = flat_text("Xg", font, font_size, "#fff").height + line_gap
    out = VGroup()
    for li, ln in enumerate(lines):
        x = 0.0
        for i in ln:
            mob, offset = mobs[i]
            mob.move_to([x + mob.width / 2, offset - li * pitch, 0])
            x += mob.width + gap
        half = (x - gap) / 2     # each line centred; mirrored for a right-to-left sentence
        for i in ln:
            mob = mobs[i][0]
            mob.set_x(half - mob.get_x() if first_strong != "L" else mob.get_x() - half)
    out.add(*(m for m, _ in mobs))
    out.lines, out.widest = lines, widest(lines)
    return out


def repeated_word(tokens) -> tuple[str, list[int]] | None:
    """The first word that occurs more than once, with its positions."""
    for p, t in enumerate(tokens):
        where = [q for q, u in enumerate(tokens) if u == t]
        if len(where) > 1:
            return t, where
    return None


def focus_position(tokens) -> int:
    """The position read off in detail: the repeated word's first place, else position 1 (or 0)."""
    rep = repeated_word(tokens)
    return rep[1][0] if rep else min(1, len(tokens) - 1)


# ---------------------------------------------------------------------------------------------------------

class PositionalScene(ChapterScene):
    def construct(self):
        self.title_card("Where is each word?")
        tokens = list(self.example.tokens["source"])
        self.blind_to_order(tokens)
        grid, pe = self.waves_per_column()
        self.expose("grid", grid)
        self.read_off_the_waves(grid, pe, focus_position(tokens))
        self.add_to_the_embeddings(tokens, pe)

    # ------------------------------------------------------------ steps
    def blind_to_order(self, tokens):
        n = len(tokens)
        rep = repeated_word(tokens)
        if rep:
            word, where = rep
            places = ", ".join(map(str, where[:-1])) + f" and {where[-1]}"
            narration = (f"Attention on its own is blind to word order: it sees the rows as a bag of words. "
                         f"'{word}' appears at positions {places}, and its rows are identical, so nothing yet "
                         f"tells them apart.")
        elif n > 1:
            narration = (f"Attention on its own is blind to word order: it sees the rows as a bag of words. "
                         f"Swap '{tokens[0]}' and '{tokens[-1]}' and their rows simply swap places; "
                         f"nothing in the numbers says which word came first.")
        else:
            narration = ("Attention on its own is blind to word order: in a longer sentence it would see only a "
                         "bag of words. So every position, even a lone first one, gets its own pattern added.")
        rec = self.record("source.embedding_scaled")
        with self.step("ch03.order", narration=narration, heading="Attention is blind to order"):
            # one line if it fits with the position numbers (the smaller text) at the smallest size or more,
            # else balanced lines; only a wider word is cut
            idx_size = 20
            room = self.content_width * idx_size / self.theme.size_min
            words = sentence_words(self, tokens, font_size=28, max_width=room, max_word_width=room,
                                   swap_ends=not rep and n > 1)
            idx = VGroup(*(flat_text(str(p), self.theme.mono, idx_size, self.theme.dim) for p in range(n)))
            for ln in words.lines:
                bottom = min(words[p].get_bottom()[1] for p in ln)
                for p in ln:
                    idx[p].move_to([words[p].get_x(), bottom - 0.12 - idx[p].height / 2, 0])
            sentence = VGroup(words, idx)
            unscaled = (words[0].get_center().copy(), words[0].width)   # where the first word was laid out
            # the first and last words trade places below: the wider order of the two must fit too
            wider = words.widest / words.width if words.widest > words.width + 1e-6 else 1.0
            self.fit(sentence, width=self.content_width / wider)
            sentence.move_to([0, self.content_top - 0.1 - sentence.height / 2, 0])
            space_top = sentence.get_bottom()[1] - 0.25
            avail_h = space_top - self.content_bottom
            for max_rows in range(12, 2, -1):    # fewer rows shown (⋯) rather than numbers too small to read
                E = NumericMatrix(rec.value, self.theme, decimals=self.cfg.decimals, row_labels=rec.rows,
                                  max_rows=max_rows, font_size=self.theme.size_label)
                if E.height * self.theme.size_min / self.theme.size_label <= avail_h:
                    break
            register(self, "source.embedding_scaled", E)
            name = MathTex(self.embedding_name(), font_size=34, color=self.theme.text)
            if E.height + name.height + 0.2 > avail_h:     # many tokens: the name goes beside the matrix
                self.fit(E, height=avail_h)
                E.move_to([0, space_top - E.height / 2, 0])
                name.next_to(E, LEFT, buff=0.3)
                over = -self.content_width / 2 - name.get_left()[0]
                if over > 0:                                # a wide matrix: the pair moves right, whole
                    VGroup(name, E).shift(RIGHT * over)
            else:
                block = VGroup(name, E).arrange(DOWN, buff=0.2)
                block.move_to([0, space_top - 0.2 - block.height / 2, 0])
                # few tokens: centre the sentence and the matrix together, leaving room for a note below
                spare = block.get_bottom()[1] - self.content_bottom - 0.6
                if spare > 0:
                    VGroup(sentence, block).shift(DOWN * spare / 2)
            self.play(FadeIn(words, lag_ratio=0.1), FadeIn(idx), run_time=1.2)
            self.play(FadeIn(E), FadeIn(name), run_time=1.0)
            if rep:
                word, where = rep
                boxes = VGroup(*(E.row_box(p, self.theme.highlight) for p in where if E.has_cell(p, 0)))
                self.play(*(words[p].animate.set_color(self.theme.highlight) for p in where),
                          Create(boxes), run_time=1.0)
                note = self.t("same word → same numbers", 24, self.theme.highlight)
                self.place_note(note, E)
                self.play(FadeIn(note), run_time=0.5)
            elif n > 1:
                self.swap_first_and_last(tokens, words, idx, E, room, unscaled)

    def swap_first_and_last(self, tokens, words: VGroup, idx: VGroup, E: NumericMatrix, room: float, unscaled):
        """The first and the last word trade places and so do their rows of E; then back. The sentence is laid
        out again in the swapped order (the words between shift when the two differ in width) and the
        position numbers stay in order under it; unscaled is the first word's centre and width as laid out,
        before the sentence was scaled and placed."""
        n = len(tokens)
        swapped = [tokens[-1], *tokens[1:-1], tokens[0]]
        alt = sentence_words(self, swapped, font_size=28, max_width=room, max_word_width=room, lines=words.lines)
        # the same scale and shift as the sentence: read off the first word
        s = words[0].width / unscaled[1]
        alt.scale(s, about_point=unscaled[0]).shift(words[0].get_center() - unscaled[0])
        where = {0: n - 1, n - 1: 0}
        home = [w.get_center().copy() for w in words]
        away = [alt[where.get(i, i)].get_center() for i in range(n)]
        idx_home = [t.get_center().copy() for t in idx]
        idx_away = [[alt[p].get_x(), t.get_y(), 0] for p, t in enumerate(idx)]
        rows = [VGroup(E.get_row(i), E.row_labels[i]) for i in (0, n - 1)]
        for there, idx_there in ((away, idx_away), (home, idx_home)):   # swap, look, swap back
            dy = rows[1].get_y() - rows[0].get_y()
            moves = [w.animate.move_to(c) for w, c in zip(words, there) if np.linalg.norm(w.get_center() - c) > 1e-6]
            moves += [t.animate.move_to(c) for t, c in zip(idx, idx_there)
                      if np.linalg.norm(t.get_center() - np.asarray(c)) > 1e-6]
            self.play(rows[0].animate.shift(UP * dy), rows[1].animate.shift(DOWN * dy), *moves, run_time=1.2)
            self.wait(0.8)
        self.add(E)   # the swapped rows were animated on their own: make E one mobject again

    def place_note(self, note, matrix):
        """A short note beside the matrix (right if there is room, else below it)."""
        right = self.content_width / 2 - matrix.get_right()[0]
        if right > note.width + 0.4:
            note.next_to(matrix, RIGHT, buff=0.3)
        else:
            self.fit(note, width=self.content_width)
            note.next_to(matrix, DOWN, buff=0.15)
        return note

    def embedding_name(self) -> str:
        return r"E\sqrt{d_{\mathrm{model}}}" if self.cfg.scale_embedding else "E"

    def waves_per_column(self):
        rec = self.record("source.positional")
        n, d = rec.value.shape
        narration = ("The fix: add a pattern that depends only on the position. Each column of the positional "
                     "encoding is a wave over the positions, a sine in the even columns and a cosine in the odd "
                     "ones, each pair slower than the one before. Reading every wave at one position gives that "
                     "position's row.")
        with self.step("ch03.waves", narration=narration, heading="One wave per column"):
            clear_stage(self, fade=FadeOut)
            # the PE matrix on the right (empty for now), the waves on the left in the room that is left
            for fs in (self.theme.size_label, self.theme.size_min):
                pe = NumericMatrix(rec.value, self.theme, decimals=self.cfg.decimals,
                                   row_labels=[str(p) for p in range(n)], col_labels=[str(k) for k in range(d)],
                                   max_rows=12, font_size=fs,
                                   cell_width=cell_size(rec.value, self.theme, fs, self.cfg.decimals)[0])
                if self.content_width - pe.width - 0.5 >= 6.5:   # the waves need room too
                    break
            register(self, "source.positional", pe)
            pe.hide_entries()
            pairs = VGroup()
            for i in range((d + 1) // 2):
                ks = [k for k in (2 * i, 2 * i + 1) if k < d]
                mid = (pe.get_cell(0, ks[0]).get_x() + pe.get_cell(0, ks[-1]).get_x()) / 2
                tag = flat_text(f"i={i}", self.theme.font, 18, self.theme.positional)
                bar_w = max(pe.get_cell(0, ks[-1]).get_right()[0] - pe.get_cell(0, ks[0]).get_left()[0] - 0.1, 0.3)
                bar = Line(LEFT * bar_w / 2, RIGHT * bar_w / 2, color=self.theme.positional, stroke_width=2)
                bar.move_to([mid, pe.col_label_group.get_top()[1] + 0.1, 0])
                tag.next_to(bar, UP, buff=0.06)
                pairs.add(VGroup(bar, tag))
            header = VGroup(MathTex("PE", font_size=36, color=self.theme.positional),
                            self.t("row = position, column = k", 18, self.theme.dim))
            header.arrange(RIGHT, buff=0.25)
            block = VGroup(header, pairs, pe)
            header.next_to(pairs, UP, buff=0.15)
            self.fit(block, height=self.content_height - 0.1)
            block.move_to([self.content_width / 2 - block.width / 2, (self.content_top + self.content_bottom) / 2, 0])
            header.align_to(pe.get_grid(), LEFT)
            over = header.get_right()[0] - self.content_width / 2
            if over > 0:      # a narrow matrix (few columns): the header keeps inside the block's right edge
                header.shift(LEFT * over)
            waves_w = min(block.get_left()[0] - (-self.content_width / 2) - 0.45, 8.0)
            waves_h = self.content_height - 0.15
            grid = PositionalWaveGrid(rec.value, frequencies(d), self.theme, width=waves_w, height=waves_h,
                                      decimals=self.cfg.decimals)
            grid.move_to([-self.content_width / 2 + waves_w / 2, (self.content_top + self.content_bottom) / 2, 0])
            self.play(FadeIn(grid.backs), FadeIn(grid.pair_labels), run_time=0.8)
            for i, panel in enumerate(grid.panels):
                self.play(FadeIn(panel.rails), Create(panel.axes), FadeIn(panel.x_label_group),
                          FadeIn(grid.legends[i]), run_time=0.4 if i else 0.7)
                self.play(*(Create(w.curve) for w in panel.waves), run_time=1.4 if i == 0 else 0.7)
            self.play(Create(pe.brackets), FadeIn(pe.row_label_group), FadeIn(pe.col_label_group),
                      FadeIn(pairs), FadeIn(header), run_time=0.8)
            # columns 2i and 2i+1 share one frequency: light up pair 0's two columns and its panel
            if d >= 2:
                mark = VGroup(SurroundingRectangle(VGroup(pe.col_labels[0], pe.col_labels[1], pairs[0]),
                                                   color=self.theme.highlight, buff=0.06),
                              SurroundingRectangle(grid.backs[0], color=self.theme.highlight, buff=0.02))
                self.play(Create(mark), run_time=0.7)
                self.wait(0.8)
                self.play(FadeOut(mark), run_time=0.4)
        return grid, pe

    def read_off_the_waves(self, grid: PositionalWaveGrid, pe: NumericMatrix, p: int):
        """Position p read off the waves in detail, into PE's row p; then every other position, quickly."""
        rec = self.record("source.positional")
        n, d = rec.value.shape
        with self.step("source.positional"):
            guides, xlabels = grid.guides_at(p), grid.x_labels_at(p)
            row_box = pe.row_box(p, self.theme.highlight)
            self.play(Create(guides), FadeIn(xlabels), Create(row_box), run_time=0.8)
            dots, readings, labels = grid.dots_at(p), grid.readings_at(p), grid.labels_at(p)
            self.play(FadeIn(dots, scale=1.5), run_time=0.6)
            self.play(Create(readings), FadeIn(labels), run_time=0.9)
            self.wait(0.6)
            for j in range(d):
                pe.show_entry(p, j)
            self.play(*(TransformFromCopy(labels[j], pe.get_cell(p, j)) for j in range(d)), run_time=1.4)
            self.wait(0.5)
            self.key_moment("ch03.read-off")
            self.play(FadeOut(readings), FadeOut(labels), FadeOut(guides), FadeOut(xlabels), FadeOut(row_box),
                      run_time=0.5)
            # every other position, quickly: dots on the waves, their values into the rows
            others = [q for q in range(n) if q != p]
            for q in others:
                for j in range(d):
                    pe.show_entry(q, j)
            if others:   # one play: position after position, its dots on the waves and its row in PE
                self.play(LaggedStart(*(AnimationGroup(FadeIn(grid.dots_at(q), scale=1.5),
                                                       FadeIn(pe.get_row(q), shift=RIGHT * 0.15)) for q in others),
                                      lag_ratio=0.7), run_time=0.45 * (0.7 * len(others) + 0.3))
            self.add(pe)   # its cells were filled one by one: one mobject again
            self.wait(0.5)

    def add_to_the_embeddings(self, tokens, pe: NumericMatrix):
        rec = self.record("source.input")
        n, d = rec.value.shape
        E_rec = self.record("source.embedding_scaled")
        rep = repeated_word(tokens)
        with self.step("source.input"):
            clear_stage(self, pe, fade=FadeOut)
            ms = build_matrix_sum(self, E_rec.value, self.value("source.positional"), rec.value,
                                  (self.embedding_name(), "PE", "X"), rec.rows, decimals=self.cfg.decimals)
            if ms.a is not None:
                register(self, "source.embedding_scaled", ms.a)
                register(self, "source.positional", ms.b)
            register(self, "source.input", ms.c)
            focus = rep[1][-1] if rep else focus_position(tokens)
            callout = play_matrix_sum(self, ms, focus, b_from=pe, decimals=self.cfg.decimals,
                                      tokens=tokens, position_word="position", moment="ch03.one-row")
            self.play(FadeOut(callout), run_time=0.3)
            shape = sum_note(self, ms, n, d)
            self.play(FadeIn(shape), run_time=0.6)
            if rep:
                word, where = rep
                boxes = VGroup(*(ms.c.row_box(q, self.theme.highlight) for q in where))
                same = VGroup(self.t(f"'{word}' at {len(where)} positions:", 22,
                                        self.theme.highlight),
                              self.t("now different rows", 22, self.theme.highlight))
                same.arrange(DOWN, buff=0.1)
                self.fit(same, width=ms.side_width - 0.1)
                same.next_to(shape, DOWN, buff=0.4)
                self.play(Create(boxes), FadeIn(same), run_time=0.8)
            self.wait(1.0)
