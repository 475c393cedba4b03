"""Chapter 14 (learning) in Manim's dry-run mode.

Five dry runs, each shared by several tests: an untrained example, a vocabulary of 60+ words, d_model 8
with 4 heads and an untied output matrix, a Chinese character-level example, and a long training run that
hits the step limit (d_model 2: 600 steps, the target not reproduced). The default example is covered by
test_chapters.py. Plus a partial run (the loss curve and the checkpoints only) of a training that needed
no update at all.

Checked against the record (never against the scene's own numbers): every matrix cell shows its recorded
value rounded, the worked gradient entry's terms are product_terms of the record and its total is the
recorded entry, the one-weight ledger follows the record, the loss curve is drawn to the recorded losses,
the checkpoint chips are the recorded predictions, the compute figures are mathcore.scale's.
"""
import dataclasses
import os

import numpy as np
import pytest
from manim import tempconfig

from conftest import BIG_CORPUS, LAYOUT_CONFIGS
from mathcore import Config, build_example, scale
from mathcore.display import product_terms
from scene_utils import CACHE, construct_chapter, mobjects_outside_frame
from scenes.ch14_learning import ADAM_DEC, V_DEC, LearningScene
from scenes.components.matrix import NumericMatrix, format_number
from scenes.components.text import flat_text
from scenes.theme import DARK

CONFIGS = {
    "untrained": Config(trained=False),
    "big-vocab": Config(corpus=BIG_CORPUS, source="a mind needs books as a sword needs a whetstone",
                        target="winter is coming and the night is dark"),
    "d8-h4-untied": Config(d_model=8, n_heads=4, d_ff=16, tied_output=False),
    "chinese-char": LAYOUT_CONFIGS["chinese-char"],
    "long-unfinished": Config(d_model=2, n_heads=1, d_ff=4),
}
TRAINED = [k for k in CONFIGS if CONFIGS[k].trained]
TRAINED_STEPS = ["train.0.probs", "train.0.token_loss", "train.0.loss", "ch14.loss-curve", "train.0.decoder.output",
                 "train.0.dlogits", "train.0.dW_out", "train.0.grad", "train.0.W_out", "train.0.adam.m",
                 "train.0.adam.v", "train.0.adam.update", "train.0.adam.after", "ch14.checkpoints", "ch14.compute"]
UNTRAINED_STEPS = ["ch14.untrained", "ch14.untrained-probs", "ch14.recipe", "ch14.compute"]
DECIMALS = {"train.0.probs": 3, "train.0.token_loss": 3, "train.0.decoder.output": 3, "output.probs": 3,
            "train.0.adam.v": V_DEC}      # every other matrix: ADAM_DEC

MIN_FONT = DARK.size_min

_examples: dict = {}
_scenes: dict = {}


@pytest.fixture(scope="module", autouse=True)
def no_pixels():
    """Dry runs need no pixels, but Manim still draws a frame at every play: skip the drawing (the layout,
    the timeline and every mobject are unchanged)."""
    from manim.renderer.cairo_renderer import CairoRenderer
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(CairoRenderer, "update_frame", lambda self, *args, **kwargs: None)
        yield


def example(name):
    if name not in _examples:
        _examples[name] = build_example(CONFIGS[name])
    return _examples[name]


def scene(name):
    """One dry run per configuration, shared by the tests."""
    if name not in _scenes:
        _scenes[name] = construct_chapter(14, example(name))
    return _scenes[name]


def same_glyphs(mob, s: str, font: str) -> bool:
    """mob draws exactly the string s (its outline equals flat_text(s) up to position and size)."""
    ref = flat_text(s, font, 20, "#ffffff").points
    pts = mob.points
    if pts.shape != ref.shape or not len(pts):
        return False

    def norm(p):
        lo, hi = p.min(axis=0), p.max(axis=0)
        return (p - lo) / max(float(np.max(hi - lo)), 1e-9)
    return np.allclose(norm(pts), norm(ref), atol=1e-4)


def shown(sc) -> dict:
    """The matrices a dry run exposed, by step id (and "ch14.terms")."""
    return {k: v for k, v in sc.exposed.items() if isinstance(v, NumericMatrix)}


def font_size_of(mob, s: str, font: str) -> float:
    return 20 * mob.height / flat_text(s, font, 20, "#ffffff").height


# ---------------------------------------------------------------------------------------------- the contract

@pytest.mark.parametrize("name", list(CONFIGS))
def test_contract(name):
    ex = example(name)
    sc = scene(name)
    duration = sc.renderer.time
    assert 40 <= duration <= 180, f"lasts {duration:.1f} s; chapters last 40 s to 3 min"
    ids = [e["id"] for e in sc.timeline]
    assert ids == (TRAINED_STEPS if ex.training is not None else UNTRAINED_STEPS)
    for e in sc.timeline:
        assert e["narration"].strip() and e["end"] > e["start"]
        if ex.has(e["id"]):
            assert e["narration"] == ex.step(e["id"]).narration, "a record step's caption is its narration"
    for a, b in zip(sc.timeline, sc.timeline[1:]):
        assert b["start"] >= a["end"] - 1e-9
    assert set(ids) <= set(sc.key_moments)
    assert not [k for k, n in sc.key_moment_content.items() if n == 0], "an empty key moment"
    assert not mobjects_outside_frame(sc), "something is drawn off-frame at the end"


def test_untrained_is_honest():
    sc = scene("untrained")
    words = " ".join(e["narration"] for e in sc.timeline)
    assert "never trained" in words and "untrained" in words
    assert not any(k.startswith("train.") for k in shown(sc)), "no training numbers without a training run"


# ---------------------------------------------------------------------------------------------- the numbers

@pytest.mark.parametrize("name", list(CONFIGS))
def test_matrices_show_the_record_rounded(name):
    ex = example(name)
    sc = scene(name)
    assert shown(sc)
    for step_id, M in shown(sc).items():
        if step_id == "ch14.terms":
            continue
        rec = np.asarray(ex.value(step_id), dtype=float)
        rec = rec[:, None] if rec.ndim == 1 else rec
        assert M.decimals == DECIMALS.get(step_id, ADAM_DEC), step_id
        assert M.cells, step_id
        for (i, j), cell in M.cells.items():
            assert cell.value == rec[i, j], (step_id, i, j)
            assert same_glyphs(cell.text, format_number(rec[i, j], M.decimals), DARK.mono), (step_id, i, j)
        some = next(iter(M.cells.values()))
        size = font_size_of(some.text, format_number(some.value, M.decimals), DARK.mono)
        assert size >= MIN_FONT - 0.05, f"{step_id}: numbers at {size:.1f} pt"
    if ex.training is not None:
        j, w = sc.worked
        # the worked column is visible in every d × V matrix; the ledger follows the record
        for step_id in ("train.0.dW_out", "train.0.grad", "train.0.W_out", "train.0.adam.m", "train.0.adam.v",
                        "train.0.adam.update", "train.0.adam.after"):
            assert sc.exposed[step_id].has_cell(j, w), step_id
        assert [s for s, *_ in sc.exposed["ledger_values"]] == ["train.0.dW_out", "train.0.grad", "train.0.W_out",
                                                      "train.0.adam.m", "train.0.adam.v", "train.0.adam.update",
                                                      "train.0.adam.after"]
        for step_id, cell, dec, text in sc.exposed["ledger_values"]:
            assert cell == (j, w) and text == format_number(ex.value(step_id)[j, w], dec)
        # Adam's first update is visible: 4 decimals at least
        assert sc.exposed["train.0.adam.update"].decimals >= 4


@pytest.mark.parametrize("name", TRAINED)
def test_worked_gradient_entry(name):
    ex = example(name)
    sc = scene(name)
    j, w = sc.worked
    assert w == ex.vocab.index(ex.tokens["target_labels"][-1])
    Y, G = ex.value("train.0.decoder.output"), ex.value("train.0.dlogits")
    terms, _ = product_terms(Y[:, j], G[:, w])
    T = sc.exposed["ch14.terms"]
    for (i, _), cell in T.cells.items():
        assert cell.value == terms[i]
        assert same_glyphs(cell.text, format_number(terms[i], T.decimals), DARK.mono)
    assert T.shown_row_indices()[-1] == len(terms) - 1, "the last position (its true word's −1) is shown"
    assert same_glyphs(sc.exposed["sigma_mob"], format_number(ex.value("train.0.dW_out")[j, w], ADAM_DEC), DARK.mono)


@pytest.mark.parametrize("name", TRAINED)
def test_loss_curve_and_checkpoints(name):
    ex = example(name)
    sc = scene(name)
    run = ex.training
    # the curve is the recorded losses, drawn to one linear scale
    pts = np.asarray(sc.exposed["curve"].get_anchors())
    xs, ys = np.unique(pts[:, 0].round(9)), []
    for x in xs:
        ys.append(pts[np.isclose(pts[:, 0], x, atol=1e-9), 1][0])
    assert len(xs) == len(run.losses)
    ys = np.array(ys)
    slope = (ys[-1] - ys[0]) / (run.losses[-1] - run.losses[0])
    assert np.allclose(ys - ys[0], slope * (np.asarray(run.losses) - run.losses[0]), atol=1e-6)
    assert sc.exposed["curve_labels"] == (format_number(run.losses[0], 3), format_number(run.losses[-1], 3))
    words = " ".join(e["narration"] for e in sc.timeline if e["id"] == "ch14.loss-curve")
    assert ("step limit" in words) == (not run.reproduced)
    # the chips of each checkpoint are its recorded predictions, green where right and red where wrong
    assert sorted(sc.exposed["checkpoint_chips"]) == [c.step for c in run.checkpoints]
    labels = list(ex.tokens["target_labels"])
    for c in run.checkpoints:
        chips = sc.exposed["checkpoint_chips"][c.step]
        assert [ch.token for ch in chips] == [ex.vocab[i] for i in c.predicted]
        for ch, label in zip(chips, labels):
            assert ch.accent == (DARK.weights if ch.token == label else DARK.mask)
        assert font_size_of(chips[0].label, chips[0].token, DARK.font) >= MIN_FONT - 0.05, "chips too small"


def test_compute_figures_come_from_scale():
    ex = example("d8-h4-untied")
    sc = scene("d8-h4-untied")
    m, d, V = len(ex.tokens["target_input"]), ex.config.d_model, len(ex.vocab)
    P = scale.n_params(scale.preset_spec("toy", ex.config, V))
    per = scale.training_compute(P, 1)
    assert sc.exposed["compute_figures"] == {
        "fwd": scale.format_flops(scale.matmul_flops(m, d, V)), "dW": scale.format_flops(scale.matmul_flops(d, m, V)),
        "dY": scale.format_flops(scale.matmul_flops(m, V, d)), "P": scale.format_count(P),
        "2P": scale.format_flops(per.forward), "4P": scale.format_flops(per.backward),
        "6P": scale.format_flops(per.total)}


# ---------------------------------------------------------------------------------------------- no update needed

class CurveAndCheckpoints(LearningScene):
    """The two parts that depend on the length of the run, alone (a cheap partial dry run)."""

    def construct(self):
        self.loss_curve()
        self.checkpoints()


def test_training_without_updates_lays_out(tmp_path):
    ex = example("chinese-char")
    run = ex.training
    first = run.checkpoints[0]
    still = dataclasses.replace(run, losses=run.losses[:1], learning_rates=run.learning_rates[:0],
                                checkpoints=(first,), steps=0, reproduced=True)
    ex0 = dataclasses.replace(ex, training=still)
    opts = {"dry_run": True, "pixel_width": 854, "pixel_height": 480, "frame_rate": 15, "disable_caching": True,
            "verbosity": "ERROR", "progress_bar": "none",
            "media_dir": str(CACHE / os.environ.get("PYTEST_XDIST_WORKER", "main"))}
    with tempconfig(opts):
        sc = CurveAndCheckpoints(example=ex0, theme=DARK)
        sc.render()
        assert not mobjects_outside_frame(sc)
    assert [e["id"] for e in sc.timeline] == ["ch14.loss-curve", "ch14.checkpoints"]
    assert "no update was needed" in sc.timeline[0]["narration"]
    assert list(sc.exposed["checkpoint_chips"]) == [0]
    assert len(sc.exposed["curve"].get_anchors()) >= 1
