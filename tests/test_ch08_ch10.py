"""Chapters 8 (masked self-attention), 9 (cross-attention) and 10 (output and prediction) in dry runs.

Every layout configuration (plus, for chapter 10, a vocabulary of 60+ words and untrained weights): the
chapter lasts 40 s to 3 min, its steps are the promised ones, nothing is off-frame at the end, and numbers
stay readable. Structural checks against the record: the masked cells show −∞ and their weights are exact
zeros; the attention grid of chapter 9 has target rows and source columns, Q from the decoder and K, V from
the encoder output; the probability bars are as long as the recorded probabilities; the predicted and the
generated tokens on screen are the recorded ones."""
import dataclasses
import math

import numpy as np
import pytest

from conftest import BIG_CORPUS, LAYOUT_CONFIGS
from mathcore import Config, build_example
from scene_utils import construct_chapter, mobjects_outside_frame
from scenes.components.matrix import format_number
from scenes.components.text import flat_text
from scenes.theme import DARK

CONFIGS = dict(LAYOUT_CONFIGS)
CONFIGS["big-vocab"] = Config(corpus=BIG_CORPUS, source="a mind needs books as a sword needs a whetstone",
                              target="winter is coming and the night is dark")
CONFIGS["untrained"] = dataclasses.replace(LAYOUT_CONFIGS["one-token"], trained=False)
CH10_ONLY = ("big-vocab", "untrained")      # the vocabulary and the honesty matter in chapter 10
MIN_FONT = DARK.size_min

SA = "decoder.0.self_attn.head1"
CA = "decoder.0.cross_attn.head1"

_examples: dict = {}


@pytest.fixture(autouse=True)
def no_pixels(monkeypatch):
    """Dry runs need no pixels, but Manim still draws a frame at every play: skip the drawing (the layout,
    the timeline and every mobject are unchanged)."""
    from manim.renderer.cairo_renderer import CairoRenderer
    monkeypatch.setattr(CairoRenderer, "update_frame", lambda self, *args, **kwargs: None)


def example(name):
    if name not in _examples:
        _examples[name] = build_example(CONFIGS[name])
    return _examples[name]


def glyphs_equal(mob, s: str, font: str) -> bool:
    """mob shows exactly the string s (its outline equals flat_text(s) up to position and size)."""
    pts = mob.points

    def norm(p):
        lo, hi = p.min(axis=0), p.max(axis=0)
        return (p - lo) / max(float(np.max(hi - lo)), 1e-9)
    for size in (20, 18, 24, 22, 26, 19, 21):       # shaped at this size, then maybe scaled
        ref = flat_text(s, font, size, "#ffffff").points
        if pts.shape != ref.shape or not len(pts):
            continue
        turned = ref[:, [1, 0, 2]] * np.array([-1, 1, 1])     # labels too wide for their column are turned 90°
        if any(np.allclose(norm(pts), norm(r), atol=1e-4) for r in (ref, turned)):
            return True
    return False


def common_checks(scene, ex, required):
    duration = scene.renderer.time
    assert 40 <= duration <= 180, f"lasts {duration:.1f} s"
    ids = [e["id"] for e in scene.timeline]
    missing = [s for s in required if s not in ids]
    assert not missing, f"steps missing: {missing}"
    assert len(ids) == len(set(ids))
    for e in scene.timeline:
        if ex.has(e["id"]):
            assert e["narration"] == ex.step(e["id"]).narration
    assert not mobjects_outside_frame(scene), "something is drawn off-frame at the end"
    assert not [k for k, n in scene.key_moment_content.items() if n == 0], "a key moment shows nothing"
    # every matrix a step is shown with holds the record's numbers, readable
    for step_id, M in scene.exposed["shown"].items():      # step id -> the matrix that shows it
        rec = ex.value(step_id)
        rec = rec.reshape(1, -1) if rec.ndim == 1 else rec
        for (i, j), cell in M.cells.items():
            assert cell.value == rec[i, j] or (math.isinf(rec[i, j]) and cell.value == rec[i, j]), (step_id, i, j)
        (i, j), cell = next((k, c) for k, c in M.cells.items() if not math.isinf(c.value))
        at_min = flat_text(format_number(cell.value, M.decimals), DARK.mono, MIN_FONT, "#fff").height
        assert cell.text.height >= 0.98 * at_min, f"{step_id}: numbers under {MIN_FONT} pt"


def params(chapter):
    return [n for n in CONFIGS if chapter == 10 or n not in CH10_ONLY]


# ---------------------------------------------------------------- chapter 8
@pytest.mark.parametrize("name", params(8))
def test_ch08_masked_attention(name):
    ex = example(name)
    scene = construct_chapter(8, ex)
    common_checks(scene, ex, ["ch08.shift"] + [f"{SA}.{s}" for s in
                                               ("q", "k", "v", "scores", "scaled", "masked", "weights", "out")]
                  + ["ch08.causality", "ch08.sees"])
    # Q, K and V come from the decoder's input rows
    shown = scene.exposed["shown"]
    assert np.array_equal(shown["target.input"].values, ex.value("target.input"))
    # the mask: exactly the cells above the diagonal are −∞, drawn as −∞ (not as a big number)
    M = shown[f"{SA}.masked"]
    m = ex.value(f"{SA}.masked").shape[0]
    assert any(j > i for (i, j) in M.cells) or m == 1
    for (i, j), cell in M.cells.items():
        assert math.isinf(cell.value) == (j > i), (i, j)
        if j > i:
            assert cell.value < 0 and glyphs_equal(cell.text, "\u2212∞", DARK.mono), (i, j)
        else:
            assert glyphs_equal(cell.text, format_number(cell.value, ex.config.decimals), DARK.mono)
    # ... and their weights are exact zeros, drawn as zeros
    A = shown[f"{SA}.weights"]
    W = ex.value(f"{SA}.weights")
    for (i, j), cell in A.cells.items():
        if j > i:
            assert cell.value == 0.0 and W[i, j] == 0.0
            assert glyphs_equal(cell.text, format_number(0.0, ex.config.decimals), DARK.mono)
    # the arrow view: arrows only from the positions the focus row may see
    keys, query, nums, arrows, curtain = scene.exposed["sees"]
    r = scene.exposed["focus_row"]
    assert len(arrows) == r + 1
    assert query.get_chip(0).token == ex.tokens["target_input"][r]


# ---------------------------------------------------------------- chapter 9
@pytest.mark.parametrize("name", params(9))
def test_ch09_cross_attention(name):
    ex = example(name)
    scene = construct_chapter(9, ex)
    common_checks(scene, ex, ["encoder.output", "ch09.sources"] + [f"{CA}.{s}" for s in
                                                                  ("q", "k", "v", "scores", "scaled", "weights",
                                                                   "out")] + ["ch09.grid", "ch09.mix"])
    # Q from the decoder, K and V from the encoder output (never Q from the encoder)
    assert np.array_equal(scene.exposed["q_input"].values, ex.value("decoder.0.norm1.out"))
    assert np.array_equal(scene.exposed["k_input"].values, ex.value("encoder.output"))
    # the grid: one row per target position, one column per source word, labelled with those tokens
    S = scene.exposed["grid"].mats[0]
    A = scene.exposed["shown"][f"{CA}.weights"]
    m, n = len(ex.tokens["target_input"]), len(ex.tokens["source"])
    assert A.values.shape == (m, n)
    for i, lab in S.row_labels.items():
        assert glyphs_equal(lab, ex.tokens["target_input"][i], DARK.font)
    for j, lab in S.col_labels.items():
        assert glyphs_equal(lab, ex.tokens["source"][j], DARK.font)


# ---------------------------------------------------------------- chapter 10
@pytest.mark.parametrize("name", params(10))
def test_ch10_output(name):
    ex = example(name)
    scene = construct_chapter(10, ex)
    gen = list(ex.tokens["generated"])
    common_checks(scene, ex, ["ch10.add-norm", "ch10.ffn", "ch10.add-norm-3", "decoder.output", "output.logits",
                              "output.probs", "output.predicted", "generate.0.input", "generate.0.logits",
                              "generate.0.probs"] + [f"generate.{t}.token" for t in range(len(gen))])
    # the bars: as long as the recorded probabilities (all bars of one chart on one scale)
    assert scene.exposed["prob_bars"]
    for bars, step_id, row in scene.exposed["prob_bars"]:
        probs = ex.value(step_id)
        probs = probs[row] if row is not None else probs
        assert np.array_equal(bars.values, probs)
        axis = 1 if bars.direction == "up" else 0
        lengths = {k: (b.height if axis else b.width) for k, b in bars.bars.items()}
        top = max(bars.bars, key=lambda k: probs[k])
        for k, length in lengths.items():
            if probs[k] / probs[top] > 0.02:
                assert math.isclose(length / lengths[top], probs[k] / probs[top], rel_tol=1e-6), (step_id, k)
        shown = bars.shown_indices()
        if len(shown) < len(probs):     # a large vocabulary: the top words, the rest elided ("+k more")
            order = list(np.argsort(-probs, kind="stable"))
            assert shown == order[:len(shown)]
            assert bars.hidden_count == len(probs) - len(shown)
    if len(ex.vocab) > 60:
        assert any(b.hidden_count for b, _, _ in scene.exposed["prob_bars"]), "a 60+ word vocabulary elides its tail"
    # the predicted and the generated tokens on screen are the recorded ones
    assert [c.token for c in scene.exposed["pred_chips"]] == list(ex.tokens["predicted"])
    assert [c.token for c in scene.exposed["true_chips"]] == list(ex.tokens["target_labels"])
    assert [c.token for c in scene.exposed["generated_chips"]] == gen
    assert [int(ex.value(f"generate.{t}.token")) for t in range(len(gen))] == [ex.vocab.index(t) for t in gen]
    # the first generation step's logits keep the chosen word's column (and the largest logits) in view
    vec = scene.exposed["shown"]["generate.0.logits"]
    chosen = int(ex.value("generate.0.token"))
    assert chosen in vec.shown_col_indices()
    top = int(np.argmax(ex.value("generate.0.logits")))
    assert top in vec.shown_col_indices()
    # honest about the weights
    if ex.training is None:
        assert "arbitrary" in scene.exposed["verdict_text"] and "arbitrary" in scene.exposed["honesty_text"]
    else:
        assert f"{ex.training.steps}" in scene.exposed["verdict_text"]
