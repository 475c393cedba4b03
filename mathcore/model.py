"""The encoder-decoder model: seeded weights and the forward pass through every layer."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import Config
from .layers import (AddNorm, FeedForward, MultiHead, add_and_norm, causal_mask, embed, feed_forward,
                     multi_head_attention, output_layer, positional_encoding)


# ---------------------------------------------------------------- weights

def weight_shapes(cfg: Config, vocab_size: int) -> dict[str, tuple[int, ...]]:
    """Every weight's name and shape, in the order they are drawn from the generator."""
    d, f = cfg.d_model, cfg.d_ff
    shapes: dict[str, tuple[int, ...]] = {"embedding.W_E": (vocab_size, d)}

    def attn(prefix):
        for m in ("W_Q", "W_K", "W_V", "W_O"):
            shapes[f"{prefix}.{m}"] = (d, d)   # no biases in the attention projections

    def norm(prefix):
        shapes[f"{prefix}.gamma"] = (d,)
        shapes[f"{prefix}.beta"] = (d,)

    def ffn(prefix):
        shapes.update({f"{prefix}.W_1": (d, f), f"{prefix}.b_1": (f,), f"{prefix}.W_2": (f, d), f"{prefix}.b_2": (d,)})

    for l in range(cfg.n_encoder_layers):
        attn(f"encoder.{l}.self_attn"); norm(f"encoder.{l}.norm1")
        ffn(f"encoder.{l}.ffn"); norm(f"encoder.{l}.norm2")
    for l in range(cfg.n_decoder_layers):
        attn(f"decoder.{l}.self_attn"); norm(f"decoder.{l}.norm1")
        attn(f"decoder.{l}.cross_attn"); norm(f"decoder.{l}.norm2")
        ffn(f"decoder.{l}.ffn"); norm(f"decoder.{l}.norm3")
    if not cfg.tied_output:
        shapes["output.W_out"] = (d, vocab_size)
    return shapes


def init_weights(cfg: Config, vocab_size: int) -> dict[str, np.ndarray]:
    """Seeded, zero-mean weights, rounded to cfg.decimals when created so the numbers shown are the numbers used.

    Matrices: Xavier-uniform U(-a, a), a = sqrt(6 / (fan_in + fan_out)); zero mean matters, since
    all-positive weights make every attention row almost uniform. Feed-forward biases: U(-1/sqrt(fan_in),
    1/sqrt(fan_in)) as torch.nn.Linear. LayerNorm: gamma = 1, beta = 0.
    """
    rng = np.random.default_rng(cfg.seed)
    weights = {}
    for name, shape in weight_shapes(cfg, vocab_size).items():
        kind = name.rsplit(".", 1)[1]
        if kind == "gamma":
            w = np.ones(shape)
        elif kind == "beta":
            w = np.zeros(shape)
        elif kind.startswith("b_"):
            fan_in = cfg.d_model if kind == "b_1" else cfg.d_ff
            bound = 1.0 / np.sqrt(fan_in)
            w = np.round(rng.uniform(-bound, bound, shape), cfg.decimals)
        else:
            a = np.sqrt(6.0 / (shape[0] + shape[1]))
            w = np.round(rng.uniform(-a, a, shape), cfg.decimals)
        weights[name] = w + 0.0  # + 0.0 turns any -0.0 from rounding into 0.0
    return weights


def output_matrix(cfg: Config, weights: dict[str, np.ndarray]) -> np.ndarray:  # -> (d, V)
    """Tied: the transpose of the embedding (the paper shares them); otherwise its own matrix."""
    return weights["embedding.W_E"].T if cfg.tied_output else weights["output.W_out"]


# ---------------------------------------------------------------- layers

@dataclass(frozen=True)
class Inputs:
    onehot: np.ndarray      # (n, V)
    embedding: np.ndarray   # (n, d)  onehot . W_E
    scaled: np.ndarray      # (n, d)  embedding x sqrt(d_model) (x 1 when scaling is off)
    positional: np.ndarray  # (n, d)  PE
    x: np.ndarray           # (n, d)  scaled + PE: an addition, not a concatenation


@dataclass(frozen=True)
class EncoderLayer:
    self_attn: MultiHead
    norm1: AddNorm
    ffn: FeedForward
    norm2: AddNorm


@dataclass(frozen=True)
class DecoderLayer:
    self_attn: MultiHead
    norm1: AddNorm
    cross_attn: MultiHead
    norm2: AddNorm
    ffn: FeedForward
    norm3: AddNorm


def embedding_scale(cfg: Config) -> float:
    return float(np.sqrt(cfg.d_model)) if cfg.scale_embedding else 1.0


def prepare_inputs(ids: np.ndarray, cfg: Config, weights: dict[str, np.ndarray]) -> Inputs:  # (n,) -> Inputs
    onehot, e = embed(ids, weights["embedding.W_E"])
    scaled = e * embedding_scale(cfg)
    pe = positional_encoding(len(ids), cfg.d_model)
    return Inputs(onehot, e, scaled, pe, scaled + pe)


def _attn(x_q, x_kv, weights, prefix, cfg, mask=None) -> MultiHead:
    W = [weights[f"{prefix}.{m}"] for m in ("W_Q", "W_K", "W_V", "W_O")]
    return multi_head_attention(x_q, x_kv, *W, n_heads=cfg.n_heads, mask=mask)


def _norm(x, sub, weights, prefix) -> AddNorm:
    return add_and_norm(x, sub, weights[f"{prefix}.gamma"], weights[f"{prefix}.beta"])


def _ffn(x, weights, prefix) -> FeedForward:
    return feed_forward(x, *(weights[f"{prefix}.{m}"] for m in ("W_1", "b_1", "W_2", "b_2")))


def encoder_layer(x: np.ndarray, weights, l: int, cfg: Config) -> EncoderLayer:  # (n, d) -> (n, d) in .norm2.out
    p = f"encoder.{l}"
    sa = _attn(x, x, weights, f"{p}.self_attn", cfg)
    n1 = _norm(x, sa.out, weights, f"{p}.norm1")
    ff = _ffn(n1.out, weights, f"{p}.ffn")
    return EncoderLayer(sa, n1, ff, _norm(n1.out, ff.out, weights, f"{p}.norm2"))


def decoder_layer(y: np.ndarray, memory: np.ndarray, weights, l: int, cfg: Config) -> DecoderLayer:  # (m, d), (n, d) -> (m, d)
    p = f"decoder.{l}"
    sa = _attn(y, y, weights, f"{p}.self_attn", cfg, mask=causal_mask(len(y)))
    n1 = _norm(y, sa.out, weights, f"{p}.norm1")
    ca = _attn(n1.out, memory, weights, f"{p}.cross_attn", cfg)  # Q from the decoder, K and V from the encoder
    n2 = _norm(n1.out, ca.out, weights, f"{p}.norm2")
    ff = _ffn(n2.out, weights, f"{p}.ffn")
    return DecoderLayer(sa, n1, ca, n2, ff, _norm(n2.out, ff.out, weights, f"{p}.norm3"))


def encode(ids: np.ndarray, cfg: Config, weights) -> tuple[Inputs, list[EncoderLayer]]:  # (n,) -> encoder output in layers[-1].norm2.out
    inp = prepare_inputs(ids, cfg, weights)
    layers, x = [], inp.x
    for l in range(cfg.n_encoder_layers):
        layers.append(encoder_layer(x, weights, l, cfg))
        x = layers[-1].norm2.out
    return inp, layers


def decode(ids: np.ndarray, memory: np.ndarray, cfg: Config, weights) -> tuple[Inputs, list[DecoderLayer], np.ndarray, np.ndarray]:
    """(m,) target ids, (n, d) encoder output -> inputs, layers, logits (m, V), probabilities (m, V)."""
    inp = prepare_inputs(ids, cfg, weights)
    layers, y = [], inp.x
    for l in range(cfg.n_decoder_layers):
        layers.append(decoder_layer(y, memory, weights, l, cfg))
        y = layers[-1].norm3.out
    logits, probs = output_layer(y, output_matrix(cfg, weights))  # every position on its own
    return inp, layers, logits, probs
