"""Golden values: the default example must match what PyTorch computed for it (no torch needed here).

tests/golden/default_torch.json is written by scripts/make_golden.py from the torch reference
(tests/torch_reference.py). If the default example changes on purpose (a new, renamed or removed step, other
defaults, other weights), regenerate it with `.venv/bin/python scripts/make_golden.py` and review the diff.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from mathcore import Config, build_example

GOLDEN = Path(__file__).resolve().parent / "golden" / "default_torch.json"
ATOL = 1e-6
REGENERATE = ("If the change is intended, regenerate the golden file with "
              "`.venv/bin/python scripts/make_golden.py` (needs torch) and review its diff.")


def _leaves(v):
    if isinstance(v, list):
        for x in v:
            yield from _leaves(x)
    else:
        yield v


def to_array(value) -> np.ndarray:
    """Nested lists from the golden file -> int64 when every entry is an integer, else float64 (null = -inf)."""
    leaves = list(_leaves(value))
    if leaves and all(isinstance(x, int) and not isinstance(x, bool) for x in leaves):
        return np.array(value, dtype=np.int64)

    def fix(v):
        return [fix(x) for x in v] if isinstance(v, list) else (-math.inf if v is None else float(v))

    return np.array(fix(value), dtype=np.float64)


@pytest.fixture(scope="module")
def golden() -> dict:
    return json.loads(GOLDEN.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def example():
    return build_example(Config())


def test_golden_is_for_the_default_config(golden):
    assert golden["config"] == Config().to_dict(), (
        f"The default Config changed since {GOLDEN.name} was generated. " + REGENERATE)


def test_same_step_ids(golden, example):
    ours = [s.id for s in example.steps]
    theirs = list(golden["steps"])
    new = [i for i in ours if i not in golden["steps"]]
    gone = [i for i in theirs if i not in set(ours)]
    assert not new and not gone, (
        f"The example's step ids differ from {GOLDEN.name}: new {new}, gone {gone}. " + REGENERATE)
    assert len(set(ours)) == len(ours), "duplicate step ids in the example"


def test_same_vocab_tokens_and_weights(golden, example):
    assert list(example.vocab) == golden["vocab"], "vocabulary differs from the golden file. " + REGENERATE
    assert {k: list(v) for k, v in example.tokens.items()} == golden["tokens"], (
        "tokens differ from the golden file. " + REGENERATE)
    assert sorted(example.weights) == sorted(golden["weights"]), "weight names differ. " + REGENERATE
    for name, w in example.weights.items():
        np.testing.assert_allclose(w, to_array(golden["weights"][name]), rtol=0, atol=1e-12,
                                   err_msg=f"weight {name} differs from the golden file. " + REGENERATE)


def test_every_step_matches_torch_golden(golden, example):
    problems = []
    for step in example.steps:
        if step.id not in golden["steps"]:
            continue  # reported by test_same_step_ids
        ours, ref = np.asarray(step.value), to_array(golden["steps"][step.id])
        if ours.shape != ref.shape:
            problems.append(f"{step.id}: shape {ours.shape} != golden {ref.shape}")
        elif ref.dtype.kind == "i" or ours.dtype.kind == "i":
            if ours.dtype.kind != ref.dtype.kind or not np.array_equal(ours, ref):
                problems.append(f"{step.id}: {ours.tolist()} != golden {ref.tolist()}")
        elif not np.array_equal(np.isneginf(ours), np.isneginf(ref)):
            problems.append(f"{step.id}: masked (-inf) cells differ")
        elif not np.isfinite(ours[~np.isneginf(ours)]).all():
            problems.append(f"{step.id}: NaN or +inf")
        else:
            fin = ~np.isneginf(ref)
            worst = float(np.max(np.abs(ours[fin] - ref[fin]), initial=0.0))
            if not worst <= ATOL:
                problems.append(f"{step.id}: max |diff| {worst:.3g} from the torch golden value")
    assert not problems, "mathcore differs from the torch golden file:\n  " + "\n  ".join(problems[:20])


@pytest.mark.torch
def test_make_golden_check_ignores_last_bit_noise_but_not_a_change():
    """`make_golden.py --check` said "out of date" on a machine whose torch build differed from the writer's
    by 1e-14 in a product; a real change (a value, a step id) must still count."""
    import sys
    sys.path.insert(0, str(GOLDEN.parent.parent.parent / "scripts"))
    pytest.importorskip("torch")
    from make_golden import same_golden
    golden = json.loads(GOLDEN.read_text())
    step = "encoder.0.self_attn.head1.scores"

    def changed(delta=0.0, rename=False):
        g = json.loads(GOLDEN.read_text())
        g["steps"][step][0][0] += delta
        if rename:
            g["steps"] = {(k + "x" if k == step else k): v for k, v in g["steps"].items()}
        return g

    assert same_golden(golden, changed(1e-14))
    assert not same_golden(golden, changed(1e-9))
    assert not same_golden(golden, changed(rename=True))
