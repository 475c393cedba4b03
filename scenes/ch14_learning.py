"""Chapter 14: Learning. How the weights of the worked example got their values.

The loss of the random initial weights (the probability each position gives its true next word, minus its
log, the mean); the loss curve of the whole run; one gradient traced back through the output layer by the
chain rule, term by term with the real numbers; Adam's first step on the output matrix, followed through
one weight; the predicted words at each checkpoint, from random to right; and why the backward pass costs
about twice the forward one (the 4PD of chapter 12).

Every number comes from the record: the train.0.* steps (the first training step), example.training (the
losses, the checkpoints) and mathcore.scale (FLOPs). The terms of the worked gradient entry are
mathcore.display.product_terms of record numbers; their total is the recorded entry. Rounding happens only
at display time: probabilities, losses and the decoder output with 3 decimals; the logit gradients, the
products and every d × V matrix with 4 (Adam's first update is about the learning rate, 0.001); Adam's
second moment with 6.

An untrained example (render.py example --untrained) has no training run: the chapter then says so, shows
how small the probabilities of the true words are, names the recipe and how to get a trained example.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, UR, AnimationGroup, Create, Dot, FadeIn, Indicate, LaggedStart, Line, MathTex,
                   Mobject, SurroundingRectangle, Transform, TransformFromCopy, VGroup, VMobject)

from mathcore import scale
from mathcore.display import product_terms
from scenes.base import ChapterScene
from scenes.components import NumericMatrix, Region, content_region, format_number
from scenes.components.choreography import reveal
from scenes.components.stage import clear_stage, fade_in, fade_out
from scenes.components.matrix import shown_indices, shown_subset
from scenes.components.text import label_max_width
from scenes.components.tokens import TokenChip
from scenes.components.training import trained

GRAD_DEC = 3       # probabilities, losses, gradients: their first digits sit in the 2nd or 3rd decimal
ADAM_DEC = 4       # Adam's first update is about the learning rate (0.001): weights need 4 decimals to show it
V_DEC = 6          # Adam's second moment, 0.02·g², is a few millionths
LEDGER_W = 3.3     # the column on the right that follows one weight through Adam's step
CK_FONT = 22       # the checkpoint table's words and step numbers (its losses 2 less, its headers 20)
CK_SMALLEST = 18   # its smallest text: the positions over the columns
CK_GAP = 0.1       # between its columns


def pick_cols(n: int, must, extra, slots: int) -> list[int | None]:
    """Columns to draw in at most `slots` slots (an ellipsis takes one): every column when they fit, else
    `must`, then as many of `extra` (in order) as fit, then any other columns (in order) that still fit
    (a column filling a one-column gap costs nothing), with ⋯ for the gaps."""
    if n <= slots:
        return list(range(n))
    keep = list(dict.fromkeys(int(k) for k in must))
    best = shown_subset(n, keep, 0)
    for k in [*extra, *range(n)]:
        if k in keep:
            continue
        cand = shown_subset(n, keep + [k], 0)
        if len(cand) <= slots:
            keep.append(k)
            best = cand
    return best


ADAM_STEPS = ["train.0.dW_out", "train.0.grad", "train.0.W_out", "train.0.adam.m", "train.0.adam.v",
              "train.0.adam.update", "train.0.adam.after"]


def adam_decimals(step_id: str) -> int:
    return V_DEC if step_id == "train.0.adam.v" else ADAM_DEC


@dataclass
class AdamStage:
    """Where the Adam steps draw (LearningScene.adam_layout), and what they have drawn so far."""
    area: Region                  # the matrices' area, left of the ledger
    cols: list                    # the columns every d × V matrix shows (the worked one among them)
    cell_width: float
    title: VGroup                 # the ledger's title
    ledger_y: float               # the y of the ledger's first row
    formula: Mobject | None = None            # the formula in the band
    matrix: NumericMatrix | None = None       # the matrix on screen
    marks: list = field(default_factory=list)     # what goes with it when the next one comes
    ledger: VGroup = field(default_factory=VGroup)
    values: list = field(default_factory=list)    # (step id, cell, decimals, text) per ledger row, for the tests


def water_level(groups, room: float) -> float:
    """The largest cap c such that every group of widths, each width cut to at most c, sums to at most room
    (0 when room is too small for anything)."""
    level = float("inf")
    for widths in groups:
        ws = sorted(widths)
        for k, w in enumerate(ws):                    # the k narrowest stay whole, the rest are cut to c
            c = (room - sum(ws[:k])) / (len(ws) - k)
            if c <= w:
                level = min(level, max(c, 0.0))
                break
    return level


def tick_values(limit: float, step: float) -> list[float]:
    """0, step, 2 step, … up to limit."""
    out, v = [], 0.0
    while v <= limit + 1e-9:
        out.append(v)
        v += step
    return out


def nice_step(span: float, max_ticks: int = 6) -> float:
    """A tick spacing of 1, 2 or 5 times a power of ten giving at most max_ticks intervals over span."""
    span = max(span, 1e-9)
    base = 10 ** math.floor(math.log10(span / max_ticks))
    for f in (1, 2, 5, 10):
        if span / (f * base) <= max_ticks:
            return f * base
    return 10 * base


class LearningScene(ChapterScene):
    def construct(self):
        if not trained(self.example):
            self.title_card("What training would do")
            self.untrained()
            self.untrained_probs()
            self.recipe()
            self.compute()
            return
        self.title_card("How the weights got their values")
        self.loss_at_start()
        self.loss_curve()
        stage = self.chain_rule()
        self.adam(stage)
        self.checkpoints()
        self.compute()

    # ------------------------------------------------------------ the example's facts (from the base's state)
    @property
    def run(self):
        return self.example.training

    @property
    def vocab(self) -> list[str]:
        return list(self.example.vocab)

    @property
    def tgt(self) -> list[str]:
        return list(self.example.tokens["target_input"])

    @property
    def labels(self) -> list[str]:
        return list(self.example.tokens["target_labels"])

    @property
    def m(self) -> int:
        return len(self.tgt)

    @property
    def V(self) -> int:
        return len(self.example.vocab)

    @property
    def d(self) -> int:
        return self.cfg.d_model

    @property
    def label_ids(self) -> list[int]:
        vocab = self.vocab
        return [vocab.index(w) for w in self.labels]

    @property
    def gdec(self) -> int:
        return max(self.cfg.decimals, GRAD_DEC)

    @property
    def worked(self) -> tuple[int, int]:
        """The weight followed through the chain rule and Adam: row 1 of the output matrix, the column of the
        last position's true word."""
        return 0, self.label_ids[-1]

    # ------------------------------------------------------------ helpers
    def fmt(self, v: float, decimals: int) -> str:
        return format_number(float(v), decimals)

    def matrix(self, values, decimals: int, **kw) -> NumericMatrix:
        kw.setdefault("font_size", self.theme.size_label)
        return NumericMatrix(values, self.theme, decimals=decimals, **kw)

    def band(self) -> Region:
        """The strip at the top of the content area where a step's formula stands."""
        area = content_region(self)
        return Region(area.left, area.right, area.top - 0.85, area.top)

    def stage(self) -> Region:
        """The content area below the formula band."""
        area = content_region(self)
        return Region(area.left, area.right, area.bottom, area.top - 0.95)

    def show_formula(self, old, tex: str | None, color: str | None = None, run_time: float = 0.6):
        """Replace the formula in the band (old: the one there, or None) by tex (None: just remove it); returns
        the new formula."""
        anims = [fade_out(old)] if old is not None else []
        new = None
        if tex:
            new = MathTex(tex, font_size=36, color=color or self.theme.text)
            b = self.band()
            self.fit(new, width=b.width, height=b.height)
            new.move_to(b.center)
            anims.append(FadeIn(new))
        if anims:
            self.play(*anims, run_time=run_time)
        return new

    def cell_width(self, values, decimals: int) -> float:
        """The cell width a NumericMatrix gives these values at the label size (its widest number decides)."""
        size = self.theme.size_label
        widest = max(np.asarray(values, dtype=float).ravel(),
                     key=lambda v: self.t(self.fmt(v, decimals), size, mono=True).width)
        return self.matrix(np.array([[widest]]), decimals).cell_width

    # ------------------------------------------------------------ the loss of the initial weights
    def fit_rows(self, build, region: Region, reserve: float = 0.0):
        """build(rows) -> a group; the most rows (up to 10, then ⋮) whose group fits region (less reserve
        in height) with numbers of at least the theme's smallest size. Returns (group, built parts, scale factor)."""
        for max_rows in range(max(min(self.m, 10), 4), 3, -1):
            group, parts = build(shown_indices(self.m, max_rows))
            factor = min(1.0, region.width / group.width, (region.height - reserve) / group.height)
            if factor * self.theme.size_label >= self.theme.size_min - 1e-6 or max_rows == 4:
                break
        return group, parts, factor

    def widen(self, make, slots: int, cell_w: float, region: Region, reserve: float = 0.0):
        """make(slots) -> (group, parts, factor); when the group leaves room for more columns, rebuild
        with the most slots that fit without shrinking it further. The group is scaled by its factor."""
        group, parts, factor = make(slots)
        spare = region.width - group.width * factor
        more = slots + int(spare / (cell_w * factor))
        while more > slots:
            group2, parts2, factor2 = make(more)
            if factor2 >= factor - 1e-6 and group2.width * factor2 <= region.width + 1e-6:
                group, parts, factor = group2, parts2, factor2
                break
            more -= 1
        if factor < 1.0:
            group.scale(factor)
        return group, parts

    def probs_block(self, step_id: str, with_loss: bool):
        """The probabilities (m × V, columns of the true next words kept) and, with_loss, the per-position
        loss ℓ beside them (its row labels: the true next words), fitted to the stage."""
        th = self.theme
        P = self.value(step_id)
        area = self.stage()
        cw = self.cell_width(P, self.gdec)
        ell = self.value("train.0.token_loss") if with_loss else None
        order = sorted(set(self.label_ids), key=self.label_ids.index)

        def make(slots):
            cols = pick_cols(self.V, [], order, slots)

            def build(rows):
                Pm = self.matrix(P, self.gdec, rows=rows, cols=cols, row_labels=self.tgt, col_labels=self.vocab,
                                 cell_width=cw)
                L = None
                if with_loss:
                    L = self.matrix(ell, self.gdec, rows=rows, row_labels=self.labels, column_vector=True)
                    for lab in L.row_labels.values():
                        lab.set_color(th.highlight)
                    L.next_to(Pm, RIGHT, buff=0.6)
                    L.shift(UP * (Pm.body[0].get_y() - L.body[0].get_y()))
                return VGroup(Pm, *([L] if L is not None else [])), (Pm, L)
            return self.fit_rows(build, area, reserve=0.9)

        block, (Pm, L) = self.widen(make, 4, cw, area, reserve=0.9)
        return Pm, L, block

    def true_boxes(self, Pm: NumericMatrix) -> VGroup:
        """Boxes around each position's true next word (where its column is shown); build after placing Pm."""
        return VGroup(*(Pm.cell_box(i, self.label_ids[i], self.theme.highlight) for i in Pm.shown_row_indices()
                        if Pm.has_cell(i, self.label_ids[i])))

    def loss_at_start(self):
        th = self.theme
        Pm, L, block = self.probs_block("train.0.probs", with_loss=True)
        area = self.stage()
        total = VGroup(MathTex(r"L =", font_size=38, color=th.text),
                       self.t(self.fmt(self.value("train.0.loss"), self.gdec), 30, th.highlight, mono=True)
                       ).arrange(RIGHT, buff=0.2)
        group_h = block.height + 0.35 + total.height
        block.move_to([area.center[0], area.top - (area.height - group_h) / 2 - block.height / 2, 0])
        boxes = self.true_boxes(Pm)
        with self.step("train.0.probs"):
            formula = self.show_formula(None, self.record("train.0.probs").formula)
            self.play(fade_in(Pm), run_time=0.8)
            self.play(LaggedStart(*(Create(b) for b in boxes), lag_ratio=0.15), run_time=1.2)
        self.expose("train.0.probs", Pm)
        with self.step("train.0.token_loss"):
            formula = self.show_formula(formula, self.record("train.0.token_loss").formula)
            self.fly_to_losses(Pm, L)
        self.expose("train.0.token_loss", L)
        with self.step("train.0.loss"):
            self.show_formula(formula, self.record("train.0.loss").formula)
            total.next_to(block, DOWN, buff=0.35).set_x(L.get_grid().get_x())
            if total.get_right()[0] > area.right:
                total.shift(LEFT * (total.get_right()[0] - area.right))
            box = SurroundingRectangle(L.get_grid(), color=th.highlight, buff=0.08)
            self.play(Create(box), run_time=0.6)
            self.play(TransformFromCopy(L.get_grid(), total), run_time=1.0)
            self.play(fade_out(box), Indicate(total[1], color=th.highlight), run_time=0.8)

    def fly_to_losses(self, Pm: NumericMatrix, L: NumericMatrix):
        """Each position's p flies to its ℓ (a copy: the cells keep their shapes)."""
        L.hide_entries()
        self.add(L)
        anims = []
        for i in L.shown_row_indices():
            j = self.label_ids[i]
            if Pm.has_cell(i, j):
                flying = Pm.get_cell(i, j).text.copy()
                anims.append(AnimationGroup(Transform(flying, L.get_cell(i, 0).text.copy().set_opacity(1),
                                                      remover=True), reveal(L, i, 0)))
            else:
                anims.append(reveal(L, i, 0))
        self.play(LaggedStart(*anims, lag_ratio=0.2), run_time=2.0)

    # ------------------------------------------------------------ the loss curve
    def loss_curve(self):
        run = self.run
        losses = np.asarray(run.losses, dtype=float)
        steps = run.steps
        l0, l1 = self.fmt(losses[0], self.gdec), self.fmt(losses[-1], self.gdec)
        if run.reproduced:
            why = (f"It stopped as soon as the weights, rounded to {run.decimals} decimals, reproduced the target."
                   if steps else "The random weights already reproduced the target: no update was needed.")
        else:
            why = f"It stopped at the step limit, {steps} steps, before the weights reproduced the target."
        plural = "s" if steps != 1 else ""
        narration = (f"Each training step computes the loss and its gradient and moves every weight a little. After "
                     f"{steps} step{plural} of Adam the loss fell from {l0} to {l1}. {why}")
        with self.step("ch14.loss-curve", narration=narration, heading="Training: the loss falls"):
            clear_stage(self)
            area = content_region(self)
            notes_w = 4.2
            plot = Region(area.left + 1.1, area.right - notes_w - 0.6, area.bottom + 0.95, area.top - 0.45)
            frame, curve, ends, marks = self.curve_plot(plot, losses)
            self.expose("curve", curve)
            self.expose("curve_labels", (l0, l1))
            notes = self.curve_notes(l0, l1, has_marks=len(marks) > 0)
            self.fit(notes, width=notes_w)
            notes.move_to([area.right - notes_w / 2, (plot.top + plot.bottom) / 2, 0])
            axes, ticks, xlab, ylab = frame
            (start, start_lab), (end, end_lab) = ends
            self.play(Create(axes), fade_in(ticks), fade_in(xlab), fade_in(ylab), FadeIn(start), FadeIn(start_lab),
                      run_time=1.0)
            self.play(Create(curve), run_time=2.5)
            self.play(FadeIn(end), FadeIn(end_lab), FadeIn(marks), run_time=0.6)
            self.play(LaggedStart(*(FadeIn(n, shift=0.1 * UP) for n in notes), lag_ratio=0.3), run_time=1.6)

    def curve_plot(self, plot: Region, losses: np.ndarray):
        """The recorded losses on linear axes filling plot: ((axes, ticks, xlab, ylab), curve, ((start dot,
        its label), (end dot, its label)), the checkpoints' dots)."""
        th, run = self.theme, self.run
        steps = run.steps
        xmax = max(steps, 1)
        ystep = nice_step(float(np.max(losses)), 5)
        ymax = math.ceil(float(np.max(losses)) / ystep - 1e-9) * ystep

        def pt(k, v):
            return np.array([plot.left + k / xmax * plot.width, plot.bottom + v / ymax * plot.height, 0.0])

        axes = VGroup(Line(pt(0, 0), pt(xmax, 0), color=th.dim, stroke_width=2),
                      Line(pt(0, 0), pt(0, ymax), color=th.dim, stroke_width=2))
        xs, ys = tick_values(xmax, nice_step(xmax, 6)), tick_values(ymax, ystep)
        ticks = VGroup(*self.ticks([pt(k, 0) for k in xs], xs, DOWN), *self.ticks([pt(0, v) for v in ys], ys, LEFT))
        xlab = self.t("training step (updates made)", 22, th.dim)
        xlab.next_to(pt(xmax / 2, 0), DOWN, buff=0.55)
        ylab = self.t("loss", 22, th.dim).rotate(math.pi / 2)
        ylab.next_to(axes[1], LEFT, buff=0.6)
        points = [pt(k, float(v)) for k, v in enumerate(losses)]
        curve = VMobject(stroke_color=th.highlight, stroke_width=3.5)
        curve.set_points_as_corners(points if len(points) > 1 else [points[0], points[0] + RIGHT * 1e-3])
        start = Dot(points[0], radius=0.07, color=th.highlight)
        end = Dot(points[-1], radius=0.07, color=th.weights)
        start_lab = self.t(self.fmt(losses[0], self.gdec), 22, th.highlight, mono=True).next_to(start, UR, buff=0.08)
        end_lab = self.t(self.fmt(losses[-1], self.gdec), 22, th.weights, mono=True).next_to(end, UP, buff=0.15)
        if end_lab.get_right()[0] > plot.right + 0.3:
            end_lab.shift(LEFT * (end_lab.get_right()[0] - plot.right - 0.3))
        if steps == 0:
            end_lab.set_opacity(0)
        marks = VGroup(*(Dot(pt(c.step, float(losses[c.step])), radius=0.05, color=th.weights)
                         for c in run.checkpoints if 0 < c.step < steps))
        return (axes, ticks, xlab, ylab), curve, ((start, start_lab), (end, end_lab)), marks

    def ticks(self, points, values, direction) -> list:
        """A tick and its value at each point of an axis (direction: DOWN for x, LEFT for y)."""
        th = self.theme
        out = []
        for p, v in zip(points, values):
            out += [Line(p, p + direction * 0.1, color=th.dim, stroke_width=2),
                    self.t(f"{v:g}", 20, th.dim, mono=True).next_to(p, direction, buff=0.15)]
        return out

    def curve_notes(self, l0: str, l1: str, has_marks: bool) -> VGroup:
        """What the run did, line by line, beside the curve."""
        th, run = self.theme, self.run
        steps = run.steps
        plural = "s" if steps != 1 else ""
        lines = [(f"{steps} update{plural} of Adam", th.text),
                 (f"loss {l0} → {l1}", th.text),
                 (f"peak learning rate {self.cfg.learning_rate:g}", th.dim)]
        if run.pairs > 1:
            lines.append((f"mean over {run.pairs} training pairs", th.dim))
        if run.reproduced:
            lines.append(("stopped: the rounded weights" if steps else "no update needed:", th.weights))
            lines.append(("reproduce the target", th.weights))
        else:
            lines.append(("stopped at the step limit:", th.mask))
            lines.append(("target not reproduced yet", th.mask))
        notes = VGroup(*(self.t(s, 22, c) for s, c in lines))
        if has_marks:
            notes.add(VGroup(Dot(radius=0.05, color=th.weights), self.t("checkpoints (later)", 22, th.dim))
                      .arrange(RIGHT, buff=0.15))
        return notes.arrange(DOWN, buff=0.18, aligned_edge=LEFT)

    # ------------------------------------------------------------ the chain rule through the output layer
    def chain_rule(self) -> AdamStage:
        """Y, ∂L/∂z and the terms of one entry of ∂L/∂W, then that whole gradient on the Adam stage, which it
        returns."""
        area = self.stage()
        make, cw_g = self.worked_entry_layout(area)
        group, parts = self.widen(make, 4, cw_g, area)
        group.move_to(area.center)
        Ym, Gm, Tm, names, sig_label, sig_value, rule, which = parts
        self.expose("sigma_mob", sig_value)
        with self.step("train.0.decoder.output"):
            clear_stage(self)
            self.play(fade_in(Ym), FadeIn(names[0]), run_time=0.8)
        self.expose("train.0.decoder.output", Ym)
        with self.step("train.0.dlogits"):
            formula = self.show_formula(None, self.record("train.0.dlogits").formula)
            self.play(fade_in(Gm), FadeIn(names[1]), run_time=0.8)
            marks = self.true_boxes(Gm)
            self.play(LaggedStart(*(Create(b) for b in marks), lag_ratio=0.15), run_time=1.2)
            self.wait(1.5)
            self.play(fade_out(marks), run_time=0.4)
        self.expose("train.0.dlogits", Gm)
        with self.step("train.0.dW_out"):
            formula = self.show_formula(formula, self.record("train.0.dW_out").formula)
            cols = self.work_entry(parts)
            self.key_moment("ch14.chain-rule-work")
            self.expose("ch14.terms", Tm)
            # the whole gradient of the output layer, the worked entry in its place
            stage = self.adam_layout(formula)
            M = self.adam_matrix(stage, "train.0.dW_out")
            self.play(*(fade_out(mob) for mob in (Ym, Gm, Tm, *cols, sig_label, which, rule)),
                      *(fade_out(nm) for nm in names), run_time=0.6)
            mark = self.cell_mark(M)
            j, w = self.worked
            self.play(fade_in(M), run_time=0.8)
            self.play(Transform(sig_value, M.get_cell(j, w).text.copy(), remover=True), Create(mark), run_time=0.9)
            stage.matrix, stage.marks = M, [mark]
            self.ledger_add(stage, "train.0.dW_out", r"\partial L/\partial W", ADAM_DEC)
        return stage

    def work_entry(self, parts) -> tuple:
        """The worked entry of ∂L/∂W, term by term: Y's column j times ∂L/∂z's column w, position by position,
        then their sum. Returns the two column boxes (still on screen)."""
        Ym, Gm, Tm, names, sig_label, sig_value, rule, which = parts
        hl = self.theme.highlight
        j, w = self.worked
        col_y = Ym.column_box(j, hl)
        col_g = Gm.column_box(w, hl)
        self.play(Create(col_y), Create(col_g), FadeIn(names[2]), FadeIn(which), run_time=0.8)
        Tm.hide_entries()
        self.add(Tm)
        anims = []
        for i in Tm.shown_row_indices():
            target = Tm.get_cell(i, 0).text
            pair = VGroup(Ym.get_cell(i, j).text.copy(), Gm.get_cell(i, w).text.copy())
            anims.append(AnimationGroup(Transform(pair, target.copy().set_opacity(1), remover=True),
                                        reveal(Tm, i, 0)))
        self.play(LaggedStart(*anims, lag_ratio=0.15), run_time=2.4)
        self.play(Create(rule), FadeIn(sig_label), FadeIn(sig_value, shift=0.1 * DOWN), run_time=0.8)
        self.play(Indicate(sig_value, color=hl), run_time=0.8)
        return col_y, col_g

    def worked_entry_layout(self, area: Region):
        """make(slots) for widen, and the cell width of ∂L/∂z: Y (columns around j), ∂L/∂z (the true words'
        columns first) and the terms Y_tj · ∂L/∂z_tw with their sum, the recorded entry of ∂L/∂W; the most rows
        that fit area."""
        th, hl = self.theme, self.theme.highlight
        Y, G, dW = self.value("train.0.decoder.output"), self.value("train.0.dlogits"), self.value("train.0.dW_out")
        j, w = self.worked
        terms, _ = product_terms(Y[:, j], G[:, w])     # the pieces of the recorded entry dW[j, w]
        cw_y, cw_g = self.cell_width(Y, self.gdec), self.cell_width(G, ADAM_DEC)
        cw_t = self.cell_width(np.append(terms, dW[j, w]), ADAM_DEC)
        y_cols = pick_cols(self.d, [j], range(1, self.d), 3)
        order = [w] + [k for k in sorted(set(self.label_ids), key=self.label_ids.index) if k != w]
        dims = [f"d{k + 1}" for k in range(self.d)]
        size = self.theme.size_label

        def build(rows, g_cols):
            Ym = self.matrix(Y, self.gdec, rows=rows, cols=y_cols, row_labels=self.tgt, col_labels=dims,
                             cell_width=cw_y)
            Gm = self.matrix(G, ADAM_DEC, rows=rows, cols=g_cols, col_labels=self.vocab, cell_width=cw_g)
            Tm = self.matrix(terms, ADAM_DEC, rows=rows, column_vector=True, cell_width=cw_t)
            Gm.next_to(Ym, RIGHT, buff=0.4)
            Tm.next_to(Gm, RIGHT, buff=0.7)
            for M in (Gm, Tm):
                M.shift(UP * (Ym.body[0].get_y() - M.body[0].get_y()))
            names = VGroup(MathTex(r"Y^{(0)}", font_size=34, color=th.text),
                           MathTex(r"\partial L / \partial z", font_size=34, color=th.text),
                           MathTex(r"Y_{t,1}\,\frac{\partial L}{\partial z_{t,w}}", font_size=30, color=hl))
            top = max(M.get_top()[1] for M in (Ym, Gm, Tm)) + 0.12
            for nm, M in zip(names, (Ym, Gm, Tm)):
                nm.move_to([M.get_grid().get_x(), top + nm.height / 2, 0])
            sig_value = self.t(self.fmt(dW[j, w], ADAM_DEC), size, hl, mono=True)
            sig_value.move_to(Tm.get_cell(Tm.shown_row_indices()[-1], 0)).shift(DOWN * 0.75)
            # the Σ and the note under it are two texts (the note reaches under the value): a group, not one text
            sig_label = VGroup(MathTex(r"\Sigma_t =", font_size=32, color=th.text))
            sig_label.next_to(sig_value, LEFT, buff=0.15)
            rule = Line(Tm.get_grid().get_corner(DOWN + LEFT) + DOWN * 0.12,
                        Tm.get_grid().get_corner(DOWN + RIGHT) + DOWN * 0.12, color=th.dim, stroke_width=1.5)
            which = self.t(f"w = '{self.vocab[w]}'", size, hl).next_to(names[2], UP, buff=0.12)
            if None in rows:       # rows elided: the sum still runs over every position
                every = self.t(f"over all {self.m} positions", self.theme.size_min, th.dim)
                every.next_to(sig_value, DOWN, buff=0.12).align_to(sig_value, RIGHT)
                sig_label.add(every)
            parts = (Ym, Gm, Tm, names, sig_label, sig_value, rule, which)
            return VGroup(*parts), parts

        def make(slots):
            g_cols = pick_cols(self.V, [w], order, slots)
            return self.fit_rows(lambda rows: build(rows, g_cols), area)
        return make, cw_g

    # ------------------------------------------------------------ Adam's first step, on the output matrix
    def adam_layout(self, formula) -> AdamStage:
        """The stage of the Adam steps: one d × V matrix at a time on the left (the same columns for all, the
        worked one among them), a ledger on the right that follows the worked weight; formula: the one shown."""
        th = self.theme
        area = self.stage()
        j, w = self.worked
        matrix_area = Region(area.left, area.right - LEDGER_W - 0.4, area.bottom, area.top)
        cw = max(self.cell_width(self.value(s), adam_decimals(s)) for s in ADAM_STEPS)
        order = sorted(set(self.label_ids), key=self.label_ids.index)
        dims = [f"d{k + 1}" for k in range(self.d)]
        widest = max(ADAM_STEPS, key=lambda s: self.cell_width(self.value(s), adam_decimals(s)))

        def make(slots):
            cols = pick_cols(self.V, [0, w], order, slots)
            M = self.matrix(self.value(widest), adam_decimals(widest), cols=cols, row_labels=dims,
                            col_labels=self.vocab, cell_width=cw)
            factor = min(1.0, matrix_area.width / M.width, matrix_area.height / M.height)
            return M, cols, factor

        _, cols = self.widen(make, 4, cw, matrix_area)
        title = VGroup(self.t("one weight:", 22, th.dim),
                       self.t(f"row d{j + 1}, column '{self.vocab[w]}'", 22, th.highlight)).arrange(DOWN, buff=0.1,
                                                                                                  aligned_edge=LEFT)
        self.fit(title, width=LEDGER_W)
        title.move_to([area.right - LEDGER_W / 2, 0, 0]).align_to([0, area.top - 0.2, 0], UP)
        title.align_to([area.right - LEDGER_W, 0, 0], LEFT)
        stage = AdamStage(matrix_area, cols, cw, title, title.get_bottom()[1] - 0.45, formula=formula)
        self.expose("ledger_values", stage.values)
        return stage

    def adam_matrix(self, stage: AdamStage, step_id: str) -> NumericMatrix:
        rec = self.record(step_id)
        dims = [f"d{k + 1}" for k in range(self.d)]
        M = self.matrix(rec.value, adam_decimals(step_id), cols=stage.cols, row_labels=dims,
                        col_labels=self.vocab, cell_width=stage.cell_width, max_rows=8)
        area = stage.area
        self.fit(M, width=area.width, height=area.height)
        M.move_to(area.center)
        self.expose(step_id, M)
        return M

    def cell_mark(self, M: NumericMatrix):
        return M.cell_box(*self.worked, self.theme.highlight)

    def ledger_add(self, stage: AdamStage, step_id: str, tex: str, decimals: int, color: str | None = None):
        """One line of the ledger: the worked weight's value in this step's matrix (the record's number)."""
        th = self.theme
        j, w = self.worked
        text = self.fmt(self.value(step_id)[j, w], decimals)
        stage.values.append((step_id, (j, w), decimals, text))
        area = self.stage()
        label = MathTex(tex, font_size=32, color=color or th.text)
        val = self.t(text, 22, color or th.text, mono=True)
        x0 = area.right - LEDGER_W
        gutter = x0 + 1.55
        y = stage.ledger_y - len(stage.ledger) * 0.62
        if label.width > gutter - x0 - 0.2:
            label.scale((gutter - x0 - 0.2) / label.width)
        label.move_to([gutter - 0.2 - label.width / 2, y, 0])
        val.move_to([gutter + val.width / 2, y, 0])
        row = VGroup(label, val)
        stage.ledger.add(row)
        first = [FadeIn(stage.title)] if len(stage.ledger) == 1 else []
        self.play(*first, FadeIn(label), TransformFromCopy(stage.matrix.get_cell(j, w).text, val), run_time=0.8)
        return row

    def swap_matrix(self, stage: AdamStage, step_id: str, run_time: float = 0.8) -> NumericMatrix:
        """The next matrix of the Adam stage in place of the one shown; the formula of its step."""
        old = stage.matrix
        M = self.adam_matrix(stage, step_id)
        mark = self.cell_mark(M)
        gone = [fade_out(old)] if old is not None else []
        gone += [fade_out(m) for m in stage.marks]
        self.play(*gone, fade_in(M), run_time=run_time)
        stage.formula = self.show_formula(stage.formula, self.record(step_id).formula, run_time=0.5)
        self.play(Create(mark), run_time=0.4)
        stage.marks = [mark]
        stage.matrix = M
        return M

    def adam(self, stage: AdamStage):
        th = self.theme
        with self.step("train.0.grad"):
            M = self.swap_matrix(stage, "train.0.grad")
            self.ledger_add(stage, "train.0.grad", "g", ADAM_DEC)
            extra, note = self.grad_note(stage, M)
            self.play(*(Create(b) for b in extra), *([FadeIn(note)] if note else []), run_time=0.9)
            stage.marks += extra + ([note] if note else [])
        for step_id, tex, decimals in (("train.0.W_out", r"W^{(0)}", ADAM_DEC), ("train.0.adam.m", r"m_1", ADAM_DEC),
                                       ("train.0.adam.v", r"v_1", V_DEC)):
            with self.step(step_id):
                self.swap_matrix(stage, step_id)
                self.ledger_add(stage, step_id, tex, decimals)
        with self.step("train.0.adam.update"):
            M = self.swap_matrix(stage, "train.0.adam.update")
            self.ledger_add(stage, "train.0.adam.update", r"\Delta", ADAM_DEC, th.highlight)
            self.learning_rate_note(stage, M)
            frame = SurroundingRectangle(M.get_grid(), color=th.highlight, buff=0.1)
            self.play(Create(frame), run_time=0.8)
            self.play(fade_out(frame), run_time=0.4)
        with self.step("train.0.adam.after"):
            self.swap_matrix(stage, "train.0.adam.after")
            self.ledger_add(stage, "train.0.adam.after", r"W^{(1)}", ADAM_DEC, th.weights)
            self.play(Indicate(stage.ledger[-1][1], color=th.weights), run_time=0.8)

    def grad_note(self, stage: AdamStage, M: NumericMatrix):
        """Where the gradient g of the output matrix comes from (tied to the embedding or not), under M; with
        tied weights a box on the column of the word read as input. Returns (boxes, note)."""
        th, run = self.theme, self.run
        w = self.worked[1]
        if self.cfg.tied_output:
            notes = [("Tied weights: this matrix is also the embedding.", th.text),
                     (f"'{self.vocab[0]}' is read as input, so the embedding adds its part.", th.mask)]
            if run.pairs == 1:
                notes.append((f"'{self.vocab[w]}' is never read: only the output layer's part.", th.highlight))
            else:
                notes.append((f"g is the mean over {run.pairs} training pairs.", th.dim))
            extra = [M.column_box(0, th.mask)]
        else:
            notes = [("untied: W_out is its own matrix, so g is", th.dim),
                     ("exactly the output layer's part above.", th.dim)]
            if run.pairs > 1:
                notes[-1] = (f"the output layer's part, averaged over {run.pairs} pairs.", th.dim)
            extra = []
        room = Region(stage.area.left, stage.area.right, self.stage().bottom, M.get_bottom()[1] - 0.1)
        if room.height < 0.3:     # a matrix as tall as the stage leaves no room under it
            return extra, None
        # all the lines when they can be read there, else the first ones that can; none: the narration says it
        for k in range(len(notes), 0, -1):
            note = VGroup(*(self.t(s, 22, c) for s, c in notes[:k])).arrange(DOWN, buff=0.08, aligned_edge=LEFT)
            before = note.width
            self.fit(note, width=room.width, height=max(room.height, 0.3))
            if 22 * note.width / before >= self.theme.size_readable:
                note.next_to(M, DOWN, buff=0.2).align_to(M, LEFT)
                return extra, note
        return extra, None

    def learning_rate_note(self, stage: AdamStage, M: NumericMatrix):
        """The first step's learning rate under M, when there is room for it."""
        rates = self.run.learning_rates
        if len(rates):
            lr = self.t(f"learning rate of this first step: η = {rates[0]:.4g}", 22, self.theme.dim)
            self.fit(lr, width=stage.area.width)
            lr.next_to(M, DOWN, buff=0.25).align_to(M, LEFT)
            if lr.get_bottom()[1] >= self.stage().bottom:
                self.play(FadeIn(lr), run_time=0.6)
                stage.marks.append(lr)

    # ------------------------------------------------------------ the predictions at each checkpoint
    def checkpoints(self):
        run = self.run
        cks = list(run.checkpoints)
        first = [self.vocab[i] for i in cks[0].predicted]
        last = [self.vocab[i] for i in cks[-1].predicted]
        join = ("" if self.cfg.tokenizer == "char" else " ").join   # the words as a sentence
        if len(cks) == 1:
            narration = (f"There is one checkpoint, step {cks[0].step}: the weights predict "
                         f"“{join(first)}”.")
        else:
            verdict = ("exactly the true next words." if last == self.labels else
                       "still wrong in places.")
            narration = (f"The predictions at {len(cks)} checkpoints. At step 0 the random weights predict "
                         f"“{join(first)}”; after {cks[-1].step} steps, “{join(last)}”: {verdict}")
        with self.step("ch14.checkpoints", narration=narration, heading="From random to right"):
            clear_stage(self)
            table, rows = self.checkpoint_table(cks)
            for r in rows[:-1]:
                self.play(FadeIn(r, lag_ratio=0.08), run_time=0.9)
                self.wait(0.3)
            self.play(FadeIn(rows[-1], lag_ratio=0.05), run_time=0.8)

    def checkpoint_table(self, cks):
        """Rows: each checkpoint's predicted words (green where right, red where wrong), then the true words;
        columns line up by position. The first layout (below) whose smallest text stays readable once fitted
        to the content area: one block, split into two when one line would be too small to read; then one or
        two blocks with the normal or closer rows; then the same with the longest words cut with an ellipsis
        to the width that fits (never below label_max_width, then never below half of it); else the largest of
        them."""
        area = content_region(self)
        th, fs, m = self.theme, CK_FONT, self.m
        preds = [[self.vocab[i] for i in c.predicted] for c in cks]
        col_w = [max(TokenChip(p[t], th, font_size=fs).box.width for p in preds + [self.labels]) for t in range(m)]
        head_w = max(self.t(s, fs).width for s in [f"step {cks[-1].step}", "true next"]) + 0.2
        loss_w = self.t("0.000", fs, mono=True).width + 0.4
        fixed = head_w + loss_w
        one = fixed + sum(col_w) + CK_GAP * m
        halves = [0, (m + 1) // 2, m]
        first = halves if one > area.width and fs * area.width / one < th.size_min else [0, m]
        trials = [(first, False, None)] + [(cuts, tight, None) for cuts in ([0, m], halves) for tight in (False, True)]
        wide = TokenChip("m" * 12, th, font_size=fs)
        pad = wide.box.width - wide.label.width
        # a chip whose word is a label's widest; then (long words in every column) half of that
        for floor in (pad + label_max_width(fs), pad + label_max_width(fs) / 2):
            for cuts in ([0, m], halves):
                room = min(area.width - fixed - CK_GAP * (b - a) for a, b in zip(cuts, cuts[1:]))
                cap = max(water_level([col_w[a:b] for a, b in zip(cuts, cuts[1:])], room - 0.01), floor)
                trials += [(cuts, tight, cap) for tight in (False, True) if cap < max(col_w)]
        best = None
        for cuts, tight, cap in trials:
            blocks = self.checkpoint_blocks(cks, preds, cuts, [w if cap is None else min(w, cap) for w in col_w],
                                            (head_w, loss_w), tight, cap)
            factor = min(1.0, area.width / blocks.width, (area.height - 0.3) / blocks.height)
            if best is None or factor > best[0] + 1e-9:
                best = (factor, blocks)
            if CK_SMALLEST * factor >= th.size_min - 1e-6:
                best = (factor, blocks)
                break
        blocks = best[1]
        self.fit(blocks, width=area.width, height=area.height - 0.3)
        blocks.move_to(area.center)
        chips = self.expose("checkpoint_chips", {})   # checkpoint step -> its predicted words' chips
        for blk in blocks:
            for c, row in zip(cks, blk[1:]):
                chips.setdefault(c.step, []).extend(x for x in row if isinstance(x, TokenChip))
        rows = []
        for k in range(len(cks) + 1):       # row k of every block appears together
            rows.append(VGroup(*(blk[k + 1] for blk in blocks), *([blk[0] for blk in blocks] if k == 0 else [])))
        return blocks, rows

    def checkpoint_blocks(self, cks, preds, cuts, col_w, heads, tight: bool, cap):
        """The table's blocks (one per slice of positions in cuts), unplaced: a header (step, loss, the
        positions), a row per checkpoint, then the true words under a rule. tight: closer rows and blocks;
        cap: the widest a chip may be (its word cut with an ellipsis), or None."""
        th, fs = self.theme, CK_FONT
        head_w, loss_w = heads
        row_h = TokenChip("x", th, font_size=fs).height + (0.08 if tight else 0.16)
        blocks = VGroup()
        for a, b in zip(cuts, cuts[1:]):
            block = VGroup()
            header = VGroup(self.t("step", 20, th.dim).move_to([head_w / 2, 0, 0]),
                            self.t("loss", 20, th.dim).move_to([head_w + loss_w / 2, 0, 0]))
            x = head_w + loss_w
            for t in range(a, b):
                header.add(self.t(f"{t + 1}", CK_SMALLEST, th.dim, mono=True).move_to([x + col_w[t] / 2, 0, 0]))
                x += col_w[t] + CK_GAP
            block.add(header)
            for r, (c, p) in enumerate(zip(cks + [None], preds + [self.labels])):
                y = -(r + 1) * row_h
                row = VGroup()
                if c is None:
                    row.add(self.t("true next", fs, th.dim).move_to([head_w / 2, y, 0]))
                else:
                    row.add(self.t(f"{c.step}", fs, th.text, mono=True).move_to([head_w / 2, y, 0]),
                            self.t(self.fmt(c.loss, self.gdec), fs - 2, th.dim, mono=True)
                            .move_to([head_w + loss_w / 2, y, 0]))
                x = head_w + loss_w
                for t in range(a, b):
                    color = th.dim if c is None else th.weights if p[t] == self.labels[t] else th.mask
                    chip = TokenChip(p[t], th, color=color, font_size=fs, width=col_w[t], max_width=cap)
                    row.add(chip.move_to([x + col_w[t] / 2, y, 0]))
                    x += col_w[t] + CK_GAP
                if c is None:
                    row.add(Line([0, y + row_h / 2, 0], [x, y + row_h / 2, 0], color=th.dim, stroke_width=1.5))
                block.add(row)
            blocks.add(block)
        return blocks.arrange(DOWN, buff=0.3 if tight else 0.45, aligned_edge=LEFT)

    # ------------------------------------------------------------ the link to compute (chapter 12)
    def compute(self):
        th = self.theme
        m, d, V = self.m, self.d, self.V
        spec = scale.preset_spec("toy", self.cfg, V)
        P = scale.n_params(spec)
        fwd = scale.matmul_flops(m, d, V)
        dW = scale.matmul_flops(d, m, V)
        dY = scale.matmul_flops(m, V, d)
        per = scale.training_compute(P, 1)
        narration = (f"Why training costs about three forward passes. The output layer's forward product z = Y W costs "
                     f"{scale.format_flops(fwd)}. Its backward pass needs two products of the same size: one for the "
                     "weights' gradient, one passing the gradient on to the layers below. So backward costs twice "
                     f"forward: 4 P D against 2 P D, 6 P D in all, as in chapter 12. With our {scale.format_count(P)} "
                     f"parameters: {scale.format_flops(per.total)} per token.")
        with self.step("ch14.compute", narration=narration, heading="Backward costs twice forward"):
            clear_stage(self)
            figures = self.expose("compute_figures", {"fwd": scale.format_flops(fwd), "dW": scale.format_flops(dW),
                                    "dY": scale.format_flops(dY), "P": scale.format_count(P),
                                    "2P": scale.format_flops(per.forward), "4P": scale.format_flops(per.backward),
                                    "6P": scale.format_flops(per.total)})
            rows_spec = [
                ("forward", th.ffn, r"z = Y\,W", f"({m}×{d}) · ({d}×{V})", figures["fwd"]),
                ("backward", th.value, r"\partial L/\partial W = Y^{\top}\,\partial L/\partial z",
                 f"({d}×{m}) · ({m}×{V})", figures["dW"]),
                ("backward", th.value, r"\partial L/\partial Y = \partial L/\partial z\ W^{\top}",
                 f"({m}×{V}) · ({V}×{d})", figures["dY"]),
            ]
            table = VGroup()
            for k, (kind, color, tex, shape, cost) in enumerate(rows_spec):
                y = -k * 0.8
                cells = [self.t(kind, 24, color), MathTex(tex, font_size=34, color=th.text),
                         self.t(shape, 22, th.dim, mono=False), self.t(cost, 24, color)]
                table.add(VGroup(*cells))
                for c in cells:
                    c.set_y(y)
            xs = [0.0]
            for col in range(3):
                xs.append(xs[-1] + max(r[col].width for r in table) + 0.5)
            for r in table:
                for col, c in enumerate(r):
                    c.align_to([xs[col], 0, 0], LEFT)
            rule = MathTex(r"C \approx \underbrace{2PD}_{\text{forward}} + \underbrace{4PD}_{\text{backward}}"
                           r" = 6PD", font_size=40, color=th.text)
            ours = VGroup(
                self.t(f"our toy: P = {figures['P']} parameters; per token:", 24, th.dim),
                VGroup(self.t(f"2P = {figures['2P']}", 24, th.ffn),
                       self.t(f"4P = {figures['4P']}", 24, th.value),
                       self.t(f"6P = {figures['6P']}", 26, th.highlight)).arrange(RIGHT, buff=0.6),
            ).arrange(DOWN, buff=0.2)
            rule = VGroup(rule, self.t("C: training FLOPs, P: parameters, D: training tokens (chapter 12)", 20,
                                       th.dim)).arrange(DOWN, buff=0.15)
            group = VGroup(table, rule, ours).arrange(DOWN, buff=0.6)
            self.fit(group)
            group.move_to(content_region(self).center)
            self.play(FadeIn(table[0], lag_ratio=0.1), run_time=1.0)
            self.wait(1.0)
            self.play(FadeIn(table[1], lag_ratio=0.1), run_time=1.0)
            self.play(FadeIn(table[2], lag_ratio=0.1), run_time=1.0)
            self.wait(1.0)
            self.play(FadeIn(rule), run_time=1.0)
            self.wait(1.0)
            self.play(FadeIn(ours, lag_ratio=0.2), run_time=1.2)

    # ------------------------------------------------------------ an untrained example
    def untrained(self):
        th = self.theme
        narration = ("These weights were never trained: this example was made with the untrained option, so its "
                     "weights are the random initial ones and there is no training run to show. Make a trained "
                     "example, the default, to see how the weights learn.")
        with self.step("ch14.untrained", narration=narration, heading="No training in this example"):
            lines = VGroup(self.t("These weights were never trained.", 34, th.mask),
                           self.t("The example was made with --untrained: random initial weights,", 24, th.dim),
                           self.t("no training run, no loss curve, no checkpoints.", 24, th.dim))
            lines.arrange(DOWN, buff=0.3)
            cmd = VGroup(self.t("For a trained example (training is the default):", 24, th.text),
                         self.t("python render.py example", 26, th.highlight, mono=True),
                         self.t("then render with TA_EXAMPLE=media/example.json", 22, th.dim)).arrange(DOWN, buff=0.25)
            group = VGroup(lines, cmd).arrange(DOWN, buff=0.8)
            self.fit(group)
            group.move_to(content_region(self).center)
            self.play(FadeIn(lines[0]), run_time=0.8)
            self.play(FadeIn(lines[1:], lag_ratio=0.3), run_time=1.0)
            self.wait(1.0)
            self.play(FadeIn(cmd, lag_ratio=0.3), run_time=1.2)

    def untrained_probs(self):
        th = self.theme
        narration = ("Here are the probabilities these random weights give: the boxed ones belong to the true next "
                     "words. They are small, so the loss is large. Training would push each of them up, "
                     "one small step at a time.")
        with self.step("ch14.untrained-probs", narration=narration, heading="What training would fix"):
            clear_stage(self)
            Pm, _, block = self.probs_block("output.probs", with_loss=False)
            area = self.stage()
            block.move_to(area.center)
            boxes = self.true_boxes(Pm)
            self.show_formula(None, self.record("output.probs").formula, color=th.weights)
            note = self.t("boxed: the probability of each position's true next word", 22, th.highlight)
            self.fit(note, width=area.width)
            note.next_to(Pm, DOWN, buff=0.3)
            if note.get_bottom()[1] < area.bottom:
                note.set_opacity(0)
            self.play(fade_in(Pm), run_time=0.8)
            self.play(LaggedStart(*(Create(b) for b in boxes), lag_ratio=0.15), FadeIn(note), run_time=1.2)
            self.expose("output.probs", Pm)

    def recipe(self):
        th = self.theme
        narration = ("The recipe, as it would run. The loss is the mean of minus the log of each true word's "
                     "probability. The chain rule gives each logit's gradient, the probability minus one for the "
                     "true word, and from it the gradient of every weight. Adam then moves every weight a small "
                     "step against its gradient, and the loop repeats until the target comes out.")
        with self.step("ch14.recipe", narration=narration, heading="The training recipe"):
            clear_stage(self)
            rows = [("loss", r"L = -\frac{1}{m}\sum_t \log P_{t,\,y_t}"),
                    ("logits", r"\frac{\partial L}{\partial z_{t,w}} = \frac{P_{t,w} - [w = y_t]}{m}"),
                    ("weights", r"\frac{\partial L}{\partial W} = Y^{\top}\,\frac{\partial L}{\partial z}"),
                    ("Adam", r"W \leftarrow W - \eta\,\frac{\hat m}{\sqrt{\hat v} + \epsilon}")]
            table = VGroup()
            for k, (name, tex) in enumerate(rows):
                lab = self.t(name, 26, th.dim)
                f = MathTex(tex, font_size=38, color=th.text)
                table.add(VGroup(lab, f))
            lw = max(r[0].width for r in table)
            for k, r in enumerate(table):
                y = -k * 1.3
                r[0].move_to([lw - r[0].width / 2, y, 0])
                r[1].move_to([lw + 0.6 + r[1].width / 2, y, 0])
            self.fit(table)
            table.move_to(content_region(self).center)
            for r in table:
                self.play(FadeIn(r, shift=0.1 * UP), run_time=0.8)
                self.wait(1.5)
