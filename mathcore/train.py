"""Training the tiny model by hand: the backward pass of every forward function, Adam, and the training loop.

numpy only. Each backward function sits under the name of its forward twin in layers.py / model.py plus
`_backward`, takes the forward pass's recorded intermediates (the same frozen dataclasses the example
records) and the gradient of the loss with respect to the forward function's output, and returns the
gradients with respect to its inputs and weights. Shapes are in the comments; tokens are rows, as in the
forward pass.

The loss is the cross-entropy of the teacher-forced next-token predictions (labels = target + <end>),
averaged over the target positions. Training is full-batch and deterministic: the only randomness is the
seeded initial weights.

    from mathcore.train import first_update, loss_and_grads, train
    loss, grads = loss_and_grads(cfg, weights, src_ids, tgt_ids, labels)   # grads has weights' names
    run = train(cfg, weights, vocab)                                       # -> TrainingRun
    first = first_update(cfg, weights, run, src_ids, tgt_ids, labels)      # -> FirstUpdate, for chapter 14
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from . import model
from .config import Config
from .language import corpus_lines
from .layers import AddNorm, FeedForward, Head, MultiHead
from .tokenizer import END, START, encode, tokenize

# Adam as in the paper (section 5.3): beta_1 = 0.9, beta_2 = 0.98, epsilon = 1e-9.
BETA1, BETA2, ADAM_EPS = 0.9, 0.98, 1e-9
DEFAULT_WARMUP = 30      # steps of linear warm-up (the paper: 4000 of 100k; the toy needs a few hundred)
DEFAULT_CHECKPOINTS = 5  # weights and predictions recorded at this many evenly spaced steps (first and last included)


# ================================================================ backward of layers.py

def embed_backward(onehot: np.ndarray, dE: np.ndarray) -> np.ndarray:  # (n, V), (n, d) -> dW_E (V, d)
    """E = onehot . W_E, so dW_E = onehot^T . dE: each token's gradient row lands on its word's row."""
    return onehot.T @ dE


def positional_addition_backward(dX: np.ndarray) -> np.ndarray:  # (n, d) -> (n, d)
    """X = E_scaled + PE. PE is a fixed function of the position (no weights), so the gradient of the
    scaled embedding is dX itself."""
    return dX


def softmax_backward(p: np.ndarray, dp: np.ndarray) -> np.ndarray:  # (..., m), (..., m) -> (..., m)
    """p = softmax(s) row by row: ds = p * (dp - sum(dp * p)). Masked cells have p = 0 exactly, so their
    gradient is exactly 0: nothing flows into the future positions."""
    return p * (dp - np.sum(dp * p, axis=-1, keepdims=True))


def attention_head_backward(head: Head, dout: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """out = A . V, A = softmax(mask(Q K^T / sqrt(d_k))).   dout (n, d_k) -> dq (n, d_k), dk (m, d_k), dv (m, d_k)"""
    dA = dout @ head.v.T                                   # (n, m)
    dv = head.weights.T @ dout                             # (m, d_k)
    dscaled = softmax_backward(head.weights, dA)           # (n, m); the mask only set p = 0: nothing else
    dscores = dscaled / np.sqrt(head.q.shape[1])           # (n, m)
    dq = dscores @ head.k                                  # (n, d_k)
    dk = dscores.T @ head.q                                # (m, d_k)
    return dq, dk, dv


def multi_head_attention_backward(mh: MultiHead, x_q: np.ndarray, x_kv: np.ndarray, W_Q: np.ndarray,
                                  W_K: np.ndarray, W_V: np.ndarray, W_O: np.ndarray, dout: np.ndarray):
    """out = Concat(head_1 ... head_h) . W_O, Q = x_q W_Q, K = x_kv W_K, V = x_kv W_V.

    (n, d) dout -> dx_q (n, d), dx_kv (m, d), dW_Q, dW_K, dW_V, dW_O (d, d). For self-attention x_q and
    x_kv are the same rows: the caller adds dx_q and dx_kv.
    """
    dW_O = mh.concat.T @ dout                              # (d, d)
    dconcat = dout @ W_O.T                                 # (n, d)
    d_k = W_Q.shape[1] // len(mh.heads)
    parts = [attention_head_backward(h, dconcat[:, i * d_k:(i + 1) * d_k]) for i, h in enumerate(mh.heads)]
    dQ = np.concatenate([p[0] for p in parts], axis=1)     # (n, d) head i's columns, as in the forward split
    dK = np.concatenate([p[1] for p in parts], axis=1)     # (m, d)
    dV = np.concatenate([p[2] for p in parts], axis=1)     # (m, d)
    dW_Q, dW_K, dW_V = x_q.T @ dQ, x_kv.T @ dK, x_kv.T @ dV
    dx_q = dQ @ W_Q.T                                      # (n, d)
    dx_kv = dK @ W_K.T + dV @ W_V.T                        # (m, d)
    return dx_q, dx_kv, dW_Q, dW_K, dW_V, dW_O


def add_and_norm_backward(an: AddNorm, gamma: np.ndarray, dout: np.ndarray):
    """out = gamma * (z - mean) / sqrt(var + eps) + beta, z = x + sub.

    dout (n, d) -> dz (n, d) (the gradient of both x and sub, since z = x + sub), dgamma (d,), dbeta (d,).
    """
    xhat = an.normalized                                   # (n, d)
    dgamma = np.sum(dout * xhat, axis=0)                   # (d,)
    dbeta = np.sum(dout, axis=0)                           # (d,)
    dxhat = dout * gamma                                   # (n, d)
    inv_std = 1.0 / np.sqrt(an.var + 1e-5)[:, None]        # (n, 1), the forward's LN_EPS
    # the mean and the variance depend on every entry of the row: two correction terms
    dz = inv_std * (dxhat - dxhat.mean(axis=1, keepdims=True)
                    - xhat * np.mean(dxhat * xhat, axis=1, keepdims=True))
    return dz, dgamma, dbeta


def feed_forward_backward(ff: FeedForward, x: np.ndarray, W_1: np.ndarray, W_2: np.ndarray, dout: np.ndarray):
    """out = max(0, x W_1 + b_1) W_2 + b_2.   dout (n, d) -> dx (n, d), dW_1 (d, f), db_1 (f,), dW_2 (f, d), db_2 (d,)"""
    dW_2 = ff.hidden.T @ dout                              # (f, d)
    db_2 = dout.sum(axis=0)                                # (d,)
    dhidden = dout @ W_2.T                                 # (n, f)
    dpre = dhidden * (ff.pre > 0)                          # (n, f) ReLU passes the gradient where it passed the value
    dW_1 = x.T @ dpre                                      # (d, f)
    db_1 = dpre.sum(axis=0)                                # (f,)
    return dpre @ W_1.T, dW_1, db_1, dW_2, db_2


def output_layer_backward(y: np.ndarray, W_out: np.ndarray, dlogits: np.ndarray):  # (m, d), (d, V), (m, V)
    """logits = Y . W_out -> dY (m, d), dW_out (d, V). With tied weights W_out = W_E^T, so the caller adds
    dW_out^T to the embedding's gradient: the one matrix learns from both ends."""
    return dlogits @ W_out.T, y.T @ dlogits


def log_softmax(logits: np.ndarray) -> np.ndarray:  # (m, V) -> (m, V)
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> float:  # (m, V), (m,) -> ()
    """The mean over positions of -log P(true next token): 0 when every true word gets probability 1."""
    return float(-np.mean(log_softmax(logits)[np.arange(len(labels)), labels]))


def softmax_cross_entropy_backward(probs: np.ndarray, labels: np.ndarray) -> np.ndarray:  # (m, V), (m,) -> (m, V)
    """d loss / d logits = (P - onehot(labels)) / m: softmax and cross-entropy together give this simple form."""
    d = probs.copy()
    d[np.arange(len(labels)), labels] -= 1.0
    return d / len(labels)


# ================================================================ backward of model.py

def prepare_inputs_backward(cfg: Config, inp: model.Inputs, dX: np.ndarray) -> np.ndarray:  # (n, d) -> dW_E (V, d)
    """X = onehot . W_E . scale + PE."""
    d_scaled = positional_addition_backward(dX)
    dE = d_scaled * model.embedding_scale(cfg)
    return embed_backward(inp.onehot, dE)


def _attn_backward(mh, x_q, x_kv, weights, grads, prefix, dout):
    W = [weights[f"{prefix}.{m}"] for m in ("W_Q", "W_K", "W_V", "W_O")]
    dx_q, dx_kv, *dW = multi_head_attention_backward(mh, x_q, x_kv, *W, dout)
    for m, g in zip(("W_Q", "W_K", "W_V", "W_O"), dW):
        grads[f"{prefix}.{m}"] += g
    return dx_q, dx_kv


def _norm_backward(an, weights, grads, prefix, dout):
    dz, dgamma, dbeta = add_and_norm_backward(an, weights[f"{prefix}.gamma"], dout)
    grads[f"{prefix}.gamma"] += dgamma
    grads[f"{prefix}.beta"] += dbeta
    return dz


def _ffn_backward(ff, x, weights, grads, prefix, dout):
    dx, *dW = feed_forward_backward(ff, x, weights[f"{prefix}.W_1"], weights[f"{prefix}.W_2"], dout)
    for m, g in zip(("W_1", "b_1", "W_2", "b_2"), dW):
        grads[f"{prefix}.{m}"] += g
    return dx


def encoder_layer_backward(x: np.ndarray, layer: model.EncoderLayer, weights, grads, l: int,
                           dout: np.ndarray) -> np.ndarray:  # (n, d) input, dout (n, d) -> dx (n, d)
    """Adds this layer's weight gradients into grads; returns the gradient of the layer's input."""
    p = f"encoder.{l}"
    dz2 = _norm_backward(layer.norm2, weights, grads, f"{p}.norm2", dout)
    dn1 = dz2 + _ffn_backward(layer.ffn, layer.norm1.out, weights, grads, f"{p}.ffn", dz2)  # residual + sub-layer
    dz1 = _norm_backward(layer.norm1, weights, grads, f"{p}.norm1", dn1)
    dx_q, dx_kv = _attn_backward(layer.self_attn, x, x, weights, grads, f"{p}.self_attn", dz1)
    return dz1 + dx_q + dx_kv


def decoder_layer_backward(y: np.ndarray, memory: np.ndarray, layer: model.DecoderLayer, weights, grads, l: int,
                           dout: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # dout (m, d) -> dy (m, d), dmemory (n, d)
    p = f"decoder.{l}"
    dz3 = _norm_backward(layer.norm3, weights, grads, f"{p}.norm3", dout)
    dn2 = dz3 + _ffn_backward(layer.ffn, layer.norm2.out, weights, grads, f"{p}.ffn", dz3)
    dz2 = _norm_backward(layer.norm2, weights, grads, f"{p}.norm2", dn2)
    dq, dmemory = _attn_backward(layer.cross_attn, layer.norm1.out, memory, weights, grads, f"{p}.cross_attn", dz2)
    dn1 = dz2 + dq
    dz1 = _norm_backward(layer.norm1, weights, grads, f"{p}.norm1", dn1)
    dx_q, dx_kv = _attn_backward(layer.self_attn, y, y, weights, grads, f"{p}.self_attn", dz1)
    return dz1 + dx_q + dx_kv, dmemory


def _forward_backward(cfg: Config, weights, src_ids, tgt_ids, labels):
    """-> loss, grads (weights' names), probabilities (m, V) of the teacher-forced pass."""
    enc_inp, enc_layers = model.encode(src_ids, cfg, weights)
    memory = enc_layers[-1].norm2.out
    dec_inp, dec_layers, logits, probs = model.decode(tgt_ids, memory, cfg, weights)
    loss = softmax_cross_entropy(logits, labels)
    grads = {k: np.zeros_like(w) for k, w in weights.items()}

    dlogits = softmax_cross_entropy_backward(probs, labels)                 # (m, V)
    W_out = model.output_matrix(cfg, weights)
    dy, dW_out = output_layer_backward(dec_layers[-1].norm3.out, W_out, dlogits)
    if cfg.tied_output:
        grads["embedding.W_E"] += dW_out.T
    else:
        grads["output.W_out"] += dW_out
    dmemory = np.zeros_like(memory)
    for l in reversed(range(cfg.n_decoder_layers)):
        y_in = dec_layers[l - 1].norm3.out if l else dec_inp.x
        dy, dm = decoder_layer_backward(y_in, memory, dec_layers[l], weights, grads, l, dy)
        dmemory += dm                                                       # every decoder layer reads the encoder
    grads["embedding.W_E"] += prepare_inputs_backward(cfg, dec_inp, dy)
    dx = dmemory
    for l in reversed(range(cfg.n_encoder_layers)):
        x_in = enc_layers[l - 1].norm2.out if l else enc_inp.x
        dx = encoder_layer_backward(x_in, enc_layers[l], weights, grads, l, dx)
    grads["embedding.W_E"] += prepare_inputs_backward(cfg, enc_inp, dx)
    return loss, grads, probs


def loss_and_grads(cfg: Config, weights: dict[str, np.ndarray], src_ids: np.ndarray, tgt_ids: np.ndarray,
                   labels: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
    """Mean cross-entropy of the teacher-forced pass and its gradient for every weight (same names, shapes).

    src_ids (n,) encoder input; tgt_ids (m,) = <start> + target; labels (m,) = target + <end>.
    """
    loss, grads, _ = _forward_backward(cfg, weights, np.asarray(src_ids), np.asarray(tgt_ids), np.asarray(labels))
    return loss, grads


# ================================================================ Adam and the schedule

@dataclass(frozen=True)
class AdamState:
    m: dict[str, np.ndarray]   # first moment (running mean of the gradients)
    v: dict[str, np.ndarray]   # second moment (running mean of the squared gradients)
    t: int = 0                 # updates made so far


def adam_init(weights: dict[str, np.ndarray]) -> AdamState:
    return AdamState({k: np.zeros_like(w) for k, w in weights.items()},
                     {k: np.zeros_like(w) for k, w in weights.items()}, 0)


def adam_step(weights: dict[str, np.ndarray], grads: dict[str, np.ndarray], state: AdamState, lr: float,
              beta1: float = BETA1, beta2: float = BETA2, eps: float = ADAM_EPS):
    """One Adam update (Kingma & Ba, with bias correction) -> new weights, new state. Inputs are not changed."""
    t = state.t + 1
    new_w, new_m, new_v = {}, {}, {}
    for k, w in weights.items():
        g = grads[k]
        m = beta1 * state.m[k] + (1 - beta1) * g
        v = beta2 * state.v[k] + (1 - beta2) * g * g
        m_hat = m / (1 - beta1 ** t)
        v_hat = v / (1 - beta2 ** t)
        new_w[k] = w - lr * m_hat / (np.sqrt(v_hat) + eps)
        new_m[k], new_v[k] = m, v
    return new_w, AdamState(new_m, new_v, t)


def learning_rate_at(step: int, peak: float, warmup: int = DEFAULT_WARMUP) -> float:
    """The paper's schedule, d^-0.5 min(s^-0.5, s warmup^-1.5), rescaled so its peak (at s = warmup) is `peak`:
    a linear warm-up, then decay as 1/sqrt(s). step counts from 0 (s = step + 1)."""
    s = step + 1
    return peak * min(s / warmup, math.sqrt(warmup / s))


# ================================================================ the training run

@dataclass(frozen=True)
class Checkpoint:
    step: int                        # updates made before these weights
    weights: dict[str, np.ndarray]   # rounded to the run's decimals, like the weights shown
    predicted: np.ndarray            # (m,) teacher-forced argmax with exactly these weights (never <start>)
    loss: float = float("nan")       # the example pair's loss with exactly these (rounded) weights


@dataclass(frozen=True)
class TrainingRun:
    losses: np.ndarray               # (steps + 1,) loss after 0, 1, ..., steps updates (unrounded weights)
    learning_rates: np.ndarray       # (steps,) learning rate of each update
    grads: dict[str, np.ndarray]     # the gradient of every weight at step 0 (the initial weights)
    checkpoints: tuple[Checkpoint, ...]
    weights: dict[str, np.ndarray]   # the final weights, rounded to `decimals`
    steps: int                       # updates made
    reproduced: bool                 # greedy generation with the final rounded weights gives target + <end>
    decimals: int                    # decimals of the final weights (cfg.decimals unless rounding broke the result)
    final_loss: float                # loss of the final rounded weights
    warmup: int                      # warm-up steps of the schedule
    pairs: int                       # training pairs (1, or 1 + corpus lines)


def training_pairs(cfg: Config, vocab: list[str]) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(source ids, <start> + target ids, target + <end> ids); the example's pair first.

    With cfg.train_on_corpus every corpus line is also a target, with itself as the source (a copy task: the
    source sentences differ, so no two pairs ask for different answers to the same input). A line whose
    tokens equal the example's source is left out, as it would contradict the example's pair.
    """
    def pair(src_toks, tgt_toks):
        return (encode(src_toks, vocab), encode([START] + tgt_toks, vocab), encode(tgt_toks + [END], vocab))

    source, target = tokenize(cfg.source, cfg.tokenizer), tokenize(cfg.target, cfg.tokenizer)
    pairs, seen = [pair(source, target)], {tuple(source)}
    if cfg.train_on_corpus:
        for line in corpus_lines(cfg):   # the lines that built the vocabulary
            toks = tokenize(line, cfg.tokenizer)
            if toks and tuple(toks) not in seen:
                seen.add(tuple(toks))
                pairs.append(pair(toks, toks))
    return pairs


def predict(cfg: Config, weights, src_ids, tgt_ids) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Teacher-forced forward pass -> logits (m, V), probabilities (m, V) and predicted ids (m,)."""
    fwd = model.forward(src_ids, tgt_ids, cfg, weights)
    return fwd.logits, fwd.probs, fwd.predicted


def generate(cfg: Config, weights, src_ids: np.ndarray, limit: int) -> list[int]:
    """Greedy generation as the example records it (model.generate), as a list of the generated ids."""
    return list(model.generate(src_ids, cfg, weights, limit).tokens)


def round_weights(weights, decimals: int) -> dict[str, np.ndarray]:
    return {k: np.round(w, decimals) + 0.0 for k, w in weights.items()}  # + 0.0: no -0.0


def _batch_loss_and_grads(cfg: Config, w, pairs):
    """The mean loss and gradients over the pairs, and the example pair's probabilities (m, V)."""
    loss, grads, probs = _forward_backward(cfg, w, *pairs[0])
    for s_ids, t_ids, l_ids in pairs[1:]:
        l2, g2, _ = _forward_backward(cfg, w, s_ids, t_ids, l_ids)
        loss += l2
        for k in grads:
            grads[k] += g2[k]
    if len(pairs) > 1:
        loss /= len(pairs)
        grads = {k: g / len(pairs) for k, g in grads.items()}
    return loss, grads, probs


@dataclass(frozen=True)
class _Descent:
    losses: list[float]                  # (updates + 1,) loss before each update and after the last
    rates: list[float]                   # (updates,) learning rate of each update
    history: list[dict[str, np.ndarray]]  # the raw weights after 0, 1, ..., updates updates
    grads0: dict[str, np.ndarray]        # the gradient at the initial weights
    done: bool                           # stopped because the rounded weights reproduce the target


def _descend(cfg: Config, weights, pairs, steps: int, peak: float, warmup: int, expected: list[int],
             reproduces) -> _Descent:
    """Adam until the weights as shown (rounded) reproduce the target, or `steps` updates.

    Adam works on one flat vector of every weight (one numpy call per operation instead of one per
    matrix); the weight dicts are views into it.
    """
    names = list(weights)
    cuts = np.cumsum([0] + [np.size(weights[k]) for k in names])

    def as_dict(flat: np.ndarray) -> dict[str, np.ndarray]:
        return {k: flat[a:b].reshape(np.shape(weights[k])) for k, a, b in zip(names, cuts[:-1], cuts[1:])}

    theta = {"all": np.concatenate([np.asarray(weights[k], dtype=np.float64).ravel() for k in names])}
    state = adam_init(theta)
    w = as_dict(theta["all"])
    losses, rates, history = [], [], [w]
    grads0, done = None, False
    for step in range(steps + 1):
        loss, grads, probs = _batch_loss_and_grads(cfg, w, pairs)
        losses.append(loss)
        if grads0 is None:
            grads0 = grads
        # stop once the weights as shown (rounded) reproduce the target; the raw argmax is a cheap pre-check
        if model.greedy_choice(probs)[:len(expected)].tolist() == expected and reproduces(round_weights(w, cfg.decimals)):
            done = True
            break
        if step == steps:
            break
        lr = learning_rate_at(step, peak, warmup)
        rates.append(lr)
        theta, state = adam_step(theta, {"all": np.concatenate([grads[k].ravel() for k in names])}, state, lr)
        w = as_dict(theta["all"])
        history.append(w)
    return _Descent(losses, rates, history, grads0, done)


def _checkpoints(cfg: Config, descent: _Descent, final, decimals: int, pair, n_checkpoints: int) -> tuple[Checkpoint, ...]:
    """Evenly spaced moments of the run, the first and the last (the final weights) included."""
    src, tgt, lab = pair
    taken = len(descent.rates)
    marks = sorted({round(i * taken / max(n_checkpoints - 1, 1)) for i in range(n_checkpoints)} | {0, taken})
    checkpoints = []
    for k in marks:
        cw = final if k == taken else round_weights(descent.history[k], decimals)
        c_logits, _, c_pred = predict(cfg, cw, src, tgt)
        checkpoints.append(Checkpoint(k, cw, c_pred, float(softmax_cross_entropy(c_logits, lab))))
    return tuple(checkpoints)


def train(cfg: Config, weights: dict[str, np.ndarray], vocab: list[str], steps: int | None = None,
          learning_rate: float | None = None, warmup: int = DEFAULT_WARMUP, on_corpus: bool | None = None,
          n_checkpoints: int = DEFAULT_CHECKPOINTS) -> TrainingRun:
    """Train from `weights` with Adam on the teacher-forced pairs until greedy generation with the weights
    rounded to cfg.decimals reproduces the target exactly, or `steps` updates (default cfg.train_steps).

    The rounded weights are checked, not the raw ones, so the weights shown on screen are the ones that
    reproduce the target. If the step limit is reached with raw weights that reproduce it but rounded ones
    that do not, more decimals are kept (up to 6) and the run says how many.
    """
    steps = cfg.train_steps if steps is None else steps
    peak = cfg.learning_rate if learning_rate is None else learning_rate
    on_corpus = cfg.train_on_corpus if on_corpus is None else on_corpus
    pairs = training_pairs(dataclasses.replace(cfg, train_on_corpus=on_corpus), vocab)
    src, tgt, lab = pairs[0]
    limit = model.generation_limit(cfg, len(tgt) - 1)    # len(tgt) - 1 = target length, as the example
    expected = lab.tolist()[:limit]

    def reproduces(w) -> bool:
        return generate(cfg, w, src, limit) == expected

    descent = _descend(cfg, weights, pairs, steps, peak, warmup, expected, reproduces)
    w, done, decimals = descent.history[-1], descent.done, cfg.decimals
    if not done and reproduces(w):
        # rounding to cfg.decimals broke the learned prediction: keep more decimals, the fewest that work
        for d in range(cfg.decimals + 1, 7):
            if reproduces(round_weights(w, d)):
                decimals, done = d, True
                break
    final = round_weights(w, decimals)
    logits, _, _ = predict(cfg, final, src, tgt)
    final_loss = softmax_cross_entropy(logits, lab)
    checkpoints = _checkpoints(cfg, descent, final, decimals, pairs[0], n_checkpoints)
    return TrainingRun(np.array(descent.losses), np.array(descent.rates), descent.grads0, checkpoints, final,
                       len(descent.rates), bool(done and reproduces(final)), decimals, float(final_loss), warmup,
                       len(pairs))


# ================================================================ the first update, step by step

@dataclass(frozen=True)
class FirstUpdate:
    """The run's first step traced through the output layer, for chapter 14 (the example's train.0.* steps)."""
    probs: np.ndarray        # (m, V) probabilities of the initial weights on the example's pair
    token_loss: np.ndarray   # (m,)   -log P of each true next word
    loss: np.ndarray         # ()     their mean
    output: np.ndarray       # (m, d) decoder output Y of the initial weights, the output layer's input
    dlogits: np.ndarray      # (m, V) (P - onehot(labels)) / m
    dW_out: np.ndarray       # (d, V) Y^T dlogits: the output layer's part of the gradient
    W_out: np.ndarray        # (d, V) the output matrix before training (W_E^T when tied)
    grad: np.ndarray         # (d, V) its whole gradient at step 0 (the run's, the embedding's part included when tied)
    lr: float                # the first update's learning rate
    m: np.ndarray            # (d, V) Adam's first moment after one update
    v: np.ndarray            # (d, V) and its second moment
    update: np.ndarray       # (d, V) W_out - W_out after
    after: np.ndarray        # (d, V) the output matrix after one update


def first_update(cfg: Config, initial: dict[str, np.ndarray], run: TrainingRun, src_ids: np.ndarray,
                 tgt_ids: np.ndarray, lab_ids: np.ndarray) -> FirstUpdate:  # (n,), (m,), (m,) -> (d, V) in .after
    """The loss of the initial weights on the example's pair, its gradient traced back through the output layer
    by the chain rule, and Adam's first update of the output matrix (= W_E transposed when tied)."""
    m = len(tgt_ids)
    fwd = model.forward(src_ids, tgt_ids, cfg, initial)
    Y = fwd.output                                                           # (m, d)
    W = model.output_matrix(cfg, initial)                                    # (d, V)
    token_loss = -log_softmax(fwd.logits)[np.arange(m), lab_ids]             # (m,)
    dlogits = softmax_cross_entropy_backward(fwd.probs, lab_ids)             # (m, V) = (P - onehot) / m
    _, dW = output_layer_backward(Y, W, dlogits)                             # (d, V) = Y^T dlogits
    full = run.grads["embedding.W_E"].T if cfg.tied_output else run.grads["output.W_out"]   # (d, V)
    lr = learning_rate_at(0, cfg.learning_rate, run.warmup)
    after, state = adam_step({"W": W}, {"W": full}, adam_init({"W": W}), lr)
    return FirstUpdate(fwd.probs, token_loss, np.array(token_loss.mean()), Y, dlogits, dW, W, full, lr,
                       state.m["W"], state.v["W"], W - after["W"], after["W"])
