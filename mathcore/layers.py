"""The transformer's forward pass as pure numpy functions, in the paper's order.

Tokens are rows: X is n x d_model and Q = X . W_Q. Every function returns its intermediates in a small
frozen dataclass so the example builder can record each one as a named step.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LN_EPS = 1e-5  # inside the square root, as torch.nn.LayerNorm


# ---------------------------------------------------------------- embedding and positions

def embed(ids: np.ndarray, W_E: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # (n,), (V, d) -> (n, V), (n, d)
    """E = onehot(ids) . W_E: the product picks row ids[i] of W_E for token i."""
    onehot = np.eye(W_E.shape[0])[ids]
    return onehot, onehot @ W_E


def positional_encoding(n: int, d_model: int) -> np.ndarray:  # -> (n, d_model)
    """PE[pos, 2i] = sin(pos / 10000^(2i/d)), PE[pos, 2i+1] = cos(same angle).

    The exponent uses the pair index i = k // 2, not the column k: columns 2i and 2i+1 share a frequency.
    """
    pos = np.arange(n)[:, None]                            # (n, 1)
    pair = np.arange(d_model) // 2                         # (d,) 0, 0, 1, 1, 2, 2, ...
    angle = pos / np.power(10000.0, 2 * pair / d_model)    # (n, d)
    return np.where(np.arange(d_model) % 2 == 0, np.sin(angle), np.cos(angle))


def frequencies(d_model: int) -> np.ndarray:  # -> (d_model,) radians per position of each column
    return 1.0 / np.power(10000.0, 2 * (np.arange(d_model) // 2) / d_model)


# ---------------------------------------------------------------- attention

@dataclass(frozen=True)
class Head:
    q: np.ndarray        # (n, d_k)  queries: X_q . W_Q[:, head]
    k: np.ndarray        # (m, d_k)  keys: X_kv . W_K[:, head]
    v: np.ndarray        # (m, d_k)  values: X_kv . W_V[:, head]
    scores: np.ndarray   # (n, m)    Q . K^T
    scaled: np.ndarray   # (n, m)    Q . K^T / sqrt(d_k)
    masked: np.ndarray   # (n, m)    scaled with -inf above the diagonal (equal to scaled without a mask)
    weights: np.ndarray  # (n, m)    softmax of each row
    out: np.ndarray      # (n, d_k)  weights . V


@dataclass(frozen=True)
class MultiHead:
    heads: tuple[Head, ...]
    concat: np.ndarray   # (n, d)  Concat(head_1 ... head_h)
    out: np.ndarray      # (n, d)  concat . W_O


def softmax(x: np.ndarray) -> np.ndarray:  # (..., m) -> (..., m), each row sums to 1
    # Subtracting the row maximum changes nothing mathematically and keeps exp() from overflowing;
    # exp(-inf) is exactly 0, which is how masked cells become exact zeros.
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def causal_mask(n: int) -> np.ndarray:  # -> (n, n) bool, True where position i may NOT see j (j > i)
    return np.triu(np.ones((n, n), dtype=bool), k=1)


def attention_head(q: np.ndarray, k: np.ndarray, v: np.ndarray, mask: np.ndarray | None) -> Head:  # (n,dk),(m,dk),(m,dk)
    """One head on already-projected Q, K, V: softmax(Q K^T / sqrt(d_k)) V."""
    scores = q @ k.T                                   # (n, m) the only place where tokens exchange information
    scaled = scores / np.sqrt(q.shape[1])              # (n, m) back to unit variance
    masked = np.where(mask, -np.inf, scaled) if mask is not None else scaled
    weights = softmax(masked)                          # (n, m)
    return Head(q, k, v, scores, scaled, masked, weights, weights @ v)


def multi_head_attention(x_q: np.ndarray, x_kv: np.ndarray, W_Q: np.ndarray, W_K: np.ndarray,
                         W_V: np.ndarray, W_O: np.ndarray, n_heads: int,
                         mask: np.ndarray | None = None) -> MultiHead:  # (n, d), (m, d), 4 x (d, d) -> (n, d)
    """Concat(head_1 ... head_h) . W_O; head i uses columns [i*d_k, (i+1)*d_k) of W_Q, W_K, W_V.

    Self-attention passes the same X twice; cross-attention passes the decoder state as x_q and the
    encoder output as x_kv (queries from the decoder, keys and values from the encoder).
    """
    d_k = W_Q.shape[1] // n_heads
    Q, K, V = x_q @ W_Q, x_kv @ W_K, x_kv @ W_V       # (n, d), (m, d), (m, d)
    heads = tuple(
        attention_head(Q[:, s], K[:, s], V[:, s], mask)
        for s in (slice(i * d_k, (i + 1) * d_k) for i in range(n_heads)))
    concat = np.concatenate([h.out for h in heads], axis=1)  # (n, d)
    return MultiHead(heads, concat, concat @ W_O)


# ---------------------------------------------------------------- add & norm, feed-forward

@dataclass(frozen=True)
class AddNorm:
    sum: np.ndarray         # (n, d)  x + sublayer(x), the residual connection
    mean: np.ndarray        # (n,)    per row
    var: np.ndarray         # (n,)    per row, population variance
    normalized: np.ndarray  # (n, d)  (sum - mean) / sqrt(var + eps)
    out: np.ndarray         # (n, d)  gamma * normalized + beta


def add_and_norm(x: np.ndarray, sub: np.ndarray, gamma: np.ndarray, beta: np.ndarray) -> AddNorm:  # (n,d),(n,d),(d,),(d,)
    """Post-norm as in the paper: LayerNorm(x + Sublayer(x)), each row on its own."""
    z = x + sub
    mean = z.mean(axis=1)
    var = z.var(axis=1)                                     # population variance (divide by d), as torch
    normalized = (z - mean[:, None]) / np.sqrt(var[:, None] + LN_EPS)
    return AddNorm(z, mean, var, normalized, gamma * normalized + beta)


@dataclass(frozen=True)
class FeedForward:
    pre: np.ndarray     # (n, d_ff)  x . W_1 + b_1, widening
    hidden: np.ndarray  # (n, d_ff)  ReLU: negatives become 0
    out: np.ndarray     # (n, d)     hidden . W_2 + b_2, narrowing


def feed_forward(x: np.ndarray, W_1: np.ndarray, b_1: np.ndarray, W_2: np.ndarray,
                 b_2: np.ndarray) -> FeedForward:  # (n, d), (d, d_ff), (d_ff,), (d_ff, d), (d,) -> (n, d)
    """FFN(x) = max(0, x W_1 + b_1) W_2 + b_2: two layers with a ReLU between, applied to each row alone."""
    pre = x @ W_1 + b_1
    hidden = np.maximum(pre, 0.0)
    return FeedForward(pre, hidden, hidden @ W_2 + b_2)


# ---------------------------------------------------------------- output

def output_layer(y: np.ndarray, W_out: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # (m, d), (d, V) -> 2 x (m, V)
    """Each position separately: logits = Y . W_out, probabilities = softmax of each row."""
    logits = y @ W_out
    return logits, softmax(logits)
