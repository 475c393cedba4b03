"""Transformers at scale on a napkin: shapes, parameter counts, FLOPs and memory.

Numpy-free arithmetic on a `ModelSpec`, for chapters 11 and 12 (docs/teaching-notes.md §4 and §5). Every function
is pure and returns plain numbers or a small frozen dataclass; units are in the comments (FLOPs are floating
point operations, one multiply-add = 2 FLOPs; memory is in bytes; 1 GB = 1e9 bytes, 1 GiB = 2**30 bytes).

Conventions (the same as the rest of mathcore): tokens are rows, X is n x d_model and Q = X @ W_Q, so a
weight matrix has shape (inputs, outputs).

Sources for the formulas:
  Kaplan et al. 2020, "Scaling Laws for Neural Language Models", table 1 (forward FLOPs per token).
  Brown et al. 2020, "Language Models are Few-Shot Learners", table 2.1 and appendix D (GPT-3 sizes, compute).
  Hoffmann et al. 2022, "Training Compute-Optimal Large Language Models" (Chinchilla, D ~ 20 P).
  Rajbhandari et al. 2020, "ZeRO" (mixed-precision Adam: 16 bytes per parameter).
  Korthikanti et al. 2022, "Reducing Activation Recomputation in Large Transformer Models" (activations).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

SECONDS_PER_DAY = 86_400
PETAFLOP_S_DAY = 1e15 * SECONDS_PER_DAY  # FLOPs done by 1 PFLOP/s sustained for a day = 8.64e19

# Storage per parameter (or per cached K/V value) at each precision, in bytes.
BYTES_PER_PARAM = {"fp32": 4.0, "fp16": 2.0, "bf16": 2.0, "int8": 1.0, "int4": 0.5}

_POSITIONS = ("sinusoidal", "learned", "rope")
_ACTIVATIONS = ("relu", "gelu", "swiglu")
_NORM_PLACES = ("post", "pre")
_NORM_TYPES = ("layernorm", "rmsnorm")
_ARCHS = ("encoder-decoder", "decoder")
_RECOMPUTE = ("none", "selective", "full")


@dataclass(frozen=True)
class ModelSpec:
    """The sizes and design choices of a transformer, enough to count its parameters, FLOPs and memory.

    `n_layers` is the number of decoder layers (the stack every model has); `n_encoder_layers` is 0 for a
    decoder-only model. An encoder-decoder model has one vocabulary and one embedding matrix shared by the
    encoder and the decoder (as in Vaswani et al. and in our worked example); `tied_embeddings` additionally
    reuses that matrix, transposed, as the output layer.
    """

    name: str
    n_layers: int                 # decoder layers
    d_model: int
    n_heads: int                  # query heads
    d_head: int                   # d_k = d_v
    d_ff: int                     # feed-forward hidden width
    vocab_size: int
    n_ctx: int                    # context length (tokens)
    position: str = "sinusoidal"  # "sinusoidal" | "learned" | "rope"
    activation: str = "relu"      # "relu" | "gelu" | "swiglu"
    norm: str = "post"            # "post": LN(x + f(x)) | "pre": x + f(LN(x)), plus a final LN per stack
    norm_type: str = "layernorm"  # "layernorm" (gamma and beta) | "rmsnorm" (gamma only)
    n_kv_heads: int | None = None  # grouped-query attention: heads that share K and V; None = n_heads
    arch: str = "decoder"         # "encoder-decoder" | "decoder"
    n_encoder_layers: int = 0
    tied_embeddings: bool = True  # output layer = W_E transposed, no matrix of its own
    attn_bias: bool = True        # biases in W_Q, W_K, W_V, W_O
    ffn_bias: bool = True         # biases in the feed-forward linears
    output_bias: bool = False     # a bias on the logits (none of the presets has one)

    def __post_init__(self):
        for field, value, allowed in (
            ("position", self.position, _POSITIONS),
            ("activation", self.activation, _ACTIVATIONS),
            ("norm", self.norm, _NORM_PLACES),
            ("norm_type", self.norm_type, _NORM_TYPES),
            ("arch", self.arch, _ARCHS),
        ):
            if value not in allowed:
                raise ValueError(f"ModelSpec.{field} is {value!r}; use one of {', '.join(allowed)}.")
        sizes = ("n_layers", "d_model", "n_heads", "d_head", "d_ff", "vocab_size", "n_ctx")
        for field in sizes:
            if getattr(self, field) < 1:
                raise ValueError(f"ModelSpec.{field} is {getattr(self, field)}; it must be at least 1.")
        if self.n_kv_heads is None:
            object.__setattr__(self, "n_kv_heads", self.n_heads)  # plain multi-head attention
        if self.n_kv_heads < 1 or self.n_heads % self.n_kv_heads:
            raise ValueError(f"ModelSpec.n_kv_heads is {self.n_kv_heads}; it must divide n_heads ({self.n_heads}).")
        if self.arch == "decoder" and self.n_encoder_layers:
            raise ValueError("ModelSpec.n_encoder_layers must be 0 for a decoder-only model; use arch='encoder-decoder'.")
        if self.arch == "encoder-decoder" and self.n_encoder_layers < 1:
            raise ValueError("ModelSpec.n_encoder_layers must be at least 1 for an encoder-decoder model.")

    @property
    def d_attn(self) -> int:  # width of the concatenated query heads
        return self.n_heads * self.d_head

    @property
    def d_kv(self) -> int:  # width of K (and of V): smaller than d_attn under grouped-query attention
        return self.n_kv_heads * self.d_head

    @property
    def is_encoder_decoder(self) -> bool:
        return self.arch == "encoder-decoder"

    @property
    def n_attention_blocks(self) -> int:  # self-attention in every layer, plus cross-attention per decoder layer
        return self.n_encoder_layers + self.n_layers * (2 if self.is_encoder_decoder else 1)

    @property
    def n_layers_total(self) -> int:
        return self.n_encoder_layers + self.n_layers


def toy_spec(  # the worked example's architecture at any of its configurable sizes
    d_model: int = 6,
    n_heads: int = 2,
    d_ff: int = 12,
    vocab_size: int = 25,
    n_encoder_layers: int = 1,
    n_decoder_layers: int = 1,
    tied: bool = True,
    n_ctx: int = 12,
    name: str = "toy",
) -> ModelSpec:
    """The worked example of docs/teaching-notes.md §1 as a ModelSpec.

    Encoder-decoder, post-norm LayerNorm (gamma and beta) after every sub-layer, no biases in W_Q W_K W_V W_O,
    biases in both feed-forward linears, ReLU, sinusoidal positions (no position parameters), one embedding
    matrix shared by encoder and decoder, output layer tied to it unless `tied` is False. d_head = d_model /
    n_heads. n_ctx only matters for shapes and FLOPs; 12 is the longest source sentence the videos allow.
    """
    if n_heads < 1 or d_model % n_heads:
        raise ValueError(f"n_heads ({n_heads}) must divide d_model ({d_model}); try n_heads = 1, 2 or 3 for d_model 6.")
    return ModelSpec(
        name=name, arch="encoder-decoder", n_encoder_layers=n_encoder_layers, n_layers=n_decoder_layers,
        d_model=d_model, n_heads=n_heads, d_head=d_model // n_heads, d_ff=d_ff, vocab_size=vocab_size,
        n_ctx=n_ctx, position="sinusoidal", activation="relu", norm="post", norm_type="layernorm",
        tied_embeddings=tied, attn_bias=False, ffn_bias=True,
    )


PRESETS: dict[str, ModelSpec] = {
    "toy": toy_spec(),
    # Vaswani et al. 2017, table 3 "base": 6 + 6 layers, shared 37000-token BPE vocabulary (EN-DE), embeddings
    # shared by encoder, decoder and the pre-softmax layer. The paper fixes no context length (sinusoids
    # extrapolate); 512 is a conventional figure. Attention without biases, as in tensor2tensor.
    "transformer-base": ModelSpec(
        name="transformer-base", arch="encoder-decoder", n_encoder_layers=6, n_layers=6, d_model=512,
        n_heads=8, d_head=64, d_ff=2048, vocab_size=37000, n_ctx=512, position="sinusoidal",
        activation="relu", norm="post", tied_embeddings=True, attn_bias=False, ffn_bias=True,
    ),
    # Radford et al. 2019, the 124M model as released (and as in nanoGPT / picoGPT).
    "gpt2-small": ModelSpec(
        name="gpt2-small", n_layers=12, d_model=768, n_heads=12, d_head=64, d_ff=3072, vocab_size=50257,
        n_ctx=1024, position="learned", activation="gelu", norm="pre", tied_embeddings=True,
    ),
    # Brown et al. 2020, table 2.1. (Dense and locally banded sparse attention alternate; not modelled here,
    # it changes no parameter count.)
    "gpt3-175b": ModelSpec(
        name="gpt3-175b", n_layers=96, d_model=12288, n_heads=96, d_head=128, d_ff=49152, vocab_size=50257,
        n_ctx=2048, position="learned", activation="gelu", norm="pre", tied_embeddings=True,
    ),
    # Meta 2024, Llama 3 8B: grouped-query attention (8 K/V heads for 32 query heads), SwiGLU, RMSNorm,
    # RoPE, no biases, separate output matrix.
    "llama3-8b": ModelSpec(
        name="llama3-8b", n_layers=32, d_model=4096, n_heads=32, n_kv_heads=8, d_head=128, d_ff=14336,
        vocab_size=128256, n_ctx=8192, position="rope", activation="swiglu", norm="pre", norm_type="rmsnorm",
        tied_embeddings=False, attn_bias=False, ffn_bias=False,
    ),
}


# ---------------------------------------------------------------------------------------------- shapes


def stage_shapes(spec: ModelSpec, n: int | None = None, n_src: int | None = None) -> list[tuple[str, tuple[int, ...]]]:  # n target tokens, n_src source tokens -> [(stage, shape)]
    """The shape of every stage of one forward pass, in paper order, for n tokens (default: the full n_ctx).

    Only the first layer of each stack is listed (every layer has the same shapes); per-head entries are for
    one head (there are n_heads of them; under grouped-query attention only n_kv_heads distinct K and V).
    For an encoder-decoder model the encoder reads n_src tokens (default n) and cross-attention scores are
    n x n_src. The logits are per position: n x vocab, never a flattened vector.
    """
    n = spec.n_ctx if n is None else n
    n_src = n if n_src is None else n_src
    d, v, dh = spec.d_model, spec.vocab_size, spec.d_head
    ffn_in = "x·[W_gate | W_up]" if spec.activation == "swiglu" else "x·W_1"

    def embed(prefix: str, m: int) -> list[tuple[str, tuple[int, ...]]]:  # m tokens -> stages
        out = [(f"{prefix}token ids", (m,)), (f"{prefix}one-hot", (m, v)), ("W_E", (v, d)),
               (f"{prefix}E = onehot·W_E", (m, d))]
        if spec.position == "learned":
            out.append(("W_pos", (spec.n_ctx, d)))
        if spec.position in ("learned", "sinusoidal"):
            out += [(f"{prefix}positions P", (m, d)), (f"{prefix}X = E + P", (m, d))]
        return out  # rope adds no vectors: it rotates each head's Q and K instead

    def attention(prefix: str, m_q: int, m_kv: int) -> list[tuple[str, tuple[int, ...]]]:  # queries, keys
        out = [
            (f"{prefix}W_Q (one head)", (d, dh)), (f"{prefix}W_K (one head)", (d, dh)),
            (f"{prefix}W_V (one head)", (d, dh)), (f"{prefix}Q (one head)", (m_q, dh)),
            (f"{prefix}K (one head)", (m_kv, dh)), (f"{prefix}V (one head)", (m_kv, dh)),
        ]
        if spec.position == "rope":  # positions enter here, as a rotation of each head's queries and keys
            out += [(f"{prefix}RoPE-rotated Q (one head)", (m_q, dh)), (f"{prefix}RoPE-rotated K (one head)", (m_kv, dh))]
        return out + [
            (f"{prefix}scores Q·Kᵀ/√d_k (one head)", (m_q, m_kv)),
            (f"{prefix}weights softmax (one head)", (m_q, m_kv)),
            (f"{prefix}head A·V (one head)", (m_q, dh)),
            (f"{prefix}concat heads", (m_q, spec.d_attn)), (f"{prefix}W_O", (spec.d_attn, d)),
            (f"{prefix}attention output", (m_q, d)),
        ]

    def ffn(prefix: str, m: int) -> list[tuple[str, tuple[int, ...]]]:  # m tokens -> stages
        return [(f"{prefix}FFN hidden {ffn_in}", (m, spec.d_ff)), (f"{prefix}FFN output", (m, d))]

    shapes: list[tuple[str, tuple[int, ...]]] = []
    if spec.is_encoder_decoder:
        shapes += embed("encoder ", n_src)
        shapes += attention("encoder self-attention: ", n_src, n_src)
        shapes += ffn("encoder ", n_src)
        shapes.append(("encoder output", (n_src, d)))
        shapes += [s for s in embed("decoder ", n) if s[0] != "W_E"]  # one shared W_E
        shapes += attention("decoder masked self-attention: ", n, n)
        shapes += attention("cross-attention: ", n, n_src)
        shapes += ffn("decoder ", n)
    else:
        shapes += embed("", n)
        shapes += attention("", n, n)
        shapes += ffn("", n)
    shapes.append(("final hidden states", (n, d)))
    shapes.append(("W_Eᵀ (tied output)" if spec.tied_embeddings else "W_out", (d, v)))
    shapes += [("logits", (n, v)), ("probabilities", (n, v))]
    return shapes


# ---------------------------------------------------------------------------------------------- parameters


@dataclass(frozen=True)
class ParamCounts:
    """Number of parameters of each component of a model (weights and biases; LayerNorm gains and shifts)."""

    embeddings: int  # W_E (token embeddings)
    positions: int   # learned position embeddings; 0 for sinusoids and RoPE
    attention: int   # W_Q, W_K, W_V, W_O (+ biases) of every attention block
    ffn: int         # feed-forward linears (+ biases)
    norms: int       # LayerNorm / RMSNorm parameters
    output: int      # separate output matrix (+ bias); 0 when tied to W_E

    @property
    def total(self) -> int:
        return self.embeddings + self.positions + self.attention + self.ffn + self.norms + self.output

    @property
    def non_embedding(self) -> int:  # Kaplan et al.'s N: everything but token and position embeddings
        return self.attention + self.ffn + self.norms + self.output

    def as_dict(self) -> dict[str, int]:  # embeddings, positions, attention, ffn, norms, output, total
        return {**asdict(self), "total": self.total}


def attention_params(spec: ModelSpec) -> int:  # one attention block -> parameters
    """W_Q (d x d_attn) + W_K, W_V (d x d_kv each) + W_O (d_attn x d), plus biases if any.

    = 2·d·d_attn + 2·d·d_kv (+ d_attn + 2·d_kv + d). With d_attn = d_kv = d this is the familiar 4·d².
    """
    d = spec.d_model
    weights = 2 * d * spec.d_attn + 2 * d * spec.d_kv
    biases = spec.d_attn + 2 * spec.d_kv + d if spec.attn_bias else 0
    return weights + biases


def ffn_params(spec: ModelSpec) -> int:  # one feed-forward block -> parameters
    """ReLU/GELU: W_1 (d x d_ff) + W_2 (d_ff x d) = 2·d·d_ff (+ d_ff + d biases); with d_ff = 4d this is 8·d².

    SwiGLU: W_gate and W_up (d x d_ff each) + W_down (d_ff x d) = 3·d·d_ff (+ 2·d_ff + d biases).
    """
    d, f = spec.d_model, spec.d_ff
    if spec.activation == "swiglu":
        return 3 * d * f + (2 * f + d if spec.ffn_bias else 0)
    return 2 * d * f + (f + d if spec.ffn_bias else 0)


def norm_params(spec: ModelSpec) -> int:  # one normalization layer -> parameters
    """LayerNorm has a gain gamma and a shift beta per feature (2·d); RMSNorm only the gain (d)."""
    return (2 if spec.norm_type == "layernorm" else 1) * spec.d_model


def param_counts(spec: ModelSpec) -> ParamCounts:  # spec -> parameters per component
    """Count every parameter, component by component.

    encoder layer: 1 attention + 1 FFN + 2 norms
    decoder layer: 1 attention + 1 FFN + 2 norms (decoder-only), or
                   2 attention (masked self + cross) + 1 FFN + 3 norms (encoder-decoder)
    pre-norm adds one final norm after each stack; post-norm has none.
    embeddings: vocab·d (one matrix, shared by encoder and decoder); positions: n_ctx·d if learned;
    output: d·vocab unless tied. With d_ff = 4d, each decoder-only layer is ~12·d² (4d² + 8d²).
    """
    n_dec_norms = 3 if spec.is_encoder_decoder else 2
    n_norms = 2 * spec.n_encoder_layers + n_dec_norms * spec.n_layers
    if spec.norm == "pre":
        n_norms += 2 if spec.is_encoder_decoder else 1
    return ParamCounts(
        embeddings=spec.vocab_size * spec.d_model,
        positions=spec.n_ctx * spec.d_model if spec.position == "learned" else 0,
        attention=spec.n_attention_blocks * attention_params(spec),
        ffn=spec.n_layers_total * ffn_params(spec),
        norms=n_norms * norm_params(spec),
        output=0 if spec.tied_embeddings else spec.d_model * spec.vocab_size + (spec.vocab_size if spec.output_bias else 0),
    )


def n_params(spec: ModelSpec) -> int:  # spec -> total parameters
    """Total parameter count P (everything, embeddings included)."""
    return param_counts(spec).total


# ---------------------------------------------------------------------------------------------- FLOPs


def matmul_flops(m: int, n: int, p: int) -> int:  # (m x n)·(n x p) -> FLOPs
    """A matrix product (m x n)(n x p) costs 2·m·n·p FLOPs: m·p outputs, each n multiplies and n adds."""
    return 2 * m * n * p


@dataclass(frozen=True)
class ForwardFlops:
    """Forward-pass FLOPs per token, split as in Kaplan et al. 2020, table 1."""

    dense: float        # 2·N: each non-embedding weight does one multiply-add per token
    attention: float    # 2·n_attention_blocks·n_ctx·d_attn: scores against the context
    unembedding: float  # 2·d·vocab: the logits product (Kaplan leaves it out; it is < 1 % for GPT-3)

    @property
    def total(self) -> float:  # Kaplan's C_forward = 2N + 2·n_layer·n_ctx·d_attn
        return self.dense + self.attention

    @property
    def without_attention(self) -> float:  # the "2P" rule of thumb
        return self.dense

    @property
    def with_unembedding(self) -> float:
        return self.total + self.unembedding

    @property
    def attention_fraction(self) -> float:  # share of C_forward spent on attention scores
        return self.attention / self.total


def forward_flops_per_token(spec: ModelSpec, n_ctx: int | None = None) -> ForwardFlops:  # spec -> FLOPs/token
    """C_forward ≈ 2·N + 2·n_layers·n_ctx·d_attn  (Kaplan et al. 2020, eq. 2.2).

    Choice of P: N is the *non-embedding* parameter count, as in Kaplan. An embedding lookup is a row copy,
    not a product, so W_E and position tables cost no FLOPs; a separate output matrix is counted in N. The
    tied output product 2·d·vocab is reported apart in `unembedding` (Kaplan drops it).
    Attention term: per token and attention block, QKᵀ costs 2·n_ctx·d_attn and A·V as much again; Kaplan's
    2·n_ctx·d_attn is both averaged over a causal context (mean length n_ctx/2). For GPT-3 at n_ctx = 2048
    the ratio attention/dense ≈ n_ctx / (12·d_model) ≈ 1.4 %. Under grouped-query attention every query head
    still scores every key, so the term uses d_attn (query heads), not d_kv.
    """
    n_ctx = spec.n_ctx if n_ctx is None else n_ctx
    counts = param_counts(spec)
    return ForwardFlops(
        dense=2.0 * counts.non_embedding,
        attention=2.0 * spec.n_attention_blocks * n_ctx * spec.d_attn,
        unembedding=2.0 * spec.d_model * spec.vocab_size,
    )


@dataclass(frozen=True)
class TrainingCompute:
    """Training FLOPs C = 6·P·D, split into forward 2·P·D and backward 4·P·D."""

    forward: float   # FLOPs
    backward: float  # FLOPs: gradients w.r.t. activations and w.r.t. weights, 2PD each

    @property
    def total(self) -> float:
        return self.forward + self.backward

    @property
    def pf_days(self) -> float:
        return pf_days(self.total)


def training_compute(n_params: float, n_tokens: float) -> TrainingCompute:  # P, D -> FLOPs
    """C ≈ 6·P·D: forward 2PD, backward 4PD (the attention-score term is neglected, as in Brown et al.).

    Which P: the GPT-3 paper (appendix D) uses the total count, 174.6e9 for GPT-3, giving 3.14e23 FLOPs for
    D = 300e9; Kaplan uses the non-embedding N. Pass whichever you mean.
    """
    return TrainingCompute(forward=2.0 * n_params * n_tokens, backward=4.0 * n_params * n_tokens)


def pf_days(flops: float) -> float:  # FLOPs -> petaflop/s-days
    """Petaflop/s-days: flops / (1e15 FLOP/s · 86400 s)."""
    return flops / PETAFLOP_S_DAY


def training_days(flops: float, n_accelerators: int, flops_per_accelerator: float) -> float:  # -> days
    """Wall-clock days = C / (accelerators · achieved FLOP/s each) / 86400.

    Use the *achieved* rate (model FLOPs utilisation × peak), not the datasheet peak.
    """
    return flops / (n_accelerators * flops_per_accelerator) / SECONDS_PER_DAY


def chinchilla_tokens(n_params: float) -> float:  # P -> compute-optimal training tokens D
    """Compute-optimal data per Hoffmann et al. 2022: D ≈ 20·P tokens."""
    return 20.0 * n_params


# ---------------------------------------------------------------------------------------------- memory


def _bytes_per(precision: str) -> float:  # "fp16" -> 2.0 bytes
    if precision not in BYTES_PER_PARAM:
        raise ValueError(f"precision is {precision!r}; use one of {', '.join(BYTES_PER_PARAM)}.")
    return BYTES_PER_PARAM[precision]


@dataclass(frozen=True)
class InferenceMemory:
    """Memory to hold a model's weights for inference; the overhead (runtime, buffers) is an estimate."""

    precision: str
    bytes_per_param: float
    weights: float   # bytes = bytes_per_param · P
    overhead: float  # bytes, overhead_fraction · weights

    @property
    def total(self) -> float:
        return self.weights + self.overhead


def inference_memory(n_params: float, precision: str = "fp16", overhead_fraction: float = 0.2) -> InferenceMemory:  # P -> bytes
    """Weights = bytes per parameter (fp32 4, fp16/bf16 2, int8 1, int4 0.5) × P; overhead ≈ 20 % on top.

    The KV cache is separate (see `kv_cache`): it grows with context and batch, the weights do not.
    """
    b = _bytes_per(precision)
    weights = b * n_params
    return InferenceMemory(precision=precision, bytes_per_param=b, weights=weights, overhead=overhead_fraction * weights)


def inference_memory_by_precision(n_params: float, overhead_fraction: float = 0.2) -> dict[str, InferenceMemory]:  # P -> {precision: bytes}
    """`inference_memory` at every precision in BYTES_PER_PARAM, in that order."""
    return {p: inference_memory(n_params, p, overhead_fraction) for p in BYTES_PER_PARAM}


@dataclass(frozen=True)
class KVCache:
    """Keys and values kept for every past token so that each new token costs one row, not a full pass."""

    per_token: float  # bytes per token per sequence
    n_tokens: int
    batch: int

    @property
    def total(self) -> float:  # bytes
        return self.per_token * self.n_tokens * self.batch


def kv_cache(spec: ModelSpec, n_tokens: int | None = None, precision: str = "fp16", batch: int = 1) -> KVCache:  # -> bytes
    """Per token: 2 (K and V) × bytes × n_layers × n_kv_heads × d_head; times tokens and batch.

    Without grouped-query attention n_kv_heads·d_head = d_model, giving CONTENT's 2·bytes·n_layers·d_model
    (GPT-3 fp16: 4.5 MiB per token). Counts the decoder's self-attention cache; an encoder-decoder model also
    keeps the cross-attention K and V of the source, computed once.
    """
    n_tokens = spec.n_ctx if n_tokens is None else n_tokens
    per_token = 2 * _bytes_per(precision) * spec.n_layers * spec.n_kv_heads * spec.d_head
    return KVCache(per_token=per_token, n_tokens=n_tokens, batch=batch)


def activation_bytes_per_layer(seq_len: int, batch: int, d_model: int, n_heads: int, recompute: str = "none") -> float:  # -> bytes
    """Activations one transformer layer stores for the backward pass, fp16 (Korthikanti et al. 2022):

    none:      s·b·h·(34 + 5·a·s/h)   (34·s·b·h for the linears, GELU, norms, dropout masks;
                                       5·a·s² ·b for the a attention score matrices, softmax and its dropout)
    selective: s·b·h·34               (recompute only the attention scores: the n² term disappears)
    full:      2·s·b·h                (keep only the layer input; recompute everything else)
    s sequence length, b batch, h d_model, a heads; no tensor or sequence parallelism.
    """
    if recompute not in _RECOMPUTE:
        raise ValueError(f"recompute is {recompute!r}; use one of {', '.join(_RECOMPUTE)}.")
    sbh = seq_len * batch * d_model
    if recompute == "full":
        return 2.0 * sbh
    if recompute == "selective":
        return 34.0 * sbh
    return sbh * (34.0 + 5.0 * n_heads * seq_len / d_model)


@dataclass(frozen=True)
class TrainingMemory:
    """Memory to train with mixed-precision Adam: 16 bytes per parameter plus activations."""

    weights: float      # bytes, fp16 copy used in forward and backward: 2·P
    gradients: float    # bytes, fp16: 2·P
    optimizer: float    # bytes, fp32 master weights + Adam momentum + variance: 12·P
    activations: float  # bytes, all layers, for one (micro)batch

    @property
    def model_states(self) -> float:  # 16·P
        return self.weights + self.gradients + self.optimizer

    @property
    def total(self) -> float:
        return self.model_states + self.activations


def training_memory(spec: ModelSpec, seq_len: int | None = None, batch: int = 1, recompute: str = "none") -> TrainingMemory:  # -> bytes
    """Model states 16·P (2 + 2 + 12, ZeRO's accounting) + n_layers · activation_bytes_per_layer.

    P is the full parameter count of `spec`; seq_len defaults to n_ctx. Activations use the decoder-layer
    formula for every layer (encoder layers included): an estimate, not a measurement.
    """
    p = n_params(spec)
    s = spec.n_ctx if seq_len is None else seq_len
    per_layer = activation_bytes_per_layer(s, batch, spec.d_model, spec.n_heads, recompute)
    return TrainingMemory(weights=2.0 * p, gradients=2.0 * p, optimizer=12.0 * p,
                          activations=spec.n_layers_total * per_layer)



# ---------------------------------------------------------------------------------------------- chapters 11-12
# Facts the scale chapters show (docs/teaching-notes.md §4 and §5), kept here as data so that every number on
# screen comes from mathcore, and the helpers that turn those numbers into short labels (175 B, 350 GB).


@dataclass(frozen=True)
class TokenizationExample:
    """A sentence cut into byte-pair pieces and their ids in a published vocabulary."""

    text: str
    pieces: tuple[str, ...]  # a leading space belongs to the piece that follows it (" all")
    ids: tuple[int, ...]
    tokenizer: str
    vocab_size: int


# GPT-2's byte-pair encoding, which GPT-3 reuses (Brown et al. 2020, section 2.1); docs/teaching-notes.md §4.
GPT3_TOKENIZATION_EXAMPLE = TokenizationExample(
    text="Not all heroes wear capes",
    pieces=("Not", " all", " heroes", " wear", " cap", "es"),
    ids=(3673, 477, 10281, 5806, 1451, 274),
    tokenizer="GPT-2 / GPT-3 byte-pair encoding",
    vocab_size=50257,
)


@dataclass(frozen=True)
class TrainingData:
    """How many tokens a model was trained on, and where the figure comes from."""

    tokens: float    # D
    source: str      # a short citation, or how the figure was estimated
    published: bool  # False: no published figure, Chinchilla's compute-optimal 20·P is used instead


# Published training-token counts. transformer-base: 100,000 steps of batches of about 25,000 target tokens
# (Vaswani et al. 2017, section 5.1); GPT-3: 300 B (Brown et al. 2020, table 2.2); Llama 3 8B: "over 15T"
# (Meta 2024). GPT-2 and the toy model have no published figure.
TRAINING_TOKENS: dict[str, TrainingData] = {
    "transformer-base": TrainingData(100_000 * 25_000, "Vaswani et al. 2017: 100,000 steps × 25,000 tokens", True),
    "gpt3-175b": TrainingData(300e9, "Brown et al. 2020, table 2.2", True),
    "llama3-8b": TrainingData(15e12, "Meta 2024", True),
}


def training_tokens(spec: ModelSpec) -> TrainingData:  # spec -> D
    """The preset's published training-token count, else the compute-optimal D ≈ 20·P (Chinchilla)."""
    if spec.name in TRAINING_TOKENS:
        return TRAINING_TOKENS[spec.name]
    return TrainingData(chinchilla_tokens(n_params(spec)), "compute-optimal 20 tokens per parameter (Chinchilla)",
                        published=False)


@dataclass(frozen=True)
class Cluster:
    """A training cluster: how many accelerators, what each achieves, how much memory each holds."""

    n_accelerators: int
    flops_per_accelerator: float   # achieved FLOP/s (not the datasheet peak)
    memory_per_accelerator: float  # bytes
    accelerator: str


# docs/teaching-notes.md §5: 1024 GPUs at 150 TFLOP/s achieved (an A100's bf16 peak is 312); 80 GB each.
REFERENCE_CLUSTER = Cluster(n_accelerators=1024, flops_per_accelerator=150e12, memory_per_accelerator=80e9,
                            accelerator="A100 80 GB")

# Mixed-precision Adam, bytes per parameter (ZeRO's accounting, as in `training_memory`): fp16 weights,
# fp16 gradients, and an fp32 master copy, momentum and variance (4 + 4 + 4).
ADAM_BYTES_PER_PARAM: dict[str, float] = {"weights": 2.0, "gradients": 2.0, "optimizer": 12.0}


def adam_bytes_per_param() -> float:  # -> 16.0
    return sum(ADAM_BYTES_PER_PARAM.values())


def accelerators_to_hold(n_bytes: float, memory_per_accelerator: float) -> int:  # bytes -> whole accelerators
    """The fewest accelerators whose memory adds up to n_bytes (at least 1)."""
    return max(1, -(-int(round(n_bytes)) // int(memory_per_accelerator)))


def decoder_layer_params(spec: ModelSpec) -> int:  # -> parameters of one decoder layer
    """One decoder layer: self-attention (+ cross-attention for an encoder-decoder), FFN and its norms.

    GPT-3: 4·d² + 8·d² ≈ 12·d² = 1.81 B (plus biases and LayerNorms).
    """
    n_attn = 2 if spec.is_encoder_decoder else 1
    n_norms = 3 if spec.is_encoder_decoder else 2
    return n_attn * attention_params(spec) + ffn_params(spec) + n_norms * norm_params(spec)


def context_doublings(n_ctx: int, count: int = 3) -> list[int]:  # n_ctx -> [n_ctx/4, n_ctx/2, n_ctx]
    """Up to `count` context lengths ending at n_ctx, each twice the one before (exact halvings only)."""
    out = [n_ctx]
    while len(out) < count and out[0] % 2 == 0 and out[0] > 1:
        out.insert(0, out[0] // 2)
    return out


def preset_spec(name: str, config=None, vocab_size: int | None = None) -> ModelSpec:  # -> ModelSpec
    """PRESETS[name]; for "toy", the worked example's own sizes when its Config and vocabulary size are given."""
    if name not in PRESETS:
        raise ValueError(f"Unknown model preset '{name}': use one of {', '.join(PRESETS)}.")
    if name != "toy" or config is None:
        return PRESETS[name]
    return toy_spec(d_model=config.d_model, n_heads=config.n_heads, d_ff=config.d_ff,
                    vocab_size=vocab_size if vocab_size is not None else PRESETS["toy"].vocab_size,
                    n_encoder_layers=config.n_encoder_layers, n_decoder_layers=config.n_decoder_layers,
                    tied=config.tied_output)


@dataclass(frozen=True)
class ArchitectureRow:
    aspect: str
    reference: str  # how the reference model does it
    model: str      # how the model does it
    changed: bool


def _describe(spec: ModelSpec) -> dict[str, str]:  # aspect -> words
    kv = (f"grouped-query: {spec.n_kv_heads} K/V heads for {spec.n_heads}" if spec.n_kv_heads != spec.n_heads
          else "every head has its own K and V")
    return {
        "stacks": "encoder + decoder" if spec.is_encoder_decoder else "decoder only",
        "cross-attention": "yes" if spec.is_encoder_decoder else "none",
        "positions": {"sinusoidal": "sinusoids, added", "learned": "learned table, added",
                      "rope": "rotations of Q and K (RoPE)"}[spec.position],
        "activation": {"relu": "ReLU", "gelu": "GELU", "swiglu": "SwiGLU"}[spec.activation],
        "normalization": ("after each sub-layer (post-norm)" if spec.norm == "post"
                          else "before each sub-layer + a final one (pre-norm)"),
        "norm type": "LayerNorm" if spec.norm_type == "layernorm" else "RMSNorm",
        "keys and values": kv,
        "output layer": "W_Eᵀ (tied to the embedding)" if spec.tied_embeddings else "a separate matrix",
    }


def compare_architectures(spec: ModelSpec, reference: ModelSpec | None = None) -> list[ArchitectureRow]:
    """Design choices of spec beside the reference (default: the original transformer-base), aspect by
    aspect, in reading order; `changed` marks the ones that differ."""
    reference = reference or PRESETS["transformer-base"]
    a, b = _describe(reference), _describe(spec)
    return [ArchitectureRow(k, a[k], b[k], a[k] != b[k]) for k in a]


# ------------------------------------------------------------------ labels: numbers as a viewer reads them

_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def _sig(x: float, digits: int = 3) -> str:  # 174.6 -> "175", 4.50 -> "4.5", 23.67 -> "23.7"
    s = f"{x:.{digits}g}"
    if "e" in s:  # only for x >= 10**digits, where every digit is significant
        s = f"{float(s):.0f}"
    return s


def _scaled(x: float, units: list[tuple[float, str]], digits: int = 3) -> str:  # units largest first
    """x in the largest unit in which it reads at least 1 after rounding (999.7 M reads "1 B")."""
    for size, name in units:
        if float(_sig(abs(x) / size, digits)) >= 1:
            return f"{_sig(x / size, digits)} {name}"
    return f"{_sig(x / units[-1][0], digits)} {units[-1][1]}"


def format_int(n: float) -> str:  # 50257 -> "50,257"
    return f"{int(round(n)):,}"


def format_sci(x: float, digits: int = 3) -> str:  # 3.14e23 -> "3.14 × 10²³"
    if x == 0:
        return "0"
    mant, exp = f"{x:.{digits - 1}e}".split("e")
    mant = mant.rstrip("0").rstrip(".") if "." in mant else mant
    return f"{mant} × 10{str(int(exp)).translate(_SUPERSCRIPT)}"


def format_number(x: float, digits: int = 3) -> str:  # 3637.9 -> "3,640", 0.5 -> "0.5", 3.1e23 -> "3.1 × 10²³"
    """Plain numbers: 3 significant digits with thousands separators from 0.001 up to a million,
    scientific notation outside."""
    if x == 0:
        return "0"
    if not 1e-3 <= abs(x) < 1e6:
        return format_sci(x, digits)
    s = _sig(x, digits)
    if abs(float(s)) >= 1000:
        return format_int(float(s))
    return s


def format_count(n: float) -> str:  # 966 -> "966", 174.6e9 -> "175 B", 617.6e6 -> "618 M"
    """Counts (parameters, tokens): exact below 10,000, else 3 significant digits and K, M, B or T."""
    if abs(n) < 10_000:
        return format_int(n) if float(n).is_integer() else format_number(n)
    return _scaled(n, [(1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")])


def format_bytes(n: float, binary: bool = False) -> str:  # 350e9 -> "350 GB"; 4718592, binary -> "4.5 MiB"
    """Memory: decimal units (kB = 1000 B, as datasheets count) or binary ones (KiB = 1024 B)."""
    if binary:
        units = [(2.0 ** 50, "PiB"), (2.0 ** 40, "TiB"), (2.0 ** 30, "GiB"), (2.0 ** 20, "MiB"), (2.0 ** 10, "KiB")]
    else:
        units = [(1e15, "PB"), (1e12, "TB"), (1e9, "GB"), (1e6, "MB"), (1e3, "kB")]
    return _scaled(n, units + [(1.0, "bytes")])  # "bytes" spelled out: "24 B" would read as 24 billion


def format_flops(x: float) -> str:  # 432 -> "432 FLOPs", 3.14e23 -> "3.14 × 10²³ FLOPs"
    """FLOP counts: exact below a million, scientific above."""
    return f"{format_int(x) if abs(x) < 1e6 else format_sci(x)} FLOPs"


def format_percent(fraction: float) -> str:  # 0.01369 -> "1.37 %"
    return f"{_sig(100.0 * fraction)} %"


def format_duration(seconds: float) -> str:  # 2.045e6 s -> "23.7 days"
    """A wall-clock time in the largest unit that keeps it at least 1: µs, ms, s, minutes, hours, days, years."""
    units = [(365.25 * SECONDS_PER_DAY, "years"), (SECONDS_PER_DAY, "days"), (3600.0, "hours"),
             (60.0, "minutes"), (1.0, "s"), (1e-3, "ms"), (1e-6, "µs"), (1e-9, "ns")]
    for size, name in units:
        if seconds >= size or size == units[-1][0]:
            v = _sig(seconds / size)
            if v == "1" and name in ("years", "days", "hours", "minutes"):
                name = name[:-1]
            if float(v) >= 1e6:
                return f"{format_sci(seconds / size)} {name}"
            return f"{format_number(float(v))} {name}"
    raise AssertionError("unreachable")


# How the chapters name each preset on screen.
PRESET_TITLES: dict[str, str] = {
    "toy": "our toy model",
    "transformer-base": "the original Transformer (base)",
    "gpt2-small": "GPT-2 small",
    "gpt3-175b": "GPT-3 175B",
    "llama3-8b": "Llama 3 8B",
}
