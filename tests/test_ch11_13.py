"""Chapters 11-13 (scale, compute, particles) in Manim's dry-run mode: the chapter contract, every model
preset for chapter 12, and the numbers on screen checked against mathcore (never against the scene)."""
import math
import os
from pathlib import Path

import numpy as np
import pytest

from mathcore import Config, build_example
from mathcore import dynamics as dyn
from mathcore import scale
from scene_utils import construct_chapter, mobjects_outside_frame


@pytest.fixture(scope="module")
def example():
    return build_example(Config())


_SCENES: dict = {}
# One media folder per xdist worker (kept between runs, so Manim's text and LaTeX caches stay warm): Manim
# parses each text's SVG through a temporary file beside the cached one, which two processes sharing a
# folder can delete under each other.
MEDIA = Path(__file__).resolve().parents[1] / "media" / "test-cache" / os.environ.get("PYTEST_XDIST_WORKER", "main")


def scene_for(chapter: int, example, model: str | None = None):
    """Construct each (chapter, preset) once per test process: a dry run takes seconds."""
    key = (chapter, model)
    if key not in _SCENES:
        MEDIA.mkdir(parents=True, exist_ok=True)
        _SCENES[key] = construct_chapter(chapter, example, model=model, tmp_path=MEDIA)
    return _SCENES[key]


def check_contract(scene):
    duration = scene.renderer.time
    assert 40 <= duration <= 180, f"lasts {duration:.1f} s; chapters last 40 s to 3 min"
    ids = [e["id"] for e in scene.timeline]
    assert ids and len(ids) == len(set(ids))
    chapter_prefix = f"ch{scene.number:02d}."
    assert all(i.startswith(chapter_prefix) for i in ids), "chapter-local step ids"
    for e in scene.timeline:
        assert e["narration"].strip() and e["end"] > e["start"]
    for a, b in zip(scene.timeline, scene.timeline[1:]):
        assert b["start"] >= a["end"] - 1e-9
    assert not [k for k, n in scene.key_moment_content.items() if n == 0], "an empty key moment"
    assert not mobjects_outside_frame(scene), "something is drawn off-frame at the end"


# ---------------------------------------------------------------------------------------------- chapter 11


def test_ch11_contract_and_numbers(example):
    scene = scene_for(11, example)
    check_contract(scene)
    spec = scale.PRESETS[scene.model_preset]
    counts = scale.param_counts(spec)
    shown = scene.exposed
    assert shown["param_total"] == scale.format_count(scale.n_params(spec)) == "175 B"
    assert shown["param_attention"] == scale.format_count(counts.attention)
    assert shown["param_ffn"] == scale.format_count(counts.ffn)
    assert shown["param_embeddings"] == scale.format_count(counts.embeddings)
    assert shown["param_layer"] == scale.format_count(scale.decoder_layer_params(spec))
    assert shown["vocab"] == scale.format_int(spec.vocab_size) == "50,257"
    assert shown["layers_layers"] == f"{spec.n_layers} layers"
    logits = dict(scale.stage_shapes(spec))["logits"]
    assert shown["logits"] == f"{scale.format_int(logits[0])} × {scale.format_int(logits[1])}" == "2,048 × 50,257"
    # the architecture table: a header and one row per aspect mathcore compares
    assert len(scene.exposed["changes_table"]) == 1 + len(scale.compare_architectures(spec))
    # parameter bar: each segment's share of the bar is its share of the total
    total_w = sum(w for _, w in scene.exposed["param_segments"].values())
    for key, (_, w) in scene.exposed["param_segments"].items():
        assert w / total_w == pytest.approx(getattr(counts, key) / counts.total, abs=1e-9)


@pytest.mark.parametrize("model", ["toy", "llama3-8b"])
def test_ch11_lays_out_for_other_presets(example, model):
    scene = scene_for(11, example, model)
    check_contract(scene)
    spec = scale.preset_spec(model, example.config, len(example.vocab))
    assert scene.exposed["param_total"] == scale.format_count(scale.n_params(spec))


# ---------------------------------------------------------------------------------------------- chapter 12


@pytest.mark.parametrize("model", list(scale.PRESETS))
def test_ch12_every_preset(example, model):
    scene = scene_for(12, example, model)
    check_contract(scene)
    spec = scale.preset_spec(model, example.config, len(example.vocab))
    p = scale.n_params(spec)
    if model == "toy":
        # the toy spec is the worked example itself: same parameter count as its weights
        assert p == sum(np.asarray(w).size for w in example.weights.values())
    shown = scene.exposed
    data = scale.training_tokens(spec)
    C = scale.training_compute(p, data.tokens)
    assert shown["P"] == f"= {scale.format_count(p)} parameters"
    assert shown["C"] == scale.format_flops(C.total)
    assert shown["adam_total"] == scale.format_bytes(scale.training_memory(spec).model_states)
    mems = scale.inference_memory_by_precision(p)
    for prec, m in mems.items():
        assert shown[f"mem_{prec}"] == scale.format_bytes(m.weights)
    assert shown["kv_token"] == scale.format_bytes(scale.kv_cache(spec, 1).per_token, binary=True)
    # the toy product uses the example's real shapes
    X = example.value("source.input")
    n, d = X.shape
    assert shown["toy_matmul"].endswith(scale.format_flops(scale.matmul_flops(n, d, d)))

    def assert_proportional(chart, values):
        base = max(values, key=values.get)
        for k, v in values.items():
            w = chart.bars[k][0].width
            if chart.lengths[k][0] < 0.05:   # drawn at the minimum visible length
                continue
            assert w / chart.bars[base][0].width == pytest.approx(v / values[base], rel=1e-6)

    assert_proportional(scene.exposed["weight_chart"], {k: m.weights for k, m in mems.items()})
    assert_proportional(scene.exposed["kv_chart"], {str(c): scale.kv_cache(spec, c).total
                                         for c in scale.context_doublings(spec.n_ctx, 4)})
    assert_proportional(scene.exposed["activation_chart"], {k: scale.training_memory(spec, recompute=k).activations
                                                 for k in ("none", "selective", "full")})
    # squares of the attention step: area grows as n²
    ctxs = scale.context_doublings(spec.n_ctx, 3)
    sides = [g[1].width for g in scene.exposed["n2_squares"]]
    for (a, b), (sa, sb) in zip(zip(ctxs, ctxs[1:]), zip(sides, sides[1:])):
        assert (sb / sa) ** 2 == pytest.approx((b / a) ** 2, rel=1e-6)


def test_ch12_gpt3_figures(example):
    shown = scene_for(12, example, "gpt3-175b").exposed
    assert shown["mem_fp16"] == "349 GB"
    assert shown["kv_token"] == "4.5 MiB"
    assert shown["many_time"] == scale.format_duration(
        scale.training_days(scale.training_compute(scale.n_params(scale.PRESETS["gpt3-175b"]), 300e9).total,
                            1024, 150e12) * scale.SECONDS_PER_DAY)


# ---------------------------------------------------------------------------------------------- chapter 13


def test_ch13_contract_and_numbers(example):
    scene = scene_for(13, example)
    check_contract(scene)
    traj = dyn.PAPER_FLOW.run()
    assert scene.exposed["sphere_clusters"] == str(dyn.count_clusters(traj.final))
    z = example.value(f"encoder.{example.config.n_encoder_layers - 1}.norm2.normalized")
    assert float(scene.exposed["norm"]) == pytest.approx(math.sqrt(z.shape[1]), abs=0.01)
    # the trajectory drawn is the seeded one: the same positions every run
    np.testing.assert_array_equal(scene.exposed["runs"]["paper"].positions, traj.positions)
