"""Parity with PyTorch: every step mathcore records equals what torch's own modules compute.

The reference (tests/torch_reference.py) reads only the Example's config, vocabulary, tokens and weights and
recomputes the forward pass with torch.nn.Embedding, torch.nn.MultiheadAttention, torch.nn.LayerNorm,
torch.nn.Linear, ReLU and softmax in float64, then greedy decoding. Each test walks over ALL of ex.steps:
a step that the reference does not compute (or one it computes that mathcore lacks) is a failure, so a new
step cannot slip in unchecked.
"""
from __future__ import annotations

import math
import re
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hypothesis import given, settings, strategies as st  # noqa: E402

from mathcore import DEFAULT_CORPUS, Config, build_example  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))  # torch_reference lives beside this file
import torch_reference as tr  # noqa: E402

pytestmark = pytest.mark.torch

# The matrices are tiny: torch's worker threads only add overhead, and they spin badly on a busy machine
# (a 5-10x slowdown when other processes compete for the cores).
torch.set_num_threads(1)

ATOL = 1e-6
INT_STEPS = re.compile(r"^(source\.ids|target\.ids|output\.predicted|generate\.\d+\.(input|token))$")


# ---------------------------------------------------------------- comparison

def mismatch(step_id: str, ours: np.ndarray, ref: np.ndarray) -> str | None:
    """None when mathcore's value agrees with torch's; otherwise one line saying how it differs."""
    if ours.shape != ref.shape:
        return f"{step_id}: shape {ours.shape} != torch {ref.shape}"
    if INT_STEPS.match(step_id):
        if ours.dtype.kind not in "iu" or ref.dtype.kind not in "iu":
            return f"{step_id}: expected integer ids, got {ours.dtype} (torch {ref.dtype})"
        if not np.array_equal(ours, ref):
            return f"{step_id}: {ours.tolist()} != torch {ref.tolist()}"
        return None
    if ours.dtype != np.float64:
        return f"{step_id}: dtype {ours.dtype}, expected float64"
    if np.isnan(ours).any() or np.isnan(ref).any():
        return f"{step_id}: NaN (mathcore {int(np.isnan(ours).sum())}, torch {int(np.isnan(ref).sum())})"
    if np.isposinf(ours).any() or np.isposinf(ref).any():
        return f"{step_id}: +inf present"
    neg_ours, neg_ref = np.isneginf(ours), np.isneginf(ref)
    if not np.array_equal(neg_ours, neg_ref):
        cells = np.argwhere(neg_ours != neg_ref).tolist()[:5]
        return f"{step_id}: -inf (masked) cells differ at {cells}"
    fin = ~neg_ref
    if fin.any():
        diff = np.abs(ours[fin] - ref[fin])
        worst = float(diff.max())
        if not worst <= ATOL:
            where = np.argwhere(fin)[int(diff.argmax())].tolist()
            return (f"{step_id}: max |diff| {worst:.3g} at {where}: mathcore {ours[tuple(where)]!r}, "
                    f"torch {ref[tuple(where)]!r}")
    return None


def _tie(ref_probs: np.ndarray, ours: int, theirs: int) -> bool:
    """True when torch rates mathcore's choice within TIE_GAP of its own: an argmax decided by the last bit."""
    return ours != 0 and bool(ref_probs[theirs] - ref_probs[ours] < tr.TIE_GAP)  # never <start>


def compare(ex, ref: tr.Reference, allow_ties: bool = False) -> list[str]:
    """Every problem found between the Example and the torch reference (empty when they agree).

    allow_ties: an argmax whose top two probabilities are within TIE_GAP may go either way in float64, so
    a different choice there is accepted, and greedy generation after such a step (now fed different
    tokens) is not compared. Every other step is always compared, including the logits and probabilities
    of the tied step itself.
    """
    ids = [s.id for s in ex.steps]
    problems = []
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        problems.append(f"duplicate step ids in the Example: {dup}")

    # Where ties are allowed, find the first generation step whose token differs at a near-tie.
    diverged_after = None
    if allow_ties:
        t = 0
        while f"generate.{t}.token" in ref.values and ex.has(f"generate.{t}.token"):
            ours, theirs = int(ex.value(f"generate.{t}.token")), int(ref.values[f"generate.{t}.token"])
            if ours != theirs:
                if _tie(ref.values[f"generate.{t}.probs"], ours, theirs):
                    diverged_after = t
                break
            t += 1

    def skipped(step_id: str) -> bool:
        m = re.match(r"generate\.(\d+)\.", step_id)
        return diverged_after is not None and m is not None and int(m.group(1)) > diverged_after

    unchecked = [i for i in ids if i not in ref.values and not skipped(i)]
    if unchecked:
        problems.append(f"steps the torch reference does not compute (left unchecked): {unchecked}")
    absent = [i for i in ref.values if i not in set(ids) and not skipped(i)]
    if absent:
        problems.append(f"steps torch computes that the Example lacks: {absent}")
    for s in ex.steps:
        if s.id not in ref.values or skipped(s.id):
            continue
        ours, theirs = np.asarray(s.value), ref.values[s.id]
        if allow_ties and s.id == "output.predicted" and ours.shape == theirs.shape:
            probs = ref.values["output.probs"]
            tied = [i for i in np.flatnonzero(ours != theirs) if _tie(probs[i], int(ours[i]), int(theirs[i]))]
            ours = ours.copy()
            ours[tied] = theirs[tied]
        if allow_ties and s.id == f"generate.{diverged_after}.token":
            continue  # checked above: a tie
        m = mismatch(s.id, ours, theirs)
        if m:
            problems.append(m)
    # The Example's token lists must spell its own recorded ids (which were compared with torch above).
    vocab = list(ex.vocab)
    predicted = tuple(vocab[i] for i in np.asarray(ex.value("output.predicted")).tolist())
    generated = tuple(vocab[int(s.value)] for s in ex.steps if re.fullmatch(r"generate\.\d+\.token", s.id))
    for key, spelled in (("predicted", predicted), ("generated", generated)):
        if tuple(ex.tokens[key]) != spelled:
            problems.append(f"tokens['{key}'] {ex.tokens[key]} do not spell the recorded ids {spelled}")
    if diverged_after is None and generated != tuple(ref.generated):
        problems.append(f"generated tokens {generated} != torch {tuple(ref.generated)}")
    return problems


def assert_parity(ex, allow_ties: bool = False) -> tr.Reference:
    ref = tr.reference_for(ex)
    problems = compare(ex, ref, allow_ties=allow_ties)
    assert not problems, (f"mathcore disagrees with torch for {ex.config}:\n  " + "\n  ".join(problems[:20])
                          + (f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""))
    return ref


# ---------------------------------------------------------------- the reference itself

def test_reference_positional_encoding_matches_content_rows():
    """The torch PE is right on its own (docs/teaching-notes.md §2), not only equal to mathcore's."""
    pe = tr.sinusoidal_pe(3, 6).numpy()
    np.testing.assert_allclose(pe[1], [0.8415, 0.5403, 0.0464, 0.9989, 0.0022, 1.0000], atol=5e-5)
    np.testing.assert_allclose(pe[2], [0.9093, -0.4161, 0.0927, 0.9957, 0.0043, 1.0000], atol=5e-5)
    np.testing.assert_array_equal(pe[0], [0, 1, 0, 1, 0, 1])
    odd = tr.sinusoidal_pe(2, 5).numpy()          # odd d_model: the last column is a sine
    np.testing.assert_allclose(odd[1, 4], math.sin(1 / 10000 ** (4 / 5)), atol=1e-15)


def test_reference_mask_and_greedy():
    np.testing.assert_array_equal(tr.causal_mask(3).numpy(), [[0, 1, 1], [0, 0, 1], [0, 0, 0]])
    ids, _ = tr.greedy(torch.tensor([[0.9, 0.05, 0.05], [0.1, 0.2, 0.7]], dtype=torch.float64))
    assert ids.tolist() == [1, 2]                 # <start> (id 0) is never chosen, even when most probable


# ---------------------------------------------------------------- the default example

def test_default_example_matches_torch():
    ex = build_example(Config())
    ref = assert_parity(ex)
    assert not ref.near_ties
    assert len(ref.values) == len(ex.steps) > 100
    masked = [s.id for s in ex.steps if s.id.endswith(".masked")]
    assert masked and all(np.isneginf(ex.value(i)).sum() == 5 * 6 // 2 for i in masked)  # 6 x 6 upper triangle


EDGE_CASES = {
    "one token each": Config(source="storm", target="die"),
    "twelve tokens each": Config(source="the true enemy won't wait out the storm he brings the storm",
                                 target="when you play the game of thrones you win or you die"),
    "d_k = 1": Config(d_model=2, n_heads=2, d_ff=1),
    "odd d_model, one head": Config(d_model=7, n_heads=1, d_ff=16),
    "d_model 8, 8 heads": Config(d_model=8, n_heads=8, d_ff=16, seed=3),
    "two layers, untied, unscaled": Config(n_encoder_layers=2, n_decoder_layers=2, tied_output=False,
                                           scale_embedding=False, seed=11),
    "long generation": Config(max_new_tokens=24, seed=5),
    "char mode CJK": Config(tokenizer="char", source="我喜欢学习机器翻译", target="你好世界", d_model=4),
    "char mode letters": Config(tokenizer="char", source="storm", target="winter", d_model=5, n_heads=5),
    "words outside the corpus": Config(source="winter is coming", target="hold the door"),
    "more decimals": Config(decimals=6, seed=2),
    "trained on the corpus too": Config(train_on_corpus=True, train_steps=40),
}


@pytest.mark.parametrize("cfg", EDGE_CASES.values(), ids=EDGE_CASES.keys())
def test_edge_configs_match_torch(cfg):
    assert_parity(build_example(cfg), allow_ties=cfg.d_model == 2)  # d_model = 2: see the random test


# ---------------------------------------------------------------- random configurations

WORDS = sorted({w for line in DEFAULT_CORPUS for w in re.findall(r"[a-z']+", line.lower())})
CJK = "我你他她是的不了在有人这中大为上个国说们到和地也子时道出而要于就下得可生会自着去之过家学对"
LETTERS = "abcdefghijklmnopqrstuvwxyz"


# If the Config can train the weights first, skip that here: the forward pass is the same for any weights (the
# reference reads them from the Example), and the default example and the edge cases keep the default.
UNTRAINED = {"trained": False} if "trained" in Config.__dataclass_fields__ else {}


@st.composite
def configs(draw) -> Config:
    d_model = draw(st.integers(2, 8))
    n_heads = draw(st.sampled_from([h for h in range(1, d_model + 1) if d_model % h == 0]))
    mode = draw(st.sampled_from(["word", "char"]))
    if mode == "word":
        sentence = st.lists(st.sampled_from(WORDS), min_size=1, max_size=12).map(" ".join)
    else:
        alphabet = draw(st.sampled_from([CJK, LETTERS]))
        sentence = st.lists(st.sampled_from(alphabet), min_size=1, max_size=12).map("".join)
    return Config(
        **UNTRAINED,
        source=draw(sentence), target=draw(sentence), tokenizer=mode,
        d_model=d_model, n_heads=n_heads, d_ff=draw(st.integers(1, 16)),
        n_encoder_layers=draw(st.integers(1, 2)), n_decoder_layers=draw(st.integers(1, 2)),
        seed=draw(st.integers(0, 2**16)), tied_output=draw(st.booleans()),
        scale_embedding=draw(st.booleans()), max_new_tokens=draw(st.sampled_from([0, 0, 1, 5, 24])),
    )


@settings(max_examples=40, deadline=None)
@given(cfg=configs())
def test_random_configs_match_torch(cfg):
    ex = build_example(cfg)
    assert 1 <= len(ex.tokens["source"]) <= 12 and 2 <= len(ex.tokens["target_input"]) <= 13
    # Near-ties are common with d_model = 2, where every LayerNorm output row is (c, -c) or (-c, c), so two
    # vocabulary columns with the same difference w_0 - w_1 score exactly alike: see compare().
    problems = compare(ex, tr.reference_for(ex), allow_ties=True)
    assert not problems, f"mathcore disagrees with torch for {cfg}:\n  " + "\n  ".join(problems[:20])
