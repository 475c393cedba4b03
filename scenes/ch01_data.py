"""Chapter 1: Tokens and vocabulary. Corpus lines -> tokens -> the vocabulary -> ids -> one-hot rows; the
target shifted right behind <start>, with the next word as the label at each position."""
from __future__ import annotations

from manim import (DOWN, LEFT, RIGHT, UP, Arrow, Create, FadeIn, FadeOut, Indicate, LaggedStart, RoundedRectangle,
                   TransformFromCopy, VGroup)

from mathcore.language import corpus_lines
from mathcore.tokenizer import tokenize
from scenes.base import ChapterScene
from scenes.components import NumericMatrix, flat_text, shown_subset
from scenes.components.stage import clear_stage
from scenes.components.text import ellipsize, label_max_width, note_font
from scenes.components.tokens import (TokenChip, TokenGrid, TokenRow, balanced_lines, chip_max_width,
                                      chip_widths)

MAX_CORPUS_LINES = 6      # lines shown in the corpus panel (then "and N more lines")
MAX_TOKENIZED_LINES = 3   # lines shown being tokenized
BAND = 1.45               # the strip under the vocabulary that holds the sentence being looked up


def onehot_columns(V: int, ids, limit: int = 14) -> list[int | None]:
    """The one-hot columns to draw: the ids used, the first and last column, then neighbours of the ids
    while they fit in limit columns (ellipses included); None marks each gap."""
    keep = set(int(i) for i in ids) | {0, V - 1}
    cols = shown_subset(V, keep, limit)
    for d in (1, 2, 3):
        for i in sorted(set(int(i) for i in ids)):
            for j in (i - d, i + d):
                if 0 <= j < V and j not in keep:
                    trial = shown_subset(V, keep | {j}, limit)
                    if len(trial) <= limit:
                        keep.add(j)
                        cols = trial
    return cols


def id_cell_width(theme, V: int, font_size: float) -> float:
    """A cell wide enough for the largest id written under (or over) its column."""
    return flat_text(str(V - 1), theme.mono, font_size, theme.dim).width + 0.22


class DataScene(ChapterScene):
    def construct(self):
        fonts = self.expose("fonts_shown", {})   # the smallest font size on screen per step (for the tests)
        self.title_card("From sentences to numbers")
        corpus = self.show_corpus(fonts)
        pairs, rules = self.tokenize_lines(fonts, corpus)
        grid, row, tag = self.build_vocabulary(fonts, pairs, rules)
        self.source_ids(grid, row, tag)
        self.source_onehot(fonts)
        top_chips, _ = self.shift_target(fonts)
        self.target_ids(top_chips)
        self.summary(fonts)

    # ------------------------------------------------------------ helpers
    @property
    def char_mode(self) -> bool:
        return self.cfg.tokenizer == "char"

    @property
    def corpus_lines(self) -> list[str]:
        """The corpus lines that built the vocabulary and hold any text: mathcore's choice (the default English
        corpus joins only an English pair), else the sentence pair itself."""
        return [ln for ln in (corpus_lines(self.cfg) or (self.cfg.source, self.cfg.target)) if ln.strip()]

    def wrapped_line(self, line: str, font_size: float, max_width: float, color: str | None = None) -> VGroup:
        """A corpus line as Text, wrapped at spaces (or between characters when it has none) to max_width."""
        t = self.t(line, font_size, color)
        if t.width <= max_width:
            return VGroup(t)
        words = line.split(" ") if " " in line.strip() else list(line)
        sep = " " if " " in line.strip() else ""
        rows, cur = [], ""
        for w in words:
            cand = (cur + sep + w) if cur else w
            if cur and self.t(cand, font_size).width > max_width:
                rows.append(cur)
                cur = w
            else:
                cur = cand
        rows.append(cur)
        group = VGroup(*(self.t(r, font_size, color) for r in rows)).arrange(DOWN, aligned_edge=LEFT, buff=0.12)
        group.font_factor = self.fit_factor(group, width=max_width)
        return group

    def fit_factor(self, mob, place: bool = False, **kw) -> float:
        """fit (or place_in_content) mob and return how much it shrank."""
        before = max(mob.width, 1e-9)
        self.place_in_content(mob) if place else self.fit(mob, **kw)
        return mob.width / before

    # ------------------------------------------------------------ steps
    def show_corpus(self, fonts: dict) -> tuple[VGroup, VGroup]:
        """The corpus in a panel; returns what is on screen: the panel with its title, and the lines."""
        lines = self.corpus_lines
        n = len(lines)
        shown = lines if n <= MAX_CORPUS_LINES else lines[:MAX_CORPUS_LINES - 1]
        narration = (f"Everything starts with text. A small corpus of {n} line{'s' * (n > 1)} decides which words "
                     "the model knows: its vocabulary.")
        with self.step("ch01.corpus", narration=narration, heading="The corpus"):
            width = self.content_width - 1.0
            texts = VGroup(*(self.wrapped_line(ln, 28, width) for ln in shown))
            if n > len(shown):
                texts.add(self.t(f"… and {n - len(shown)} more lines", 24, self.theme.dim))
            texts.arrange(DOWN, aligned_edge=LEFT, buff=0.28)
            f = self.fit_factor(texts, width=width, height=self.content_height - 1.0)
            panel = RoundedRectangle(corner_radius=0.15, width=texts.width + 0.7, height=texts.height + 0.6,
                                     stroke_color=self.theme.dim, stroke_width=1.5)
            panel.set_fill(self.theme.panel, opacity=1)
            title = self.t("corpus", 24, self.theme.dim)
            box = VGroup(panel, texts)
            texts.move_to(panel)
            group = VGroup(title, box).arrange(DOWN, buff=0.15, aligned_edge=LEFT)
            f *= self.fit_factor(group, place=True)
            note_font(fonts, "ch01.corpus", 24 * f)
            self.play(FadeIn(panel), FadeIn(title), run_time=0.6)
            self.play(LaggedStart(*(FadeIn(t, shift=0.2 * RIGHT) for t in texts), lag_ratio=0.35), run_time=2.0)
        return VGroup(title, panel), texts

    def tokenize_lines(self, fonts: dict, corpus: tuple[VGroup, VGroup]):
        mode = self.cfg.tokenizer
        lines = [ln for ln in self.corpus_lines if tokenize(ln, mode)]
        all_tokens = [t for ln in self.corpus_lines for t in tokenize(ln, mode)]
        apostrophe = next((t for t in all_tokens if "'" in t), None)
        if self.char_mode:
            rules_text = "one token per character  ·  punctuation dropped"
            narration = ("This text is written without spaces, so the example uses the character tokenizer: "
                         "every character is one token, and punctuation is dropped.")
        else:
            rules_text = "lower-case  ·  split into words  ·  drop punctuation  ·  apostrophes stay inside words"
            narration = ("The tokenizer lower-cases each line, splits it into words and drops the punctuation"
                         + (f"; an apostrophe inside a word stays, so {apostrophe} is one token."
                            if apostrophe else "."))
        with self.step("ch01.tokenize", narration=narration, heading="Text becomes tokens"):
            width = self.content_width
            rules = self.t(rules_text, 22, self.theme.dim)
            note_font(fonts, "ch01.tokenize", 22 * self.fit_factor(rules, width=width))
            avail = self.content_height - rules.height - 0.5
            pairs = VGroup()
            for ln in lines[:MAX_TOKENIZED_LINES]:
                text = self.wrapped_line(ln, 24, width, self.theme.dim)
                row = TokenRow(tokenize(ln, mode), self.theme, max_width=width, font_size=24, min_font_size=20)
                pair = VGroup(text, row).arrange(DOWN, buff=0.16)
                trial = VGroup(*pairs, pair).copy().arrange(DOWN, buff=0.4)
                if pairs and trial.height > avail:
                    break
                pairs.add(pair)
            pairs.arrange(DOWN, buff=0.4)
            f = self.fit_factor(pairs, width=width, height=avail)
            block = VGroup(pairs, rules).arrange(DOWN, buff=0.45)
            f *= self.fit_factor(block, place=True)
            for text, row in pairs:
                words = min(24 * getattr(text, "font_factor", 1.0), row.min_font_size_shown)
                note_font(fonts, "ch01.tokenize", words * f)
            self.play(*(FadeOut(m) for m in corpus), run_time=0.5)
            self.play(FadeIn(rules), run_time=0.5)
            for k, (text, row) in enumerate(pairs):
                slow = k == 0
                self.play(FadeIn(text), run_time=0.6 if slow else 0.4)
                self.play(LaggedStart(*(FadeIn(c, shift=0.25 * DOWN) for c in row.chips), lag_ratio=0.15),
                          run_time=1.6 if slow else 0.8)
        return pairs, rules

    def build_vocabulary(self, fonts: dict, token_pairs: VGroup, rules):
        vocab = list(self.example.vocab)
        V = len(vocab)
        mode = self.cfg.tokenizer
        corpus_words = {t for ln in self.corpus_lines for t in tokenize(ln, mode)}
        extra = [w for w in vocab[2:] if w not in corpus_words]
        used = [int(i) for i in self.value("source.ids")] + [int(i) for i in self.value("target.ids")]
        # the source sentence will be looked up under the grid, in a band of its own: BAND high, or as high as
        # its lines need when squeezing them into BAND would take its ids under the row's smallest size
        tokens = list(self.example.tokens["source"])
        ids = [int(i) for i in self.value("source.ids")]
        row_kw = dict(ids=ids, max_width=self.content_width, font_size=26, min_font_size=20, colors=self.theme.highlight)
        row = TokenRow(tokens, self.theme, max_height=BAND - 0.45, **row_kw)
        band = BAND
        if row.min_font_size_shown < 20:
            row = TokenRow(tokens, self.theme, **row_kw)
            band = max(BAND, row.height + 0.45)
        grid = TokenGrid(vocab, self.theme, max_width=self.content_width, max_height=self.content_height - band - 0.1,
                         font_size=26, keep=used)
        tag = self.t("source", 22, self.theme.dim)
        line = VGroup(tag, row).arrange(RIGHT, buff=0.4)
        if line.width > self.content_width:
            line, tag = VGroup(row), None
        block = VGroup(grid, line).arrange(DOWN, buff=0.5)
        block.move_to([0, (self.content_top + self.content_bottom) / 2, 0])
        if block.get_top()[1] > self.content_top - 0.1:
            block.shift(DOWN * (block.get_top()[1] - self.content_top + 0.1))
        self.expose("vocab_grid", grid)
        self.expose("source_row", row)
        note_font(fonts, "ch01.vocab", grid.min_font_size_shown)
        note_font(fonts, "source.ids", row.min_font_size_shown)
        narration = ("Each distinct token is listed once, in alphabetical order, after two special tokens, <start> "
                     "and <end>, that mark where a sentence begins and ends. A token's id is its place in the list, "
                     f"counting from 0: this vocabulary has {V} entries.")
        if extra:
            narration += (f" The example's sentences bring {len(extra)} token{'s' * (len(extra) > 1)} the corpus "
                          "lacks; they are added too.")
        if len(grid.shown_indices()) < V:
            narration += " Not all of them fit on screen: the dots stand for the ones left out."
        with self.step("ch01.vocab", narration=narration, heading=f"The vocabulary: {V} tokens"):
            # the first occurrence of each word flies into its place; repeats simply fade
            moves, seen = [], set()
            for _, pair_row in token_pairs:
                for chip in pair_row.chips:
                    i = vocab.index(chip.token)
                    if chip.token in seen or not grid.has_chip(i):
                        continue
                    seen.add(chip.token)
                    moves.append(TransformFromCopy(chip.get_word(), grid.get_chip(i).get_word()))
            self.play(FadeOut(rules), *(FadeOut(t) for t, _ in token_pairs), run_time=0.4)
            self.play(*moves, *(FadeOut(r) for _, r in token_pairs), run_time=1.6)
            rest = [grid.get_chip(i).get_word() for i in grid.shown_indices() if vocab[i] not in seen]
            if rest or len(grid.ellipses):
                self.play(LaggedStart(*(FadeIn(m) for m in rest), lag_ratio=0.03), FadeIn(grid.ellipses),
                          run_time=1.2)
            self.play(LaggedStart(*(FadeIn(c.id_label) for c in grid.chips), lag_ratio=0.02), run_time=1.2)
            specials = [grid.get_chip(i) for i in (0, 1) if grid.has_chip(i)]
            self.play(*(Indicate(c.get_word(), color=self.theme.highlight, scale_factor=1.1) for c in specials),
                      run_time=1.0)
        return grid, row, tag

    def source_ids(self, grid, row, tag):
        ids = [int(i) for i in self.value("source.ids")]
        with self.step("source.ids", heading="Source token ids"):
            self.play(*(FadeIn(m) for m in [row.get_words()] + ([tag] if tag else [])), run_time=0.8)
            for k, (i, chip) in enumerate(zip(ids, row.chips)):
                slow = k < 2
                entry = grid.get_chip(i)
                self.play(entry.animate.highlight(self.theme.highlight), run_time=0.5 if slow else 0.2)
                self.play(TransformFromCopy(entry.id_label, chip.id_label), run_time=0.9 if slow else 0.35)

    def source_onehot(self, fonts: dict):
        rec = self.record("source.onehot")
        ids = [int(i) for i in self.value("source.ids")]
        V = rec.shape[1]
        cols = onehot_columns(V, ids)
        with self.step("source.onehot"):
            clear_stage(self, fade=FadeOut)
            fs, lfs = 24, 22
            tall = rec.shape[0] > 8   # many rows: tighter rows so the numbers stay large
            cell_h = self.t("0", fs, mono=True).height * (1.75 if tall else 2.1)
            M = NumericMatrix(rec.value, self.theme, decimals=0, row_labels=rec.rows, col_labels=rec.cols,
                              cols=cols, max_rows=12, font_size=fs, label_font_size=lfs, cell_height=cell_h,
                              fill_color=self.theme.embedding, cell_width=id_cell_width(self.theme, V, lfs))
            col_ids = VGroup()
            for j in M.shown_col_indices():
                t = self.t(str(j), lfs, self.theme.dim, mono=True)
                t.move_to([M.get_column(j).get_x(), M.brackets.get_bottom()[1] - 0.1 - t.height / 2, 0])
                col_ids.add(t)
            id_tag = self.t("id", lfs, self.theme.dim).next_to(col_ids, LEFT, buff=0.2)
            id_tag.set_x(M.brackets[0].get_left()[0] - 0.15 - id_tag.width / 2)
            group = VGroup(M, col_ids, id_tag)
            before = group.height
            self.place_in_content(group)
            note_font(fonts, "source.onehot", lfs * group.height / before)
            self.expose("onehot", M)
            self.play(Create(M.brackets), FadeIn(M.row_label_group), FadeIn(M.col_label_group), FadeIn(col_ids),
                      FadeIn(id_tag), FadeIn(M.ellipses), run_time=1.0)
            hl = self.theme.highlight
            for k, i in enumerate(M.shown_row_indices()):
                slow = k < 2
                j = ids[i]
                self.play(FadeIn(M.get_row(i), lag_ratio=0.05 if slow else 0), run_time=0.8 if slow else 0.3)
                if slow and M.has_cell(i, j):
                    marks = VGroup(M.cell_box(i, j, hl), M.row_box(i, hl))
                    idx = M.shown_col_indices().index(j)
                    self.play(Create(marks), Indicate(col_ids[idx], color=hl),
                              Indicate(M.col_labels[j], color=hl), Indicate(M.row_labels[i], color=hl), run_time=1.0)
                    self.play(FadeOut(marks), run_time=0.3)

    def aligned_rows(self, inp, labels, ids, fs: float, parts: int | None = None,
                     cap: float | None = None) -> tuple[VGroup, list, list]:
        """The decoder input over its labels, slot by slot, with an arrow from each input to its label; split
        into two stacked blocks when one line would shrink the words too much (parts: that many blocks
        instead). cap: the widest a chip may be (longer words are cut with an ellipsis; None: never). Returns
        the blocks and the input's and the labels' chips."""
        th = self.theme
        slots = [max(a, b) for a, b in zip(chip_widths(inp, th, fs, max_width=cap),
                                           chip_widths(labels, th, fs, max_width=cap))]
        n = len(inp)
        total = sum(slots) + 0.12 * (n - 1)
        if parts is None:
            parts = 1 if total * 20 / fs <= self.content_width else 2   # keep the words at 20 or more
        parts = max(1, min(parts, n))
        cut = [0, n] if parts == 1 else ([0, (n + 1) // 2, n] if parts == 2 else
                                         [ln[0] for ln in balanced_lines(slots, parts, 0.12)] + [n])
        chip_kw = None if cap is None else {"max_width": cap}
        blocks = VGroup()
        top_chips, bottom_chips = [], []
        for a, b in zip(cut, cut[1:]):
            top = TokenRow(inp[a:b], th, ids=ids[a:b], font_size=fs, id_font_size=fs, max_width=1e9,
                           min_widths=slots[a:b], colors=th.query, chip_kwargs=chip_kw)
            bottom = TokenRow(labels[a:b], th, font_size=fs, max_width=1e9, min_widths=slots[a:b],
                              colors=th.weights, chip_kwargs=chip_kw)
            bottom.next_to(top, DOWN, buff=0.75)
            for x, y in zip(top.chips, bottom.chips):
                y.set_x(x.get_x())
            arrows = VGroup(*(
                Arrow(x.get_bottom() + DOWN * 0.05, y.box.get_top() + UP * 0.04, buff=0, stroke_width=3,
                      color=th.dim, max_tip_length_to_length_ratio=0.4, tip_length=0.14)
                for x, y in zip(top.chips, bottom.chips)))
            block = VGroup(top, arrows, bottom)
            block.arrows = arrows
            blocks.add(block)
            top_chips += list(top.chips)
            bottom_chips += list(bottom.chips)
        blocks.arrange(DOWN, buff=0.6, aligned_edge=LEFT)
        return blocks, top_chips, bottom_chips

    def summary_layout(self, tok: str, i: int, rec, cut: float | None):
        """The summary's chain (text → token → id → one-hot row) with its tags, placed in the content area:
        (items, arrows, tags, the smallest font size on screen). cut: the word's room (None: whole)."""
        fs = 28
        word = self.t(tok if cut is None else ellipsize(tok, self.theme.font, fs, cut), fs)
        chip = TokenChip(tok, self.theme, font_size=fs, color=self.theme.highlight,
                         max_width=None if cut is None else chip_max_width(self.theme, fs, cut))
        idn = self.t(str(i), fs, mono=True)
        V = rec.shape[1]
        row = NumericMatrix(rec.value[0], self.theme, decimals=0, cols=onehot_columns(V, [i], limit=9),
                            col_labels=[str(j) for j in range(V)], font_size=26, label_font_size=20,
                            fill_color=self.theme.embedding, cell_width=id_cell_width(self.theme, V, 20))
        names = ["text", "token", "id", "one-hot row"]
        items = [word, chip, idn, row]
        arrows = [self.t("→", 36, self.theme.dim) for _ in range(3)]
        chain = VGroup(items[0], arrows[0], items[1], arrows[1], items[2], arrows[2], items[3])
        chain.arrange(RIGHT, buff=0.4)
        f = self.fit_factor(chain)
        tags = VGroup(*(self.t(n, 22, self.theme.dim).next_to(m, DOWN, buff=0.35) for n, m in zip(names, items)))
        y = min(t.get_y() for t in tags)
        for t in tags:
            t.set_y(y)
        group = VGroup(chain, tags)
        return items, arrows, tags, 20 * f * self.fit_factor(group, place=True)

    def shift_target(self, fonts: dict):
        inp = list(self.example.tokens["target_input"])
        labels = list(self.example.tokens["target_labels"])
        ids = [int(i) for i in self.value("target.ids")]
        narration = ("The decoder learns to write the target sentence. Its input is the target shifted one place "
                     "to the right, behind <start>; the label at each position is the word that comes next, and the "
                     "last label is <end>.")
        with self.step("ch01.shift", narration=narration, heading="The target, shifted right"):
            clear_stage(self, fade=FadeOut)
            fs = 26
            # the usual layout (one line, or two blocks); when it must shrink the text under the theme's size_readable,
            # long words are cut to a label's room (then half of it) and the rows split into more blocks
            room = label_max_width(fs)
            cap, short = chip_max_width(self.theme, fs, room), chip_max_width(self.theme, fs, room / 2)
            for parts, cut in ((None, None), (2, cap), (2, short), (3, short)):
                shown = self.shift_layout(inp, labels, ids, fs, parts, cut)
                if shown[-1] >= self.theme.size_readable:
                    break
            group, blocks, top_chips, bottom_chips, plain, t_tar, t_in, t_lab, smallest = shown
            arrows = VGroup(*(a for b in blocks for a in b.arrows))
            note_font(fonts, "ch01.shift", smallest)
            self.play(FadeIn(plain), FadeIn(t_tar), run_time=0.8)
            self.wait(0.4)
            # shift right: every word moves one slot along; <start> takes the first slot
            moves = [TransformFromCopy(p.get_word(), t.get_word()) for p, t in zip(plain.chips, top_chips[1:])]
            self.play(FadeOut(plain), FadeOut(t_tar), *moves, FadeIn(top_chips[0].get_word(), shift=RIGHT * 0.4),
                      FadeIn(t_in), run_time=1.5)
            self.wait(0.3)
            # the label of position t is the input of position t + 1
            lab_moves = [TransformFromCopy(t.get_word(), b.get_word()) for t, b in zip(top_chips[1:], bottom_chips)]
            self.play(LaggedStart(*(Create(a) for a in arrows), lag_ratio=0.1), *lab_moves,
                      FadeIn(bottom_chips[-1].get_word(), shift=LEFT * 0.4), FadeIn(t_lab), run_time=1.8)
        return self.expose("target_rows", (top_chips, bottom_chips))

    def shift_layout(self, inp, labels, ids, fs: float, parts: int | None, cap: float | None):
        """The shift step's picture placed in the content area: (group, blocks, input chips, label chips, the
        target as written, its tag, the input's tag, the labels' tag, the smallest font size on screen)."""
        blocks, top_chips, bottom_chips = self.aligned_rows(inp, labels, ids, fs, parts, cap)
        dim = self.theme.dim
        t_in = self.t("decoder input", 22, dim).next_to(blocks[0], UP, buff=0.2).align_to(blocks[0], LEFT)
        t_lab = self.t("label: the next word", 22, dim).next_to(blocks[-1], DOWN, buff=0.2).align_to(blocks[-1],
                                                                                                    LEFT)
        # the target as written, in the input row's place, before the shift
        plain = TokenRow(labels[:-1], self.theme, font_size=fs, max_width=self.content_width, min_font_size=20,
                         colors=self.theme.query, elide=None if cap is None else label_max_width(fs))
        plain.move_to([0, top_chips[0].box.get_y(), 0])
        if len(plain.lines) > 1 or len(blocks) > 1:
            plain.move_to([0, blocks.get_y(), 0])
        t_tar = self.t("target", 22, self.theme.dim).next_to(plain, UP, buff=0.2).align_to(plain, LEFT)
        group = VGroup(t_in, blocks, t_lab, plain, t_tar)
        smallest = min(22, plain.min_font_size_shown) * self.fit_factor(group, place=True)
        return group, blocks, top_chips, bottom_chips, plain, t_tar, t_in, t_lab, smallest

    def target_ids(self, top):
        with self.step("target.ids", heading="Target token ids"):
            self.play(LaggedStart(*(FadeIn(c.id_label, shift=0.15 * UP) for c in top), lag_ratio=0.12),
                      run_time=1.5)

    def summary(self, fonts: dict):
        tok = self.example.tokens["source"][0]
        i = int(self.value("source.ids")[0])
        rec = self.record("source.onehot")
        narration = ("So every sentence becomes a stack of one-hot rows, one per token."
                     + self.teaser("Next, each row will pick out a row of learned numbers: the embedding."))
        with self.step("ch01.summary", narration=narration, heading="Summary"):
            clear_stage(self, fade=FadeOut)
            # the usual chain; when it must shrink under the theme's size_readable, the word (as text and as a
            # chip) is cut to a label's room, then half of it, as the shift step's rows are
            room = label_max_width(28)
            for cut in (None, room, room / 2):
                items, arrows, tags, smallest = self.summary_layout(tok, i, rec, cut)
                if smallest >= self.theme.size_readable:
                    break
            note_font(fonts, "ch01.summary", smallest)
            for k, m in enumerate(items):
                anims = [FadeIn(m, shift=0.2 * RIGHT), FadeIn(tags[k])]
                if k:
                    anims.append(FadeIn(arrows[k - 1]))
                self.play(*anims, run_time=0.7)
