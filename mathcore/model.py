"""The encoder-decoder model: seeded weights, the forward pass through every layer, and greedy generation.

    fwd = forward(src_ids, tgt_ids, cfg, weights)        # teacher forcing: every target position at once
    gen = generate(src_ids, cfg, weights, limit)         # one token at a time, fed back in until <end>
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import Config
from .layers import (AddNorm, FeedForward, MultiHead, add_and_norm, causal_mask, embed, feed_forward,
                     multi_head_attention, output_layer, positional_encoding)
from .tokenizer import END_ID, START_ID

TIE_TOLERANCE = 1e-12   # probabilities this close to the maximum count as tied


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


def decode(ids: np.ndarray, memory: np.ndarray, cfg: Config,
           weights) -> tuple[Inputs, list[DecoderLayer], np.ndarray, np.ndarray]:  # (m,), (n, d) -> 2 x (m, V)
    """(m,) target ids, (n, d) encoder output -> inputs, layers, logits (m, V), probabilities (m, V)."""
    inp = prepare_inputs(ids, cfg, weights)
    layers, y = [], inp.x
    for l in range(cfg.n_decoder_layers):
        layers.append(decoder_layer(y, memory, weights, l, cfg))
        y = layers[-1].norm3.out
    logits, probs = output_layer(y, output_matrix(cfg, weights))  # every position on its own
    return inp, layers, logits, probs


# ---------------------------------------------------------------- the whole pass and greedy decoding

def greedy_choice(probs: np.ndarray) -> np.ndarray:  # (..., V) -> (...,) int ids
    """The most probable token, never <start> (id 0): it only ever marks the beginning of the input."""
    # Ties (equal to the last bit or nearly: d_model = 2 makes exact ties common) go to the lowest id,
    # so the choice does not depend on how a BLAS library rounds the last bit.
    p = probs[..., 1:]
    near_max = p >= np.max(p, axis=-1, keepdims=True) - TIE_TOLERANCE
    return (np.argmax(near_max, axis=-1) + 1).astype(np.int64)


@dataclass(frozen=True)
class Forward:
    encoder_inputs: Inputs
    encoder_layers: tuple[EncoderLayer, ...]
    decoder_inputs: Inputs
    decoder_layers: tuple[DecoderLayer, ...]
    logits: np.ndarray      # (m, V)  every target position projected on its own
    probs: np.ndarray       # (m, V)  softmax of each row
    predicted: np.ndarray   # (m,)    greedy choice at each position (never <start>)

    @property
    def memory(self) -> np.ndarray:  # (n, d) the encoder output that cross-attention reads
        return self.encoder_layers[-1].norm2.out

    @property
    def output(self) -> np.ndarray:  # (m, d) the decoder output, the output layer's input
        return self.decoder_layers[-1].norm3.out


def forward(src_ids: np.ndarray, tgt_ids: np.ndarray, cfg: Config, weights) -> Forward:  # (n,), (m,) -> .probs (m, V)
    """Teacher forcing: the encoder on the source, then the decoder on the whole shifted target in one pass."""
    enc_inp, enc_layers = encode(src_ids, cfg, weights)
    dec_inp, dec_layers, logits, probs = decode(tgt_ids, enc_layers[-1].norm2.out, cfg, weights)
    return Forward(enc_inp, tuple(enc_layers), dec_inp, tuple(dec_layers), logits, probs, greedy_choice(probs))


@dataclass(frozen=True)
class GenerationStep:
    ids: np.ndarray      # (t + 1,) the decoder's input: <start> and the tokens chosen so far
    logits: np.ndarray   # (V,)     the last position's logits: they score every word as the next one
    probs: np.ndarray    # (V,)     their softmax
    token: int           # the greedy choice, appended to the input


@dataclass(frozen=True)
class Generation:
    steps: tuple[GenerationStep, ...]

    @property
    def tokens(self) -> tuple[int, ...]:  # the generated ids, <end> included when it was reached
        return tuple(s.token for s in self.steps)


def generation_limit(cfg: Config, target_length: int) -> int:
    """cfg.max_new_tokens, or (when 0) room for the whole target and its <end>."""
    return cfg.max_new_tokens or target_length + 1


def generate(src_ids: np.ndarray, cfg: Config, weights, limit: int) -> Generation:  # (n,) -> at most limit ids
    """Greedy decoding: from <start>, run the decoder on the tokens so far, append the most probable next token
    (greedy_choice: ties to the lowest id, never <start>) and repeat until <end> or `limit` tokens."""
    _, enc_layers = encode(src_ids, cfg, weights)
    memory = enc_layers[-1].norm2.out                  # (n, d) computed once: the source does not change
    ids, steps = [START_ID], []
    for _ in range(limit):
        inp = np.array(ids, dtype=np.int64)            # (t + 1,)
        _, _, logits, probs = decode(inp, memory, cfg, weights)
        token = int(greedy_choice(probs[-1]))
        steps.append(GenerationStep(inp, logits[-1], probs[-1], token))
        ids.append(token)
        if token == END_ID:
            break
    return Generation(tuple(steps))
