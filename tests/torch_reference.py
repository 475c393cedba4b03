"""The PyTorch reference: the worked example's forward pass computed with torch's own modules.

This is the independent half of the parity test (tests/test_parity_torch.py) and of the golden file
(scripts/make_golden.py). It never calls mathcore's layers or model: from an Example it reads only the
configuration, the vocabulary, the token strings and the weights, and it recomputes every recorded step
with torch in float64:

    torch.nn.Embedding                      the embedding (one-hot rows from torch.nn.functional.one_hot)
    its own sinusoid code                   the positional encoding (the exp/log form of the PyTorch tutorial)
    torch.nn.MultiheadAttention             attention weights per head and the attention output; the per-head
                                            Q, K, V, scores and head outputs come from torch ops on the same
                                            projected tensors that the module uses (its in_proj_weight)
    torch.nn.LayerNorm, F.layer_norm        add & norm
    torch.nn.Linear + torch.nn.ReLU         the feed-forward network and the output layer
    torch.softmax, torch.argmax             probabilities, predictions and greedy generation

As a second opinion inside torch, every layer's output is also recomputed by torch.nn.TransformerEncoderLayer
and torch.nn.TransformerDecoderLayer (post-norm, ReLU, dropout 0, attention biases set to zero) and must agree.

Conventions shared with mathcore: tokens are rows; weights are (in, out) matrices, so a torch Linear gets
their transpose; heads are numbered from 1 in step ids, layers from 0.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

DTYPE = torch.float64
LN_EPS = 1e-5
START, END = "<start>", "<end>"
TIE_GAP = 1e-9       # top-2 probabilities closer than this make an argmax implementation-dependent
INTERNAL_ATOL = 1e-10  # two torch routes to the same number must agree to this


@dataclass
class Reference:
    """Every step id -> value (numpy: float64, or int64 for ids and chosen tokens), in forward-pass order."""
    values: dict[str, np.ndarray] = field(default_factory=dict)
    near_ties: list[str] = field(default_factory=list)   # argmax steps whose winner is within TIE_GAP of the runner-up
    generated: list[str] = field(default_factory=list)   # greedy generation's tokens
    predicted: list[str] = field(default_factory=list)   # argmax of the teacher-forced pass

    def put(self, step_id: str, value: torch.Tensor) -> None:
        if step_id in self.values:
            raise AssertionError(f"torch reference computed step '{step_id}' twice")
        value = value.detach()
        if value.dtype in (torch.int64, torch.int32):
            self.values[step_id] = value.numpy().astype(np.int64)
        else:
            self.values[step_id] = value.to(DTYPE).numpy().copy() + 0.0  # + 0.0: -0.0 -> 0.0


def _w(weights: Mapping[str, Any], name: str) -> torch.Tensor:
    return torch.as_tensor(np.asarray(weights[name], dtype=np.float64), dtype=DTYPE)


def _agree(a: torch.Tensor, b: torch.Tensor, what: str) -> None:
    """Two torch routes to the same numbers must agree (a broken reference must not pass silently)."""
    torch.testing.assert_close(a, b, rtol=0.0, atol=INTERNAL_ATOL, msg=lambda m: f"torch reference, {what}: {m}")


# ---------------------------------------------------------------- building blocks

def sinusoidal_pe(n: int, d_model: int) -> torch.Tensor:  # -> (n, d_model)
    """PE[pos, 2i] = sin(pos * exp(-2i ln(10000) / d)), PE[pos, 2i+1] = cos(same), as the PyTorch tutorial."""
    pe = torch.zeros(n, d_model, dtype=DTYPE)
    pos = torch.arange(n, dtype=DTYPE).unsqueeze(1)                                    # (n, 1)
    div = torch.exp(torch.arange(0, d_model, 2, dtype=DTYPE) * (-math.log(10000.0) / d_model))  # (ceil(d/2),)
    pe[:, 0::2] = torch.sin(pos * div)
    pe[:, 1::2] = torch.cos(pos * div[: d_model // 2])
    return pe


def causal_mask(n: int) -> torch.Tensor:  # (n, n) bool, True = may not attend (a later position)
    return torch.triu(torch.ones(n, n, dtype=torch.bool), diagonal=1)


def greedy(probs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:  # (..., V) -> ids (...,), top-2 gap (...,)
    """argmax over the vocabulary without <start> (id 0), which only ever begins the decoder input."""
    p = probs.clone()
    p[..., 0] = -math.inf
    top2 = torch.topk(p, 2, dim=-1).values
    return torch.argmax(p, dim=-1), top2[..., 0] - top2[..., 1]


class _Attention:
    """torch.nn.MultiheadAttention with our W_Q, W_K, W_V, W_O and no biases."""

    def __init__(self, weights, prefix: str, d: int, h: int):
        self.prefix, self.d, self.h = prefix, d, h
        self.W = {m: _w(weights, f"{prefix}.{m}") for m in ("W_Q", "W_K", "W_V", "W_O")}
        self.mha = nn.MultiheadAttention(d, h, bias=False, batch_first=True, dtype=DTYPE).eval()
        with torch.no_grad():
            self.mha.in_proj_weight.copy_(torch.cat([self.W["W_Q"].T, self.W["W_K"].T, self.W["W_V"].T]))
            self.mha.out_proj.weight.copy_(self.W["W_O"].T)

    def __call__(self, x_q, x_kv, mask, rec: Reference | None, step: str):  # (n, d), (m, d) -> (n, d)
        d, h = self.d, self.h
        dk = d // h
        out, attn = self.mha(x_q[None], x_kv[None], x_kv[None], attn_mask=mask, need_weights=True,
                             average_attn_weights=False)
        out, attn = out[0], attn[0]                                    # (n, d), (h, n, m)
        if rec is None:
            return out
        # The per-head pieces, from the module's own packed projection, split as torch splits heads.
        W_in = self.mha.in_proj_weight
        Q, K, V = F.linear(x_q, W_in[:d]), F.linear(x_kv, W_in[d:2 * d]), F.linear(x_kv, W_in[2 * d:])

        def split(t):  # (n, d) -> (h, n, dk)
            return t.reshape(t.shape[0], h, dk).transpose(0, 1)

        q, k, v = split(Q), split(K), split(V)
        scores = q @ k.transpose(-2, -1)                               # (h, n, m)
        scaled = scores / math.sqrt(dk)
        masked = scaled.masked_fill(mask, -math.inf) if mask is not None else scaled
        weights = torch.softmax(masked, dim=-1)
        heads = weights @ v                                            # (h, n, dk)
        concat = heads.transpose(0, 1).reshape(x_q.shape[0], d)        # (n, d)
        _agree(weights, attn, f"{step} softmax vs MultiheadAttention weights")
        _agree(self.mha.out_proj(concat), out, f"{step} out_proj(concat) vs MultiheadAttention output")
        for i in range(h):
            hp = f"{step}.head{i + 1}"
            rec.put(f"{hp}.q", q[i])
            rec.put(f"{hp}.k", k[i])
            rec.put(f"{hp}.v", v[i])
            rec.put(f"{hp}.scores", scores[i])
            rec.put(f"{hp}.scaled", scaled[i])
            if mask is not None:
                rec.put(f"{hp}.masked", masked[i])
            rec.put(f"{hp}.weights", attn[i])
            rec.put(f"{hp}.out", heads[i])
        rec.put(f"{step}.concat", concat)
        rec.put(f"{step}.out", out)
        return out


class _AddNorm:
    def __init__(self, weights, prefix: str, d: int):
        self.d = d
        self.gamma, self.beta = _w(weights, f"{prefix}.gamma"), _w(weights, f"{prefix}.beta")
        self.ln = nn.LayerNorm(d, eps=LN_EPS, dtype=DTYPE)
        with torch.no_grad():
            self.ln.weight.copy_(self.gamma)
            self.ln.bias.copy_(self.beta)

    def __call__(self, x, sub, rec: Reference | None, step: str):  # (n, d), (n, d) -> (n, d)
        z = x + sub
        out = self.ln(z)
        if rec is not None:
            var, mean = torch.var_mean(z, dim=-1, correction=0)        # population variance
            rec.put(f"{step}.sum", z)
            rec.put(f"{step}.mean", mean)
            rec.put(f"{step}.var", var)
            rec.put(f"{step}.normalized", F.layer_norm(z, (self.d,), eps=LN_EPS))
            rec.put(f"{step}.out", out)
        return out


class _FeedForward:
    def __init__(self, weights, prefix: str, d: int):
        W_1, W_2 = _w(weights, f"{prefix}.W_1"), _w(weights, f"{prefix}.W_2")
        self.W_1, self.b_1, self.W_2, self.b_2 = W_1, _w(weights, f"{prefix}.b_1"), W_2, _w(weights, f"{prefix}.b_2")
        d_ff = W_1.shape[1]
        self.lin1, self.relu, self.lin2 = nn.Linear(d, d_ff, dtype=DTYPE), nn.ReLU(), nn.Linear(d_ff, d, dtype=DTYPE)
        with torch.no_grad():
            self.lin1.weight.copy_(W_1.T)
            self.lin1.bias.copy_(self.b_1)
            self.lin2.weight.copy_(W_2.T)
            self.lin2.bias.copy_(self.b_2)

    def __call__(self, x, rec: Reference | None, step: str):  # (n, d) -> (n, d)
        pre = self.lin1(x)
        hidden = self.relu(pre)
        out = self.lin2(hidden)
        if rec is not None:
            rec.put(f"{step}.pre", pre)
            rec.put(f"{step}.hidden", hidden)
            rec.put(f"{step}.out", out)
        return out


def _copy_attention(dst: nn.MultiheadAttention, src: _Attention) -> None:
    dst.in_proj_weight.copy_(src.mha.in_proj_weight)
    dst.in_proj_bias.zero_()
    dst.out_proj.weight.copy_(src.mha.out_proj.weight)
    dst.out_proj.bias.zero_()


def _copy_ffn_norms(dst, ffn: _FeedForward, norms: Sequence[_AddNorm]) -> None:
    dst.linear1.load_state_dict(ffn.lin1.state_dict())
    dst.linear2.load_state_dict(ffn.lin2.state_dict())
    for i, norm in enumerate(norms, start=1):
        getattr(dst, f"norm{i}").load_state_dict(norm.ln.state_dict())


class _EncoderLayer:
    def __init__(self, weights, l: int, d: int, h: int):
        p = f"encoder.{l}"
        self.prefix = p
        self.self_attn = _Attention(weights, f"{p}.self_attn", d, h)
        self.norm1 = _AddNorm(weights, f"{p}.norm1", d)
        self.ffn = _FeedForward(weights, f"{p}.ffn", d)
        self.norm2 = _AddNorm(weights, f"{p}.norm2", d)
        # torch's own post-norm encoder layer with the same numbers, as a cross-check
        self.torch_layer = nn.TransformerEncoderLayer(d, h, dim_feedforward=self.ffn.W_1.shape[1], dropout=0.0,
                                                      activation="relu", layer_norm_eps=LN_EPS, batch_first=True,
                                                      norm_first=False, dtype=DTYPE).eval()
        with torch.no_grad():
            _copy_attention(self.torch_layer.self_attn, self.self_attn)
            _copy_ffn_norms(self.torch_layer, self.ffn, (self.norm1, self.norm2))

    def __call__(self, x, rec: Reference | None):  # (n, d) -> (n, d)
        p = self.prefix
        n1 = self.norm1(x, self.self_attn(x, x, None, rec, f"{p}.self_attn"), rec, f"{p}.norm1")
        out = self.norm2(n1, self.ffn(n1, rec, f"{p}.ffn"), rec, f"{p}.norm2")
        _agree(out, self.torch_layer(x[None])[0], f"{p} vs nn.TransformerEncoderLayer")
        return out


class _DecoderLayer:
    def __init__(self, weights, l: int, d: int, h: int):
        p = f"decoder.{l}"
        self.prefix = p
        self.self_attn = _Attention(weights, f"{p}.self_attn", d, h)
        self.norm1 = _AddNorm(weights, f"{p}.norm1", d)
        self.cross_attn = _Attention(weights, f"{p}.cross_attn", d, h)
        self.norm2 = _AddNorm(weights, f"{p}.norm2", d)
        self.ffn = _FeedForward(weights, f"{p}.ffn", d)
        self.norm3 = _AddNorm(weights, f"{p}.norm3", d)
        self.torch_layer = nn.TransformerDecoderLayer(d, h, dim_feedforward=self.ffn.W_1.shape[1], dropout=0.0,
                                                      activation="relu", layer_norm_eps=LN_EPS, batch_first=True,
                                                      norm_first=False, dtype=DTYPE).eval()
        with torch.no_grad():
            _copy_attention(self.torch_layer.self_attn, self.self_attn)
            _copy_attention(self.torch_layer.multihead_attn, self.cross_attn)
            _copy_ffn_norms(self.torch_layer, self.ffn, (self.norm1, self.norm2, self.norm3))

    def __call__(self, y, memory, rec: Reference | None):  # (m, d), (n, d) -> (m, d)
        p = self.prefix
        mask = causal_mask(y.shape[0])
        n1 = self.norm1(y, self.self_attn(y, y, mask, rec, f"{p}.self_attn"), rec, f"{p}.norm1")
        # cross-attention: queries from the decoder, keys and values from the encoder output
        n2 = self.norm2(n1, self.cross_attn(n1, memory, None, rec, f"{p}.cross_attn"), rec, f"{p}.norm2")
        out = self.norm3(n2, self.ffn(n2, rec, f"{p}.ffn"), rec, f"{p}.norm3")
        _agree(out, self.torch_layer(y[None], memory[None], tgt_mask=mask)[0], f"{p} vs nn.TransformerDecoderLayer")
        return out


# ---------------------------------------------------------------- the whole model

class TorchTransformer:
    """The encoder-decoder built from torch modules holding the Example's weights."""

    def __init__(self, config, vocab: Sequence[str], weights: Mapping[str, Any]):
        self.cfg = config
        self.vocab = list(vocab)
        d, h = config.d_model, config.n_heads
        V = len(self.vocab)
        W_E = _w(weights, "embedding.W_E")
        assert W_E.shape == (V, d), f"embedding.W_E has shape {tuple(W_E.shape)}, expected {(V, d)}"
        self.embedding = nn.Embedding(V, d, dtype=DTYPE)
        self.output = nn.Linear(d, V, bias=False, dtype=DTYPE)
        with torch.no_grad():
            self.embedding.weight.copy_(W_E)
            # tied: logits = Y . W_E^T, so the Linear's (out, in) weight is W_E itself; untied: W_out^T
            self.output.weight.copy_(W_E if config.tied_output else _w(weights, "output.W_out").T)
        self.scale = math.sqrt(d) if config.scale_embedding else 1.0
        self.encoder = [_EncoderLayer(weights, l, d, h) for l in range(config.n_encoder_layers)]
        self.decoder = [_DecoderLayer(weights, l, d, h) for l in range(config.n_decoder_layers)]

    def ids(self, tokens: Sequence[str]) -> torch.Tensor:
        return torch.tensor([self.vocab.index(t) for t in tokens], dtype=torch.int64)

    def inputs(self, ids: torch.Tensor, rec: Reference | None, side: str) -> torch.Tensor:  # (n,) -> (n, d)
        onehot = F.one_hot(ids, len(self.vocab)).to(DTYPE)
        e = self.embedding(ids)
        _agree(onehot @ self.embedding.weight, e, f"{side} one-hot product vs nn.Embedding")
        scaled = e * self.scale
        pe = sinusoidal_pe(len(ids), self.cfg.d_model)
        x = scaled + pe
        if rec is not None:
            rec.put(f"{side}.ids", ids)
            rec.put(f"{side}.onehot", onehot)
            rec.put(f"{side}.embedding", e)
            rec.put(f"{side}.embedding_scaled", scaled)
            rec.put(f"{side}.positional", pe)
            rec.put(f"{side}.input", x)
        return x

    def encode(self, ids, rec: Reference | None) -> torch.Tensor:  # (n,) -> (n, d)
        x = self.inputs(ids, rec, "source")
        for layer in self.encoder:
            x = layer(x, rec)
        if rec is not None:
            rec.put("encoder.output", x)
        return x

    def decode(self, ids, memory, rec: Reference | None):  # (m,), (n, d) -> logits (m, V), probs (m, V)
        y = self.inputs(ids, rec, "target")
        for layer in self.decoder:
            y = layer(y, memory, rec)
        logits = self.output(y)
        probs = torch.softmax(logits, dim=-1)
        if rec is not None:
            rec.put("decoder.output", y)
            rec.put("output.logits", logits)
            rec.put("output.probs", probs)
        return logits, probs


@torch.no_grad()
def reference(config, vocab: Sequence[str], tokens: Mapping[str, Sequence[str]],
              weights: Mapping[str, Any]) -> Reference:
    """Every step of the worked example, computed by torch from the config, vocabulary, tokens and weights."""
    model = TorchTransformer(config, vocab, weights)
    rec = Reference()
    source, target_input = list(tokens["source"]), list(tokens["target_input"])
    if target_input[:1] != [START]:
        raise AssertionError(f"the decoder input must begin with {START}, not {target_input[:1]}")

    memory = model.encode(model.ids(source), rec)

    # teacher forcing: the whole shifted target in one parallel pass
    _, probs = model.decode(model.ids(target_input), memory, rec)
    predicted, gap = greedy(probs)
    rec.put("output.predicted", predicted)
    if bool((gap < TIE_GAP).any()):
        rec.near_ties.append("output.predicted")
    rec.predicted = [model.vocab[i] for i in predicted.tolist()]

    # greedy generation: feed each chosen token back in until <end> or the limit
    limit = config.max_new_tokens or len(target_input)   # 0 means target length + 1 = len(<start> + target)
    gen = [model.vocab.index(START)]
    for t in range(limit):
        ids = torch.tensor(gen, dtype=torch.int64)
        logits, probs = model.decode(ids, memory, None)
        nxt, gap = greedy(probs[-1])
        p = f"generate.{t}"
        rec.put(f"{p}.input", ids)
        rec.put(f"{p}.logits", logits[-1])
        rec.put(f"{p}.probs", probs[-1])
        rec.put(f"{p}.token", nxt)
        if float(gap) < TIE_GAP:
            rec.near_ties.append(f"{p}.token")
        gen.append(int(nxt))
        rec.generated.append(model.vocab[int(nxt)])
        if model.vocab[int(nxt)] == END:
            break
    return rec


BETAS, ADAM_EPS = (0.9, 0.98), 1e-9   # the paper's Adam settings, as mathcore/train.py documents them


def first_update(config, vocab: Sequence[str], tokens: Mapping[str, Sequence[str]], initial: Mapping[str, Any],
                 lr: float, pairs: Sequence[tuple[Sequence[int], Sequence[int], Sequence[int]]]) -> Reference:
    """The train.0.* steps: the loss of the initial weights on the example's pair, the output layer's gradient
    by autograd, and torch.optim.Adam's first step on the output matrix (d, V) with the whole gradient, the
    mean over `pairs` (id lists: source, <start> + target, target + <end>; the example's pair first)."""
    rec = Reference()
    with torch.enable_grad():
        model = TorchTransformer(config, vocab, initial)
        # the example's pair: logits = Y W with Y held fixed, so autograd gives exactly the output layer's part
        seen = Reference()
        memory = model.encode(model.ids(list(tokens["source"])), None)
        model.decode(model.ids(list(tokens["target_input"])), memory, seen)
        Y = torch.as_tensor(seen.values["decoder.output"], dtype=DTYPE)
        W = model.output.weight.detach().T.clone().requires_grad_(True)            # (d, V)
        logits = Y @ W
        logits.retain_grad()
        labels = model.ids(list(tokens["target_labels"]))
        loss = F.cross_entropy(logits, labels)
        loss.backward()
        rec.put("train.0.probs", torch.softmax(logits, dim=-1))
        rec.put("train.0.token_loss", F.cross_entropy(logits, labels, reduction="none"))
        rec.put("train.0.loss", loss)
        rec.put("train.0.decoder.output", Y)
        rec.put("train.0.dlogits", logits.grad)
        rec.put("train.0.dW_out", W.grad)
        rec.put("train.0.W_out", W)
        # the whole gradient of the output matrix: backpropagation through every layer, averaged over the pairs
        for p in (model.embedding.weight, model.output.weight):
            p.grad = None
        total = sum(F.cross_entropy(model.decode(torch.as_tensor(t), model.encode(torch.as_tensor(s), None), None)[0],
                                    torch.as_tensor(l)) for s, t, l in pairs) / len(pairs)
        total.backward()
        grad = model.output.weight.grad + (model.embedding.weight.grad if config.tied_output else 0.0)   # (V, d)
        rec.put("train.0.grad", grad.T)
        param = nn.Parameter(W.detach().clone())
        opt = torch.optim.Adam([param], lr=lr, betas=BETAS, eps=ADAM_EPS)
        param.grad = grad.T.clone()
        opt.step()
        state = opt.state[param]
        rec.put("train.0.adam.m", state["exp_avg"])
        rec.put("train.0.adam.v", state["exp_avg_sq"])
        rec.put("train.0.adam.update", W.detach() - param.detach())
        rec.put("train.0.adam.after", param)
    return rec


def reference_for(example) -> Reference:
    """The torch reference for a mathcore Example: reads only its config, vocabulary, tokens and weights (and,
    for a trained example, the initial weights, the warm-up and the training pairs' token ids)."""
    rec = reference(example.config, example.vocab, example.tokens, example.weights)
    run = example.training
    if run is not None:
        from mathcore.train import training_pairs   # token ids only: which sentences, not any computation
        cfg = example.config
        lr = cfg.learning_rate * min(1 / run.warmup, math.sqrt(run.warmup))   # the schedule at s = 1
        pairs = [tuple(np.asarray(a).tolist() for a in p) for p in training_pairs(cfg, list(example.vocab))]
        rec.values.update(first_update(cfg, example.vocab, example.tokens, run.checkpoints[0].weights, lr,
                                       pairs).values)
    return rec
