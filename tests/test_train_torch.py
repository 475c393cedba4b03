"""The hand-written backward pass (mathcore/train.py) equals PyTorch autograd, within 1e-6, in float64.

The torch side is written here from torch's own functional ops and shares nothing with mathcore but the
weights (numpy arrays) and the token ids: F.embedding, its own sinusoids, F.multi_head_attention_forward
(separate projection weights, no biases, a boolean causal mask), F.layer_norm, F.linear, F.relu and
F.cross_entropy. loss.backward() then gives the reference gradient of every weight.
"""
from __future__ import annotations

import math
import re

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.nn.functional as F  # noqa: E402
from hypothesis import given, settings, strategies as st  # noqa: E402

from mathcore import DEFAULT_CORPUS, Config, build_example  # noqa: E402
from mathcore import model  # noqa: E402
from mathcore.example import prepare  # noqa: E402
from mathcore.train import loss_and_grads, training_pairs  # noqa: E402

pytestmark = pytest.mark.torch

ATOL = 1e-6
DT = torch.float64


# ---------------------------------------------------------------- the torch reference

def _pe(n: int, d: int) -> torch.Tensor:  # (n, d): PE[pos, 2i] = sin(pos / 10000^(2i/d)), PE[pos, 2i+1] = cos
    pos = torch.arange(n, dtype=DT)[:, None]
    k = torch.arange(d)
    angle = pos / torch.pow(torch.tensor(10000.0, dtype=DT), (2 * (k // 2)).to(DT) / d)
    return torch.where(k % 2 == 0, torch.sin(angle), torch.cos(angle))


def torch_loss_and_grads(cfg: Config, weights: dict, src_ids, tgt_ids, labels) -> tuple[float, dict]:
    W = {k: torch.tensor(np.asarray(v, dtype=np.float64), dtype=DT, requires_grad=True) for k, v in weights.items()}
    d, h = cfg.d_model, cfg.n_heads
    scale = math.sqrt(d) if cfg.scale_embedding else 1.0

    def inputs(ids):
        ids = torch.as_tensor(np.asarray(ids), dtype=torch.long)
        return F.embedding(ids, W["embedding.W_E"]) * scale + _pe(len(ids), d)

    def attn(x_q, x_kv, p, mask=None):  # our weights are (in, out); torch wants (out, in)
        out, _ = F.multi_head_attention_forward(
            x_q[:, None], x_kv[:, None], x_kv[:, None], d, h, None, None, None, None, False, 0.0,
            W[f"{p}.W_O"].T, None, training=False, need_weights=False, attn_mask=mask,
            use_separate_proj_weight=True, q_proj_weight=W[f"{p}.W_Q"].T, k_proj_weight=W[f"{p}.W_K"].T,
            v_proj_weight=W[f"{p}.W_V"].T)
        return out[:, 0]

    def norm(z, p):
        return F.layer_norm(z, (d,), W[f"{p}.gamma"], W[f"{p}.beta"], eps=1e-5)

    def ffn(x, p):
        return F.linear(F.relu(F.linear(x, W[f"{p}.W_1"].T, W[f"{p}.b_1"])), W[f"{p}.W_2"].T, W[f"{p}.b_2"])

    x = inputs(src_ids)
    for l in range(cfg.n_encoder_layers):
        p = f"encoder.{l}"
        x = norm(x + attn(x, x, f"{p}.self_attn"), f"{p}.norm1")
        x = norm(x + ffn(x, f"{p}.ffn"), f"{p}.norm2")
    memory = x
    y = inputs(tgt_ids)
    m = y.shape[0]
    causal = torch.triu(torch.ones(m, m, dtype=torch.bool), diagonal=1)  # True: may not attend
    for l in range(cfg.n_decoder_layers):
        p = f"decoder.{l}"
        y = norm(y + attn(y, y, f"{p}.self_attn", causal), f"{p}.norm1")
        y = norm(y + attn(y, memory, f"{p}.cross_attn"), f"{p}.norm2")
        y = norm(y + ffn(y, f"{p}.ffn"), f"{p}.norm3")
    W_out = W["embedding.W_E"].T if cfg.tied_output else W["output.W_out"]
    loss = F.cross_entropy(y @ W_out, torch.as_tensor(np.asarray(labels), dtype=torch.long))
    loss.backward()
    return loss.item(), {k: t.grad.numpy() for k, t in W.items()}


def assert_same_grads(cfg, weights, src, tgt, lab, grads=None, loss=None):
    if grads is None:
        loss, grads = loss_and_grads(cfg, weights, src, tgt, lab)
    t_loss, t_grads = torch_loss_and_grads(cfg, weights, src, tgt, lab)
    assert abs(loss - t_loss) <= ATOL, (loss, t_loss)
    assert sorted(grads) == sorted(t_grads) == sorted(weights)
    problems = []
    for k, g in t_grads.items():
        assert grads[k].shape == g.shape == np.shape(weights[k]), k
        worst = float(np.max(np.abs(grads[k] - g)))
        if not worst <= ATOL:
            problems.append(f"{k}: max |diff| {worst:.3g}")
    assert not problems, f"gradients differ from torch autograd for {cfg}:\n  " + "\n  ".join(problems)


# ---------------------------------------------------------------- the default example

@pytest.fixture(scope="module")
def default():
    cfg = Config()
    vocab, _, _ = prepare(cfg)
    return cfg, vocab, training_pairs(cfg, vocab)[0], build_example(cfg)


def test_recorded_step0_grads_equal_torch(default):
    """The gradients the Example records (step 0, the seeded initial weights) are torch's."""
    cfg, vocab, (src, tgt, lab), ex = default
    init = model.init_weights(cfg, len(vocab))
    assert_same_grads(cfg, init, src, tgt, lab, grads=ex.training.grads, loss=float(ex.training.losses[0]))


def test_grads_at_trained_weights_equal_torch(default):
    cfg, _, (src, tgt, lab), ex = default
    assert_same_grads(cfg, ex.weights, src, tgt, lab)                  # gamma, beta moved off 1, 0
    for c in ex.training.checkpoints:
        assert_same_grads(cfg, c.weights, src, tgt, lab)


def test_corpus_training_grads_are_the_mean_over_pairs():
    cfg = Config(train_on_corpus=True, train_steps=3)
    vocab, _, _ = prepare(cfg)
    ex = build_example(cfg)
    pairs = training_pairs(cfg, vocab)
    assert ex.training.pairs == len(pairs) == 4
    init = model.init_weights(cfg, len(vocab))
    ref = [torch_loss_and_grads(cfg, init, *p) for p in pairs]
    assert abs(ex.training.losses[0] - np.mean([r[0] for r in ref])) <= ATOL
    for k, g in ex.training.grads.items():
        np.testing.assert_allclose(g, np.mean([r[1][k] for r in ref], axis=0), rtol=0, atol=ATOL, err_msg=k)


# ---------------------------------------------------------------- randomized configurations

WORDS = sorted({w for line in DEFAULT_CORPUS for w in re.findall(r"[a-z']+", line.lower())})
CJK = "我你他她是的不了在有人这中大为上个国说们到和地也子时道出而要于就下得可生会自着去之过家学对"
LETTERS = "abcdefghijklmnopqrstuvwxyz"


@st.composite
def cases(draw):
    d_model = draw(st.integers(2, 8))
    n_heads = draw(st.sampled_from([h for h in range(1, d_model + 1) if d_model % h == 0]))
    mode = draw(st.sampled_from(["word", "char"]))
    if mode == "word":
        sentence = st.lists(st.sampled_from(WORDS), min_size=1, max_size=12).map(" ".join)
    else:
        alphabet = draw(st.sampled_from([CJK, LETTERS]))
        sentence = st.lists(st.sampled_from(alphabet), min_size=1, max_size=12).map("".join)
    cfg = Config(source=draw(sentence), target=draw(sentence), tokenizer=mode, d_model=d_model, n_heads=n_heads,
                 d_ff=draw(st.integers(1, 16)), n_encoder_layers=draw(st.integers(1, 2)),
                 n_decoder_layers=draw(st.integers(1, 2)), seed=draw(st.integers(0, 2**16)),
                 tied_output=draw(st.booleans()), scale_embedding=draw(st.booleans()))
    # jitter: 0 keeps the seeded initial weights (gamma = 1, beta = 0); otherwise every weight moves by
    # Gaussian noise, so gamma and beta are exercised away from their start too
    return cfg, draw(st.sampled_from([0.0, 0.0, 0.3]))


@settings(max_examples=30, deadline=None)
@given(case=cases())
def test_random_configs_grads_equal_torch(case):
    cfg, jitter = case
    vocab, _, _ = prepare(cfg)
    weights = model.init_weights(cfg, len(vocab))
    if jitter:
        rng = np.random.default_rng(cfg.seed + 1)
        weights = {k: w + rng.normal(0.0, jitter, w.shape) for k, w in weights.items()}
    src, tgt, lab = training_pairs(cfg, vocab)[0]
    assert 1 <= len(src) <= 12 and 2 <= len(tgt) <= 13
    assert_same_grads(cfg, weights, src, tgt, lab)
