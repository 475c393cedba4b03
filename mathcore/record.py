"""The recorder: turns the forward pass's, generation's and training's dataclasses into named Steps.

Every function here only records: it takes intermediates that model.py, train.py and layers.py computed,
gives each a stable id, a title, a LaTeX formula, the ids it is computed from and a sentence from
narration.py, and returns the Steps in order. No arithmetic beyond counting.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from . import narration as say
from .config import Config
from .layers import AddNorm, FeedForward, Head, MultiHead, frequencies
from .model import Forward, Generation, Inputs, embedding_scale
from .tokenizer import END
from .train import BETA1, BETA2, FirstUpdate, TrainingRun

Tokens = Sequence[str]


@dataclass(frozen=True)
class Step:
    id: str                     # stable, e.g. "encoder.0.self_attn.head1.weights"
    title: str                  # short, for a heading
    formula: str                # LaTeX
    value: np.ndarray           # float64 or int64; -inf only in masked scores
    inputs: tuple[str, ...]     # ids of steps (or weight names) it is computed from
    narration: str              # one or two plain-English sentences
    rows: tuple[str, ...] | None = None  # a label per row (tokens), when rows are tokens
    cols: tuple[str, ...] | None = None  # a label per column (tokens or vocabulary), when meaningful

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.value.shape)


def step(id, title, formula, value, inputs, narration, rows=None, cols=None) -> Step:
    """A Step with its value as float64 (or int64 for ids) and its labels as tuples."""
    value = np.asarray(value)
    value = value.astype(np.int64) if value.dtype.kind in "iu" else value.astype(np.float64)
    return Step(id, title, formula, value, tuple(inputs), narration,
                None if rows is None else tuple(rows), None if cols is None else tuple(cols))


def _output_tex(cfg: Config) -> str:
    return r"W_E^\top" if cfg.tied_output else r"W_{\mathrm{out}}"


def _output_name(cfg: Config) -> str:
    return "embedding.W_E" if cfg.tied_output else "output.W_out"


# ---------------------------------------------------------------- inputs

def inputs(cfg: Config, side: str, toks: Tokens, ids: np.ndarray, inp: Inputs, vocab: Tokens) -> list[Step]:
    """{side}.ids … {side}.input: tokens to the rows X = E·sqrt(d_model) + PE."""
    V, dec = len(vocab), cfg.decimals
    scale = embedding_scale(cfg)
    freqs = frequencies(cfg.d_model)
    scaled_tex = rf"E\sqrt{{d_{{\mathrm{{model}}}}}} = E\cdot{scale:.{dec}f}" if cfg.scale_embedding else r"E \cdot 1"
    return [
        step(f"{side}.ids", "Token ids", r"\mathrm{id}(w)", ids, (), say.token_ids(side, toks, V, ids.tolist()),
             rows=toks),
        step(f"{side}.onehot", "One-hot rows", r"\mathrm{onehot}(\mathrm{ids})", inp.onehot, (f"{side}.ids",),
             say.onehot(V), rows=toks, cols=vocab),
        step(f"{side}.embedding", "Embedding", r"E = \mathrm{onehot}\cdot W_E", inp.embedding,
             (f"{side}.onehot", "embedding.W_E"), say.embedding(V, cfg.d_model), rows=toks),
        step(f"{side}.embedding_scaled", "Scaled embedding", scaled_tex, inp.scaled, (f"{side}.embedding",),
             say.embedding_scaled(scale, dec) if cfg.scale_embedding else say.embedding_unscaled(), rows=toks),
        step(f"{side}.positional", "Positional encoding",
             r"PE_{pos,2i} = \sin\frac{pos}{10000^{2i/d}},\ PE_{pos,2i+1} = \cos\frac{pos}{10000^{2i/d}}",
             inp.positional, (), say.positional(freqs[0], 1 / freqs[-1], dec), rows=toks),
        step(f"{side}.input", "Input X = E + PE",
             r"X = E\sqrt{d_{\mathrm{model}}} + PE" if cfg.scale_embedding else r"X = E + PE",
             inp.x, (f"{side}.embedding_scaled", f"{side}.positional"), say.input_sum(), rows=toks),
    ]


# ---------------------------------------------------------------- attention

def head(cfg: Config, p: str, h: int, hd: Head, q_src: str, kv_src: str, q_toks: Tokens, kv_toks: Tokens,
         masked: bool, cross: bool) -> list[Step]:
    """Head h of the attention sub-layer p: {p}.head{h}.q, .k, .v, .scores, .scaled, (.masked), .weights, .out."""
    hp = f"{p}.head{h}"
    qx = "Y" if p.startswith("decoder") else "X"   # the rows the queries come from
    kvx = "H" if cross else qx                      # and the keys and values (H: the encoder output)
    grid = dict(rows=q_toks, cols=kv_toks)
    mask_tex = " + M" if masked else ""
    steps = [
        step(f"{hp}.q", f"Head {h}: queries", rf"Q_{h} = {qx}\,W_Q^{{({h})}}", hd.q, (q_src, f"{p}.W_Q"),
             say.queries(h, cfg.d_k, cross), rows=q_toks),
        step(f"{hp}.k", f"Head {h}: keys", rf"K_{h} = {kvx}\,W_K^{{({h})}}", hd.k, (kv_src, f"{p}.W_K"),
             say.keys(cross), rows=kv_toks),
        step(f"{hp}.v", f"Head {h}: values", rf"V_{h} = {kvx}\,W_V^{{({h})}}", hd.v, (kv_src, f"{p}.W_V"),
             say.values(), rows=kv_toks),
        step(f"{hp}.scores", f"Head {h}: scores", rf"S_{h} = Q_{h} K_{h}^\top", hd.scores, (f"{hp}.q", f"{hp}.k"),
             say.scores(), **grid),
        step(f"{hp}.scaled", f"Head {h}: scaled scores",
             rf"S_{h} / \sqrt{{d_k}} = S_{h} / {math.sqrt(cfg.d_k):.{cfg.decimals}f}", hd.scaled, (f"{hp}.scores",),
             say.scaled_scores(cfg.d_k), **grid),
    ]
    if masked:
        steps.append(step(f"{hp}.masked", f"Head {h}: masked scores", r"S + M,\ M_{ij} = -\infty \text{ for } j > i",
                          hd.masked, (f"{hp}.scaled",), say.masked_scores(), **grid))
    steps += [
        step(f"{hp}.weights", f"Head {h}: attention weights", rf"A_{h} = \mathrm{{softmax}}(S_{h} / \sqrt{{d_k}}{mask_tex})",
             hd.weights, (f"{hp}.masked" if masked else f"{hp}.scaled",), say.attention_weights(masked), **grid),
        step(f"{hp}.out", f"Head {h}: output", rf"\mathrm{{head}}_{h} = A_{h} V_{h}", hd.out,
             (f"{hp}.weights", f"{hp}.v"), say.head_output(), rows=q_toks),
    ]
    return steps


def attention(cfg: Config, p: str, mh: MultiHead, q_src: str, kv_src: str, q_toks: Tokens, kv_toks: Tokens,
              masked: bool, kind: str) -> list[Step]:
    """{p}.head{h}.* for every head, then {p}.concat and {p}.out; kind names the sub-layer in the title."""
    cross = kind == "cross-attention"
    steps = []
    for h, hd in enumerate(mh.heads, start=1):
        steps += head(cfg, p, h, hd, q_src, kv_src, q_toks, kv_toks, masked, cross)
    n_heads = len(mh.heads)
    return steps + [
        step(f"{p}.concat", "Concatenated heads", r"\mathrm{Concat}(\mathrm{head}_1, \dots, \mathrm{head}_h)",
             mh.concat, tuple(f"{p}.head{h}.out" for h in range(1, n_heads + 1)),
             say.concat(n_heads, cfg.d_k, cfg.d_model), rows=q_toks),
        step(f"{p}.out", f"{kind.capitalize()} output", r"\mathrm{MultiHead} = \mathrm{Concat}(\dots)\,W_O", mh.out,
             (f"{p}.concat", f"{p}.W_O"), say.attention_output(), rows=q_toks),
    ]


# ---------------------------------------------------------------- Add & Norm, feed-forward

def add_norm(cfg: Config, p: str, an: AddNorm, x_id: str, sub_id: str, toks: Tokens) -> list[Step]:
    return [
        step(f"{p}.sum", "Residual sum", r"Z = X + \mathrm{Sublayer}(X)", an.sum, (x_id, sub_id),
             say.residual_sum(), rows=toks),
        step(f"{p}.mean", "Row means", r"\mu = \tfrac{1}{d}\sum_j Z_{j}", an.mean, (f"{p}.sum",),
             say.row_mean(cfg.d_model), rows=toks),
        step(f"{p}.var", "Row variances", r"\sigma^2 = \tfrac{1}{d}\sum_j (Z_{j} - \mu)^2", an.var, (f"{p}.sum",),
             say.row_var(), rows=toks),
        step(f"{p}.normalized", "Normalized rows", r"\hat Z = (Z - \mu) / \sqrt{\sigma^2 + \epsilon}", an.normalized,
             (f"{p}.sum", f"{p}.mean", f"{p}.var"), say.normalized(), rows=toks),
        step(f"{p}.out", "Add & Norm output", r"\gamma \odot \hat Z + \beta", an.out,
             (f"{p}.normalized", f"{p}.gamma", f"{p}.beta"), say.norm_output(cfg.trained), rows=toks),
    ]


def ffn(cfg: Config, p: str, ff: FeedForward, x_id: str, toks: Tokens) -> list[Step]:
    return [
        step(f"{p}.pre", "Feed-forward: widen", r"X W_1 + b_1", ff.pre, (x_id, f"{p}.W_1", f"{p}.b_1"),
             say.ffn_widen(cfg.d_model, cfg.d_ff), rows=toks),
        step(f"{p}.hidden", "Feed-forward: ReLU", r"\max(0,\ X W_1 + b_1)", ff.hidden, (f"{p}.pre",),
             say.ffn_relu(int(np.sum(ff.pre < 0)), ff.pre.size), rows=toks),
        step(f"{p}.out", "Feed-forward: narrow", r"\max(0,\ X W_1 + b_1)\,W_2 + b_2", ff.out,
             (f"{p}.hidden", f"{p}.W_2", f"{p}.b_2"), say.ffn_narrow(cfg.d_model), rows=toks),
    ]


# ---------------------------------------------------------------- the encoder and the decoder

def encoder(cfg: Config, fwd: Forward, source: Tokens) -> list[Step]:
    """Every encoder layer after source.input, then encoder.output."""
    steps, x_id = [], "source.input"
    for l, layer in enumerate(fwd.encoder_layers):
        p = f"encoder.{l}"
        steps += attention(cfg, f"{p}.self_attn", layer.self_attn, x_id, x_id, source, source, masked=False,
                           kind="self-attention")
        steps += add_norm(cfg, f"{p}.norm1", layer.norm1, x_id, f"{p}.self_attn.out", source)
        steps += ffn(cfg, f"{p}.ffn", layer.ffn, f"{p}.norm1.out", source)
        steps += add_norm(cfg, f"{p}.norm2", layer.norm2, f"{p}.norm1.out", f"{p}.ffn.out", source)
        x_id = f"{p}.norm2.out"
    return steps + [step("encoder.output", "Encoder output", r"\mathrm{Enc}(X)", fwd.memory, (x_id,),
                         say.encoder_output(cfg.n_encoder_layers, cfg.d_model), rows=source)]


def decoder(cfg: Config, fwd: Forward, tgt_in: Tokens, source: Tokens) -> list[Step]:
    """Every decoder layer after target.input (teacher forcing: all positions at once), then decoder.output."""
    steps, y_id = [], "target.input"
    for l, layer in enumerate(fwd.decoder_layers):
        p = f"decoder.{l}"
        steps += attention(cfg, f"{p}.self_attn", layer.self_attn, y_id, y_id, tgt_in, tgt_in, masked=True,
                           kind="masked self-attention")
        steps += add_norm(cfg, f"{p}.norm1", layer.norm1, y_id, f"{p}.self_attn.out", tgt_in)
        steps += attention(cfg, f"{p}.cross_attn", layer.cross_attn, f"{p}.norm1.out", "encoder.output", tgt_in,
                           source, masked=False, kind="cross-attention")
        steps += add_norm(cfg, f"{p}.norm2", layer.norm2, f"{p}.norm1.out", f"{p}.cross_attn.out", tgt_in)
        steps += ffn(cfg, f"{p}.ffn", layer.ffn, f"{p}.norm2.out", tgt_in)
        steps += add_norm(cfg, f"{p}.norm3", layer.norm3, f"{p}.norm2.out", f"{p}.ffn.out", tgt_in)
        y_id = f"{p}.norm3.out"
    return steps + [step("decoder.output", "Decoder output", r"Y = \mathrm{Dec}(\mathrm{target}, \mathrm{Enc}(X))",
                         fwd.output, (y_id,), say.decoder_output(), rows=tgt_in)]


def _training_note(run: TrainingRun | None) -> str:
    return say.untrained_note() if run is None else say.trained_note(run.steps, run.pairs, run.reproduced)


def output(cfg: Config, fwd: Forward, vocab: Tokens, tgt_in: Tokens, tgt_lab: Tokens,
           run: TrainingRun | None) -> list[Step]:
    """output.logits, output.probs and output.predicted (the teacher-forced greedy choice at every position)."""
    pred_tokens = [vocab[i] for i in fwd.predicted]
    hits = sum(p == t for p, t in zip(pred_tokens, tgt_lab))
    grid = dict(rows=tgt_in, cols=vocab)
    return [
        step("output.logits", "Logits", rf"\mathrm{{logits}} = Y\,{_output_tex(cfg)}", fwd.logits,
             ("decoder.output", _output_name(cfg)), say.logits(len(vocab), cfg.tied_output), **grid),
        step("output.probs", "Probabilities", r"P = \mathrm{softmax}(\mathrm{logits})", fwd.probs, ("output.logits",),
             say.probabilities(), **grid),
        step("output.predicted", "Predicted next tokens", r"\hat y_t = \arg\max_{w \ne \langle start \rangle} P_{t,w}",
             fwd.predicted, ("output.probs",),
             say.predicted(pred_tokens, hits, len(tgt_lab), _training_note(run)), rows=tgt_in),
    ]


# ---------------------------------------------------------------- generation

def generation(cfg: Config, gen: Generation, vocab: Tokens, tgt_lab: Tokens, run: TrainingRun | None) -> list[Step]:
    """generate.{t}.input, .logits, .probs, .token for every greedy step; the last says how it went."""
    steps = []
    for t, g in enumerate(gen.steps):
        p, word, last = f"generate.{t}", vocab[g.token], t == len(gen.steps) - 1
        prefix = [vocab[i] for i in g.ids]
        result = ""
        if last:
            words = [vocab[i] for i in gen.tokens]
            result = (say.generation_untrained() if run is None else
                      say.generation_result(words, tgt_lab, run.steps))
        steps += [
            step(f"{p}.input", f"Generation step {t + 1}: input", r"\text{decoder input}", g.ids, (),
                 say.generation_input(t + 1, prefix), rows=prefix),
            step(f"{p}.logits", f"Generation step {t + 1}: logits", rf"\mathrm{{logits}}_{{{len(g.ids) - 1}}}",
                 g.logits, (f"{p}.input", "encoder.output"), say.generation_logits(), cols=vocab),
            step(f"{p}.probs", f"Generation step {t + 1}: probabilities", r"\mathrm{softmax}(\mathrm{logits})",
                 g.probs, (f"{p}.logits",), say.generation_probs(word, g.probs[g.token], cfg.decimals), cols=vocab),
            step(f"{p}.token", f"Generation step {t + 1}: chosen token", r"\arg\max", np.array(g.token, dtype=np.int64),
                 (f"{p}.probs",), say.generation_token(word, word == END) + result),
        ]
    return steps


# ---------------------------------------------------------------- the first training step (chapter 14)

def first_update(cfg: Config, fu: FirstUpdate, run: TrainingRun, vocab: Tokens, tgt_in: Tokens,
                 tgt_lab: Tokens) -> list[Step]:
    """train.0.*: the initial weights' loss, its gradient through the output layer, Adam's first update."""
    P, m, tied = "train.0", len(tgt_in), cfg.tied_output
    dims = [f"d{j + 1}" for j in range(cfg.d_model)]
    w_tex, w_name = _output_tex(cfg), _output_name(cfg)
    grid, wgrid = dict(rows=tgt_in, cols=vocab), dict(rows=dims, cols=vocab)

    def w_at(k: int) -> str:   # the output matrix after k updates
        return rf"W_E^{{({k})\top}}" if tied else rf"W_{{\mathrm{{out}}}}^{{({k})}}"
    return [
        step(f"{P}.probs", "Before training: probabilities", r"P^{(0)} = \mathrm{softmax}(Y^{(0)} W^{(0)})", fu.probs,
             (w_name,), say.first_probs(), **grid),
        step(f"{P}.token_loss", "Loss at each position", r"\ell_t = -\log P^{(0)}_{t,\,y_t}", fu.token_loss,
             (f"{P}.probs",), say.token_loss(tgt_lab), rows=tgt_in),
        step(f"{P}.loss", "Loss", r"L = \tfrac{1}{m}\sum_t \ell_t", fu.loss, (f"{P}.token_loss",),
             say.loss(float(fu.loss), max(cfg.decimals, 3), m, run.pairs)),
        step(f"{P}.decoder.output", "Before training: decoder output", r"Y^{(0)}", fu.output, (),
             say.first_decoder_output(), rows=tgt_in),
        step(f"{P}.dlogits", "Gradient of the logits", r"\frac{\partial L}{\partial z_{t,w}} = \frac{P_{t,w} - [w = y_t]}{m}",
             fu.dlogits, (f"{P}.probs",), say.dlogits(m), **grid),
        step(f"{P}.dW_out", "Gradient of the output layer",
             rf"\frac{{\partial L}}{{\partial {w_tex}}} = Y^{{(0)\top}} \frac{{\partial L}}{{\partial z}}",
             fu.dW_out, (f"{P}.decoder.output", f"{P}.dlogits"), say.dW_out(tied), **wgrid),
        step(f"{P}.W_out", "Output matrix before training", w_at(0), fu.W_out, (w_name,), say.W_out_before(), **wgrid),
        step(f"{P}.grad", "Whole gradient of the output matrix", rf"g = \frac{{\partial L}}{{\partial {w_tex}}}", fu.grad,
             (f"{P}.dW_out",), say.whole_grad(tied, run.pairs), **wgrid),
        step(f"{P}.adam.m", "Adam: first moment", rf"m_1 = (1-\beta_1)\,g = {1 - BETA1:.2f}\,g", fu.m, (f"{P}.grad",),
             say.adam_m(), **wgrid),
        step(f"{P}.adam.v", "Adam: second moment", rf"v_1 = (1-\beta_2)\,g^2 = {1 - BETA2:.2f}\,g^2", fu.v,
             (f"{P}.grad",), say.adam_v(), **wgrid),
        step(f"{P}.adam.update", "Adam: the update",
             rf"\Delta = \eta\,\frac{{\hat m}}{{\sqrt{{\hat v}} + \epsilon}},\ \hat m = \frac{{m_1}}{{1-\beta_1}},\ \hat v = \frac{{v_1}}{{1-\beta_2}}",
             fu.update, (f"{P}.adam.m", f"{P}.adam.v"), say.adam_update(fu.lr), **wgrid),
        step(f"{P}.adam.after", "Output matrix after one step", w_at(1) + " = " + w_at(0) + r" - \Delta",
             fu.after, (f"{P}.W_out", f"{P}.adam.update"), say.adam_after(run.steps), **wgrid),
    ]
