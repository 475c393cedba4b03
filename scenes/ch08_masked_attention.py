"""Chapter 8: Masked self-attention in the decoder (decoder layer 0, head 1).

The target shifted right behind <start> (teacher forcing); Q, K and V and the scores exactly as in chapter 4;
the mask laid over the upper triangle as −∞; the softmax turning those cells into exact zeros; for one
position, arrows from the tokens it may see. The mask is causality under teacher forcing, not a guard
against overfitting.
"""
from __future__ import annotations

import math

from manim import (DOWN, LEFT, RIGHT, UP, AnimationGroup, Arrow, Create, FadeIn, LaggedStart, Line,
                   RoundedRectangle, TransformFromCopy, VGroup, VMobject)

from scenes.base import ChapterScene
from scenes.components import (NumericMatrix, Region, TokenRow, hide, layout_product, reveal, show_matrix_product,
                               show_row_softmax)
from scenes.components.attention import (AttentionGrid, ProjectionSteps, attention_grid, focus_row, formula_in,
                                         ordinal, rename, retire, scale_in_place, scores_step, style_masked,
                                         wrapped_note)
from scenes.components.stage import clear_stage, fade_in, fade_out
from scenes.components.matrix import format_number
from scenes.components.text import dimmed_context, flat_text
from scenes.components.text import label_max_width
from scenes.components.tokens import balanced_lines, chip_max_width, chip_widths

LAYER = "decoder.0.self_attn"
HEAD = 1
H = f"{LAYER}.head{HEAD}"


def quoted(tokens) -> str:
    words = [f"'{t}'" for t in tokens]
    if len(words) <= 2:
        return " and ".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


# ---------------------------------------------------------------- the chapter

class MaskedAttentionScene(ChapterScene):
    def construct(self):
        self.title_card("Each position sees only the past")
        shown = self.expose("shown", {})      # step id -> the matrix that shows it (for tests)
        tokens = list(self.example.tokens["target_input"])
        labels = list(self.example.tokens["target_labels"])
        r = self.expose("focus_row", focus_row(len(tokens)))
        self.shifted_target(tokens, labels)
        self.projections(shown, tokens)
        scores = scores_step(self, H, HEAD, [("As in chapter 4: every query meets every key,", self.theme.text),
                                             ("the keys of later positions too.", self.theme.mask)]).result
        shown[f"{H}.scores"] = scores
        grid, formula = self.scale(shown, scores, r)
        words, formula, stair = self.mask(shown, grid, formula)
        why = self.why_mask(grid, r, tokens[r], labels[r], words, formula)
        self.softmax(shown, grid, r, tokens, why, stair)
        self.who_sees_what(r, tokens)
        self.mix(shown)

    # ------------------------------------------------------------ steps
    def shifted_target(self, tokens: list[str], labels: list[str]):
        theme, m = self.theme, len(tokens)
        narration = (f"The decoder reads the target shifted one place to the right, behind <start>: {m} positions, "
                     "and at each one it must predict the next word. Under teacher forcing all positions are "
                     "computed at once, from the true previous words.")
        with self.step("ch08.shift", narration=narration, heading="The decoder's input: the target, shifted"):
            fs = 24
            # one line of slots when the words stay readable, else more blocks, with long words cut to a
            # label's room (the narration says them whole); then without the teacher-forcing note, which
            # the narration says too. The first layout that keeps the tags at the theme's readable size,
            # else the one that shrinks least.
            cap = chip_max_width(theme, fs, label_max_width(fs))
            best = None
            for parts, cut, with_note in ((1, None, True), (2, None, True), (2, cap, True), (3, cap, True),
                                          (4, cap, True), (2, cap, False), (3, cap, False), (4, cap, False)):
                shown = self.shifted_blocks(tokens, labels, fs, min(parts, m), cut, with_note)
                block = shown[0]
                shrink = min(1.0, self.content_width / block.width, (self.content_height - 0.2) / block.height)
                if best is None or shrink > best[0] + 1e-9:
                    best = (shrink, shown)
                if 22 * shrink >= theme.size_readable:
                    break
            block, blocks, top_chips, bottom_chips, t_in, t_lab, note = best[1]
            self.fit(block, width=self.content_width, height=self.content_height - 0.2)
            block.move_to([0, (self.content_top + self.content_bottom) / 2, 0])
            arrows = VGroup(*(b[1] for b in blocks))
            tops, bottoms = VGroup(*(b[0] for b in blocks)), VGroup(*(b[2] for b in blocks))
            self.play(fade_in(tops), fade_in(t_in), run_time=0.8)
            self.play(LaggedStart(*(Create(a) for a in arrows), lag_ratio=0.1),
                      *(TransformFromCopy(a.get_word(), b.get_word()) for a, b in zip(top_chips[1:], bottom_chips)),
                      FadeIn(bottom_chips[-1].get_word(), shift=LEFT * 0.3), fade_in(t_lab), run_time=1.6)
            self.add(bottoms)
            if note is not None:
                self.play(fade_in(note), run_time=0.6)
            else:
                self.wait(0.6)

    def shifted_blocks(self, tokens: list[str], labels: list[str], fs: float, parts: int, cap: float | None,
                       with_note: bool = True):
        """The input over its labels slot by slot, an arrow from each input to its label, in `parts` stacked
        blocks (cap: the widest chip, longer words cut; None: never), with the rows' tags and the note (None
        without it), not yet fitted. Returns (the whole, the blocks (top, arrows, bottom), the input's chips,
        the labels' chips, the input's tag, the labels' tag, the note)."""
        theme, m = self.theme, len(tokens)
        kw = None if cap is None else {"max_width": cap}
        slots = [max(a, b) + 0.05 for a, b in zip(chip_widths(tokens, theme, fs, max_width=cap),
                                                  chip_widths(labels, theme, fs, max_width=cap))]
        cuts = [0, m] if parts == 1 else [line[0] for line in balanced_lines(slots, parts, 0.12)] + [m]
        blocks, top_chips, bottom_chips = VGroup(), [], []
        for a, b in zip(cuts, cuts[1:]):
            top = TokenRow(tokens[a:b], theme, font_size=fs, max_width=1e9, min_widths=slots[a:b],
                           colors=theme.query, chip_kwargs=kw)
            bottom = TokenRow(labels[a:b], theme, font_size=fs, max_width=1e9, min_widths=slots[a:b],
                              colors=theme.weights, chip_kwargs=kw)
            bottom.next_to(top, DOWN, buff=0.8)
            for x, y in zip(top.chips, bottom.chips):
                y.set_x(x.get_x())
            arrows = VGroup(*(Arrow(x.get_bottom() + DOWN * 0.05, y.get_top() + UP * 0.05, buff=0, stroke_width=3,
                                    color=theme.dim, max_tip_length_to_length_ratio=0.35, tip_length=0.14)
                              for x, y in zip(top.chips, bottom.chips)))
            blocks.add(VGroup(top, arrows, bottom))
            top_chips += list(top.chips)
            bottom_chips += list(bottom.chips)
        blocks.arrange(DOWN, buff=0.6, aligned_edge=LEFT)
        t_in = self.text("decoder input", 22, theme.dim)
        t_lab = self.text("must predict: the next word", 22, theme.dim)
        t_in.next_to(blocks, UP, buff=0.2).align_to(blocks, LEFT)
        t_lab.next_to(blocks, DOWN, buff=0.2).align_to(blocks, LEFT)
        if not with_note:
            return VGroup(t_in, blocks, t_lab), blocks, top_chips, bottom_chips, t_in, t_lab, None
        note = VGroup(self.text("teacher forcing: every position at once,", 24),
                      self.text("each from the true words before it", 24)).arrange(DOWN, buff=0.12)
        note.next_to(t_lab, DOWN, buff=0.6).set_x(blocks.get_x())
        return VGroup(t_in, blocks, t_lab, note), blocks, top_chips, bottom_chips, t_in, t_lab, note

    def projections(self, shown: dict, tokens: list[str]):
        theme = self.theme
        X = self.value("target.input")
        proj = ProjectionSteps(self, LAYER, HEAD)
        with self.step(f"{H}.q"):
            clear_stage(self, detach=True)
            lay = proj.play("q", "W_Q", theme.query, X, "Y", tokens, same_input=True, detailed=1, rows=1, speed=1.6)
        shown["target.input"] = lay.left
        shown[f"{H}.q"] = lay.result
        with self.step(f"{H}.k"):
            lay = proj.play("k", "W_K", theme.key, X, "Y", tokens, same_input=True, rows=1, speed=2.0)
        shown[f"{H}.k"] = lay.result
        with self.step(f"{H}.v"):
            lay = proj.play("v", "W_V", theme.value, X, "Y", tokens, same_input=True, rows=0, speed=2.0)
        shown[f"{H}.v"] = lay.result

    def scale(self, shown: dict, old: NumericMatrix, r: int) -> tuple[AttentionGrid, VMobject]:
        """old: the scores matrix of the scores step, which gives way to the grid's first matrix. Returns the
        grid (scores, scaled, masked, weights) and the scale's formula."""
        rec = self.record(f"{H}.scaled")
        ids = ("scores", "scaled", "masked", "weights")
        recs = [self.record(f"{H}.{s}") for s in ids]
        grid = attention_grid(self, recs, fills=[None, None, None, self.theme.weights], name_tex=f"S_{HEAD}",
                              keep_row=r)
        S, scaled, masked, A = grid.mats
        style_masked(masked, masked.values, self.theme)
        style_masked(A, masked.values, self.theme, zero=True)
        with self.step(f"{H}.scaled"):
            f = scale_in_place(self, grid, old, rec.formula, HEAD, run_time=1.6)
        shown[f"{H}.scaled"] = scaled
        return grid, f

    def mask(self, shown: dict, grid: AttentionGrid,
             old_formula: VMobject) -> tuple[VGroup, VMobject, VGroup]:
        """The mask over the upper triangle. Returns its words, its formula and the staircase."""
        rec = self.record(f"{H}.masked")
        theme = self.theme
        S, scaled, masked, A = grid.mats
        panel = grid.panel
        future = [(i, j) for (i, j) in masked.cells if math.isinf(masked.values[i, j])]
        past = [(i, j) for (i, j) in masked.cells if not math.isinf(masked.values[i, j])]
        with self.step(f"{H}.masked"):
            f = formula_in(self, rec.formula, panel, 34, color=theme.mask, below=panel.top - 0.2)
            words = VGroup(self.text("−∞ above the diagonal: the later positions", 24, theme.mask),
                           self.text("the diagonal and below: kept as they are", 24, theme.dim)).arrange(DOWN, buff=0.14)
            self.fit(words, width=panel.width - 0.2, height=max(panel.height - f.height - 0.4, 0.3))
            words.next_to(f, DOWN, buff=0.3)
            self.add(masked, grid.name, old_formula)
            self.play(fade_out(old_formula), fade_in(f), run_time=0.7)
            # the kept cells change nothing: the masked matrix takes their place silently
            for i, j in past:
                c = scaled.get_cell(i, j)
                c.text.set_opacity(0)
                c.box.set_fill(opacity=0)
                masked.show_entry(i, j)
            # the mask falls over the upper triangle, row by row
            by_row = {}
            for i, j in future:
                by_row.setdefault(i, []).append((i, j))
            if by_row:
                self.play(LaggedStart(*(
                    AnimationGroup(*[hide(scaled.get_cell(i, j)) for i, j in cells],
                                   *[reveal(masked, i, j) for i, j in cells])
                    for _, cells in sorted(by_row.items())), lag_ratio=0.25),
                    rename(self, grid, rf"S_{HEAD} / \sqrt{{d_k}} + M", theme.mask), run_time=2.0)
            else:
                self.play(rename(self, grid, rf"S_{HEAD} / \sqrt{{d_k}} + M", theme.mask), run_time=0.6)
            retire(self, grid, scaled, masked)
            stair = self.staircase(masked)
            self.play(Create(stair), fade_in(words), run_time=1.0)
        shown[f"{H}.masked"] = masked
        return words, f, stair

    def staircase(self, M: NumericMatrix) -> VGroup:
        """A line along the diagonal between the kept cells and the masked ones (shown cells only)."""
        segs = VGroup()
        for i, j in M.cells:
            if math.isinf(M.values[i, j]):
                continue
            box = M.get_cell(i, j).box
            right_masked = (i, j + 1) in M.cells and math.isinf(M.values[i, j + 1])
            up_masked = (i - 1, j) in M.cells and math.isinf(M.values[i - 1, j])
            w, h = M.cell_pitch_x, M.cell_pitch_y
            x, y = box.get_center()[:2]
            if right_masked:
                segs.add(Line([x + w / 2, y - h / 2, 0], [x + w / 2, y + h / 2, 0]))
            if up_masked:
                segs.add(Line([x - w / 2, y + h / 2, 0], [x + w / 2, y + h / 2, 0]))
        segs.set_stroke(self.theme.mask, width=3)
        return segs

    def why_mask(self, grid: AttentionGrid, r: int, tok: str, nxt: str, mask_words: VGroup,
                 mask_formula: VMobject) -> VGroup:
        """Why the mask, at row r (token tok, which must predict nxt). Returns its words and marks."""
        theme = self.theme
        S, scaled, masked, A = grid.mats
        narration = ("Why a mask? Teacher forcing feeds the whole target at once, so without it a position could "
                     "simply look at the next word, the very answer it must predict. When the model writes a "
                     "sentence, later words do not exist yet. The mask enforces causality; it has nothing to do "
                     "with overfitting.")
        with self.step("ch08.causality", narration=narration, heading="The mask is causality"):
            panel = grid.panel
            box = masked.row_box(r, theme.highlight)
            lines = VGroup(
                self.text(f"'{tok}' must predict '{nxt}'", 24, theme.highlight),
                self.text("without the mask it could read it off the next column", 22, theme.text),
                self.text("causality, not overfitting", 26, theme.mask),
            ).arrange(DOWN, buff=0.15)
            self.fit(lines, width=panel.width - 0.2, height=max(panel.height - 0.2, 0.3))
            lines.move_to(panel.center)
            marks = [box]
            if r + 1 in masked.shown_col_indices() and masked.has_cell(r, r + 1):
                marks.append(masked.cell_box(r, r + 1, theme.mask, buff=0.03))
            self.add(mask_formula, mask_words)
            self.play(fade_out(mask_formula), fade_out(mask_words), Create(box), run_time=0.7)
            self.play(fade_in(lines[0]), *(Create(mk) for mk in marks[1:]), run_time=0.8)
            self.play(fade_in(lines[1]), run_time=0.8)
            self.play(fade_in(lines[2]), run_time=0.8)
        return VGroup(lines, *marks)

    def softmax(self, shown: dict, grid: AttentionGrid, r: int, tokens: list[str], why: VGroup,
                stair: VGroup):
        S, scaled, masked, A = grid.mats
        rec = self.record(f"{H}.weights")
        with self.step(f"{H}.weights"):
            self.add(why, stair)
            self.play(fade_out(why), fade_out(stair), run_time=0.4)
            self.add(A, grid.name)
            bars = show_row_softmax(self, masked, A, r, panel=grid.panel, replace=True, others=1,
                                    keep_bars=True, moment="ch08.softmax-work", row_names=tokens)
            retire(self, grid, masked, A, bars)
            self.play(rename(self, grid, rf"A_{HEAD}", self.theme.weights), run_time=0.5)
            panel = grid.panel
            gap = Region(panel.left, panel.right, bars.get_top()[1], panel.top)
            f = formula_in(self, rec.formula, gap, 32, self.theme.weights)
            zero = self.text("masked cells: exactly 0", 24, self.theme.mask)
            if f.width + zero.width + 0.6 <= gap.width:
                VGroup(f, zero).arrange(RIGHT, buff=0.6).move_to(gap.center)
                self.play(fade_in(f), fade_in(zero), run_time=0.6)
            else:
                self.play(fade_in(f), run_time=0.5)
            zeros = VGroup(*(A.cell_box(i, j, self.theme.mask, buff=0.0) for (i, j) in A.cells
                             if math.isinf(masked.values[i, j])))
            if len(zeros):
                self.play(Create(zeros, lag_ratio=0.03), run_time=0.9)
                self.play(fade_out(zeros), run_time=0.4)
        shown[f"{H}.weights"] = A

    def who_sees_what(self, r: int, tokens: list[str]):
        theme, m = self.theme, len(tokens)
        A_vals = self.value(f"{H}.weights")
        tok = tokens[r]
        earlier = tokens[:r]
        later = m - r - 1
        sees = (f"{quoted(earlier)} and at itself" if earlier else "only at itself")
        hidden = (f"the {later} later position{'s' * (later > 1)} {'are' if later > 1 else 'is'} hidden, "
                  f"{'their' if later > 1 else 'its'} weight exactly 0") if later else "nothing is hidden"
        narration = f"The {ordinal(r + 1)} position, '{tok}', may look at {sees}; {hidden}."
        with self.step("ch08.sees", narration=narration, heading=f"What position {r + 1} may see"):
            clear_stage(self, run_time=0.5, detach=True)
            fs, nfs = 28, 24
            # every key up to a few after this position, far later ones elided with ⋯ (all hidden anyway);
            # when that row would shrink the words below the smallest size: long words cut to a label's
            # room, then fewer later keys
            cap = chip_max_width(theme, fs, label_max_width(fs))
            for after, cut in ((5, None), (5, cap), (2, cap), (1, cap)):
                idx = list(range(m)) if m <= r + after + 2 else list(range(r + after)) + [None, m - 1]
                keys, dots, shown = self.key_row(tokens, idx, [A_vals[r, j] for j in range(m)], fs, nfs, cut)
                if 24 * min(1.0, self.content_width / keys.width) >= theme.size_min:
                    break
            slot = {j: c for j, c in zip(shown, keys.chips)}
            query = TokenRow([tok], theme, font_size=fs, colors=theme.query)
            query.get_chip(0).highlight(theme.query)
            # the recorded weights, one under each key, so a number sits under the token it weighs
            nums, num_of = VGroup(), {}
            for j in shown:
                num = flat_text(format_number(float(A_vals[r, j]), self.cfg.decimals), theme.mono, nfs,
                                theme.mask if j > r else theme.weights)
                num_of[j] = num.move_to([slot[j].get_x(), keys.get_bottom()[1] - 0.35, 0])
                nums.add(num)
            query.next_to(nums, DOWN, buff=2.0).set_x(slot[r].get_x())
            top_w = max(float(A_vals[r, :r + 1].max()), 1e-9)
            arrows = VGroup()
            for j in range(r + 1):
                strength = float(A_vals[r, j]) / top_w
                a = Arrow(num_of[j].get_bottom() + DOWN * 0.08, query.get_chip(0).get_top() + UP * 0.05, buff=0.05,
                          color=theme.weights, stroke_width=2 + 7 * strength, max_tip_length_to_length_ratio=0.12,
                          tip_length=0.22)
                a.set_opacity(0.35 + 0.65 * strength)
                arrows.add(a)
            t_keys = self.text("every position's key", 24, theme.dim)
            t_query = self.text(f"the query of position {r + 1}", 24, theme.dim)
            t_keys.next_to(keys, UP, buff=0.3).align_to(keys, LEFT)
            t_query.next_to(query, DOWN, buff=0.25)
            block = VGroup(t_keys, keys, dots, nums, arrows, query, t_query)
            curtain = VGroup()
            if later:
                hid = VGroup(*(slot[j] for j in shown if j > r), *(num_of[j] for j in shown if j > r), dots)
                dimmed_context(*hid)    # hidden on purpose, still legible as context (3:1)
                rect = RoundedRectangle(corner_radius=0.12, width=hid.width + 0.3, height=hid.height + 0.3)
                rect.move_to(hid).set_stroke(theme.mask, 3).set_fill(theme.mask, opacity=0.22)
                note = self.text("later: hidden", 24, theme.mask).next_to(rect, DOWN, buff=0.2)
                if note.width > rect.width + 1.0:
                    note.align_to(rect, RIGHT)
                curtain = VGroup(rect, note)
                block.add(curtain)
            self.fit(block, width=self.content_width, height=self.content_height - 0.2)
            block.move_to([0, (self.content_top + self.content_bottom) / 2, 0])
            self.play(fade_in(keys), fade_in(dots), fade_in(t_keys), run_time=0.8)
            self.play(fade_in(query), fade_in(t_query), run_time=0.6)
            self.play(fade_in(nums), run_time=0.6)
            self.play(LaggedStart(*(Create(a) for a in arrows), lag_ratio=0.25), run_time=1.2)
            if later:
                self.play(*(slot[j].animate.faded(0.6) for j in shown if j > r),
                          fade_in(curtain), run_time=1.0)
            self.expose("sees", (keys, query, nums, arrows, curtain))

    def key_row(self, tokens: list[str], idx: list, weights, fs: float, nfs: float, cap: float | None):
        """The keys idx (None: ⋯) in one row of chips as wide as their weights (weights: the record's, one
        per key), words cut at cap (None: never). Returns (the chips, the ⋯, the shown indices)."""
        theme = self.theme
        shown = [j for j in idx if j is not None]
        num_w = max(flat_text(format_number(float(weights[j]), self.cfg.decimals), theme.mono, nfs,
                              theme.text).width for j in shown)
        keys = TokenRow([tokens[j] for j in shown], theme, font_size=fs, max_width=1e9, buff=0.3,
                        colors=theme.key, max_lines=1, min_widths=[num_w + 0.1] * len(shown),
                        chip_kwargs=None if cap is None else {"max_width": cap})
        dots = VGroup()
        if None in idx:
            cut = idx.index(None)
            gap = flat_text("⋯", theme.font, fs, theme.dim)
            for chip in keys.chips[cut:]:
                chip.shift(RIGHT * (gap.width + 0.3))
            dots.add(gap.move_to([(keys.chips[cut - 1].get_right()[0] + keys.chips[cut].get_left()[0]) / 2,
                                  keys.chips[0].box.get_y(), 0]))
        return keys, dots, shown

    def mix(self, shown: dict):
        rec = self.record(f"{H}.out")
        A_vals, V_vals = self.value(f"{H}.weights"), self.value(f"{H}.v")
        lay = layout_product(self, A_vals, V_vals, rec.value,
                             names=(f"A_{HEAD}", f"V_{HEAD}", rf"\mathrm{{head}}_{HEAD}"),
                             colors=(self.theme.weights, self.theme.value, None), left_row_labels=rec.rows,
                             right_row_labels=self.record(f"{H}.v").rows, fills=(self.theme.weights, None, None),
                             kinds=("scheme", "row"))
        A, V, O = lay.left, lay.right, lay.result.hide_entries()
        style_masked(A, self.value(f"{H}.masked"), self.theme, zero=True)
        with self.step(f"{H}.out"):
            clear_stage(self, run_time=0.5, detach=True)
            self.play(fade_in(A), fade_in(V), fade_in(O), fade_in(lay.name_group), fade_in(lay.ops), run_time=0.8)
            show_matrix_product(self, A, V, O, detailed=0, rows=1, rest=True, speed=1.2)
            note = wrapped_note(self, [("Zero weights: the value rows of later positions add nothing to a "
                                        "position's mix.", self.theme.mask)], lay.panel)
            if note is not None:
                self.play(fade_in(note), run_time=0.6)
        shown[f"{H}.out"] = O
