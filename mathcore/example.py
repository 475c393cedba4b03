"""The worked example: run the model on the sentence and record every intermediate as a named step.

Scenes, captions and exports read an Example and nothing else. Its JSON form (docs/example-format.md) is
byte-identical for the same config and round-trips exactly.
"""
from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import model
from . import train as _train
from .config import MAX_TOKENS, Config, ConfigError, validate_sizes
from .layers import AddNorm, FeedForward, MultiHead, frequencies
from .tokenizer import END, START, build_vocab, encode, tokenize

FORMAT = "transformer-anim/example"
FORMAT_VERSION = 2   # 2: the training section; version 1 files predate training
TIE_TOLERANCE = 1e-12   # probabilities this close to the maximum count as tied


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


@dataclass(frozen=True)
class Example:
    config: Config
    vocab: tuple[str, ...]
    tokens: dict[str, tuple[str, ...]]   # source, target_input, target_labels, predicted, generated
    weights: dict[str, np.ndarray]
    steps: tuple[Step, ...]
    training: "_train.TrainingRun | None" = None  # how the weights were trained; None when untrained
    _index: dict[str, Step] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self):
        self._index.update({s.id: s for s in self.steps})

    # ------------------------------------------------------------ lookup
    def step(self, step_id: str) -> Step:
        try:
            return self._index[step_id]
        except KeyError:
            raise KeyError(f"no step '{step_id}' in this example") from None

    def value(self, step_id: str) -> np.ndarray:
        return self.step(step_id).value

    def has(self, step_id: str) -> bool:
        return step_id in self._index

    def steps_under(self, prefix: str) -> list[Step]:
        """Steps whose id is prefix or starts with prefix + '.', in order."""
        return [s for s in self.steps if s.id == prefix or s.id.startswith(prefix + ".")]

    def head_weight(self, name: str, head: int) -> np.ndarray:  # (d, d) -> (d, d_k), head counted from 1
        """The columns of W_Q, W_K or W_V that one head uses (a slice, no arithmetic)."""
        d_k = self.config.d_k
        return self.weights[name][:, (head - 1) * d_k: head * d_k]

    # ------------------------------------------------------------ JSON
    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "config": self.config.to_dict(),
            "vocab": list(self.vocab),
            "tokens": {k: list(v) for k, v in self.tokens.items()},
            "weights": {k: {"shape": list(v.shape), "value": _to_json_array(v)} for k, v in self.weights.items()},
            "steps": [{
                "id": s.id, "title": s.title, "formula": s.formula, "shape": list(s.shape),
                "dtype": "int" if s.value.dtype.kind == "i" else "float",
                "inputs": list(s.inputs), "rows": None if s.rows is None else list(s.rows),
                "cols": None if s.cols is None else list(s.cols), "narration": s.narration,
                "value": _to_json_array(s.value),
            } for s in self.steps],
            "training": None if self.training is None else _training_to_dict(self.training),
        }

    def to_json(self) -> str:
        return _dump(self.to_dict()) + "\n"

    def save(self, path: str | os.PathLike) -> Path:
        """Write atomically: a temporary file in the same folder, then a rename, so no half-written file."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(self.to_json())
            mask = os.umask(0)
            os.umask(mask)
            os.chmod(tmp, 0o666 & ~mask)  # mkstemp makes 0600; give the file the usual permissions
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Example":
        if data.get("format") != FORMAT or data.get("version") != FORMAT_VERSION:
            raise ConfigError(f"Not a transformer-anim example of format version {FORMAT_VERSION}: "
                              "write it again with `render.py example`.")
        weights = {k: _from_json_array(w["value"], w["shape"], "float") for k, w in data["weights"].items()}
        steps = tuple(Step(
            id=s["id"], title=s["title"], formula=s["formula"],
            value=_from_json_array(s["value"], s["shape"], s["dtype"]), inputs=tuple(s["inputs"]),
            narration=s["narration"], rows=None if s["rows"] is None else tuple(s["rows"]),
            cols=None if s["cols"] is None else tuple(s["cols"])) for s in data["steps"])
        run = data.get("training")
        return cls(Config.from_dict(data["config"]), tuple(data["vocab"]),
                   {k: tuple(v) for k, v in data["tokens"].items()}, weights, steps,
                   None if run is None else _training_from_dict(run))

    @classmethod
    def from_json(cls, text: str) -> "Example":
        return cls.from_dict(json.loads(text))

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Example":
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as e:
            raise ConfigError(f"Cannot read the example file {path}: {e.strerror}.") from None
        try:
            return cls.from_json(text)
        except (ValueError, KeyError, TypeError) as e:
            if isinstance(e, ConfigError):
                raise
            raise ConfigError(f"The example file {path} is not a valid example JSON ({e}).") from None


# ---------------------------------------------------------------- JSON helpers

def _to_json_array(a: np.ndarray) -> Any:
    """Nested lists; -inf (masked scores) becomes null because JSON has no infinity."""
    if a.ndim == 0:
        return _scalar(a.item())
    return [_to_json_array(x) for x in a] if a.ndim > 1 else [_scalar(x) for x in a.tolist()]


def _scalar(x):
    if isinstance(x, float) and math.isinf(x):
        return None
    return x


def _from_json_array(value: Any, shape: list[int], dtype: str) -> np.ndarray:
    if dtype == "int":
        return np.array(value, dtype=np.int64).reshape(shape)

    def fix(v):
        return [fix(x) for x in v] if isinstance(v, list) else (-math.inf if v is None else float(v))

    return np.array(fix(value), dtype=np.float64).reshape(shape)


def _weights_to_dict(weights: dict[str, np.ndarray]) -> dict[str, Any]:
    return {k: {"shape": list(v.shape), "value": _to_json_array(v)} for k, v in weights.items()}


def _weights_from_dict(data: dict[str, Any]) -> dict[str, np.ndarray]:
    return {k: _from_json_array(w["value"], w["shape"], "float") for k, w in data.items()}


def _training_to_dict(run: "_train.TrainingRun") -> dict[str, Any]:
    return {
        "steps": run.steps, "warmup": run.warmup, "pairs": run.pairs,
        "reproduces_target": run.reproduced, "decimals": run.decimals, "final_loss": run.final_loss,
        "loss": _to_json_array(run.losses), "learning_rate": _to_json_array(run.learning_rates),
        "grads": _weights_to_dict(run.grads),
        "checkpoints": [{"step": c.step, "predicted": c.predicted.tolist(), "loss": c.loss,
                         "weights": _weights_to_dict(c.weights)} for c in run.checkpoints],
    }


def _training_from_dict(d: dict[str, Any]) -> "_train.TrainingRun":
    checkpoints = tuple(_train.Checkpoint(c["step"], _weights_from_dict(c["weights"]),
                                            np.array(c["predicted"], dtype=np.int64), float(c["loss"]))
                        for c in d["checkpoints"])
    return _train.TrainingRun(
        losses=_from_json_array(d["loss"], [len(d["loss"])], "float"),
        learning_rates=_from_json_array(d["learning_rate"], [len(d["learning_rate"])], "float"),
        grads=_weights_from_dict(d["grads"]), checkpoints=checkpoints,
        weights=checkpoints[-1].weights if checkpoints else {}, steps=d["steps"],
        reproduced=d["reproduces_target"], decimals=d["decimals"], final_loss=float(d["final_loss"]),
        warmup=d["warmup"], pairs=d["pairs"])


def _dump(obj: Any, indent: str = "") -> str:
    """JSON with one matrix row per line: readable, diffable and deterministic."""
    inner = indent + "  "
    if isinstance(obj, dict):
        if not obj:
            return "{}"
        items = [f"{inner}{json.dumps(k, ensure_ascii=False)}: {_dump(v, inner)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    if isinstance(obj, list):
        if all(not isinstance(x, (list, dict)) for x in obj):
            return json.dumps(obj, ensure_ascii=False, allow_nan=False)
        return "[\n" + ",\n".join(inner + _dump(x, inner) for x in obj) + "\n" + indent + "]"
    return json.dumps(obj, ensure_ascii=False, allow_nan=False)


# ---------------------------------------------------------------- building

def _quote(tokens) -> str:
    return " ".join(tokens)


def prepare(cfg: Config) -> tuple[list[str], list[str], list[str]]:
    """Validate the config and tokenize: -> vocabulary, source tokens, target tokens. Raises ConfigError."""
    validate_sizes(cfg)
    source = tokenize(cfg.source, cfg.tokenizer)
    target = tokenize(cfg.target, cfg.tokenizer)
    for name, toks, text in (("source", source, cfg.source), ("target", target, cfg.target)):
        if not toks:
            what = "empty" if not text.strip() else "only punctuation or symbols"
            raise ConfigError(f"The {name} sentence is {what}: give at least one word.")
        if len(toks) > MAX_TOKENS:
            hint = " (the char tokenizer makes one token per character)" if cfg.tokenizer == "char" else ""
            raise ConfigError(f"The {name} sentence has {len(toks)} tokens{hint}; "
                              f"shorten it to at most {MAX_TOKENS} so it fits on screen.")
    if not any(tokenize(line, cfg.tokenizer) for line in cfg.corpus):
        raise ConfigError("The corpus has no words in it: give at least one line of text.")
    # Words of the sentences that the corpus lacks join the vocabulary, so any sentence works.
    vocab = build_vocab(list(cfg.corpus) + [cfg.source, cfg.target], cfg.tokenizer)
    return vocab, source, target


def build_example(cfg: Config = Config()) -> Example:
    """Run the whole encoder-decoder forward pass on cfg's sentences and record every step.

    With cfg.trained (the default) the seeded initial weights are first trained on the sentence pair
    (mathcore/train.py) and rounded; the forward pass below uses exactly those rounded weights.
    """
    vocab, source, target = prepare(cfg)
    V = len(vocab)
    weights = initial = model.init_weights(cfg, V)
    run = _train.train(cfg, weights, vocab) if cfg.trained else None
    if run is not None:
        weights = run.weights  # rounded to run.decimals: the numbers shown are the numbers used
    rec = _Recorder(cfg)

    src_ids = encode(source, vocab)
    tgt_in = [START] + target
    tgt_lab = target + [END]
    tgt_ids = encode(tgt_in, vocab)

    # encoder
    enc_inp, enc_layers = model.encode(src_ids, cfg, weights)
    rec.inputs("source", source, src_ids, enc_inp, vocab)
    x_id = "source.input"
    for l, layer in enumerate(enc_layers):
        p = f"encoder.{l}"
        rec.attention(f"{p}.self_attn", layer.self_attn, x_id, x_id, source, source, masked=False,
                      kind="self-attention")
        rec.add_norm(f"{p}.norm1", layer.norm1, x_id, f"{p}.self_attn.out", source)
        rec.ffn(f"{p}.ffn", layer.ffn, f"{p}.norm1.out", source)
        rec.add_norm(f"{p}.norm2", layer.norm2, f"{p}.norm1.out", f"{p}.ffn.out", source)
        x_id = f"{p}.norm2.out"
    memory = enc_layers[-1].norm2.out
    rec.add("encoder.output", "Encoder output", r"\mathrm{Enc}(X)", memory, (x_id,),
            f"After {cfg.n_encoder_layers} encoder layer{'s' * (cfg.n_encoder_layers > 1)}, each source token is a row "
            f"of {cfg.d_model} numbers that has mixed in information from every other source token. "
            "The decoder will read it through cross-attention.", rows=source)

    # decoder, teacher forcing: the whole shifted target in one parallel pass
    dec_inp, dec_layers, logits, probs = model.decode(tgt_ids, memory, cfg, weights)
    rec.inputs("target", tgt_in, tgt_ids, dec_inp, vocab)
    y_id = "target.input"
    for l, layer in enumerate(dec_layers):
        p = f"decoder.{l}"
        rec.attention(f"{p}.self_attn", layer.self_attn, y_id, y_id, tgt_in, tgt_in, masked=True,
                      kind="masked self-attention")
        rec.add_norm(f"{p}.norm1", layer.norm1, y_id, f"{p}.self_attn.out", tgt_in)
        rec.attention(f"{p}.cross_attn", layer.cross_attn, f"{p}.norm1.out", "encoder.output", tgt_in, source,
                      masked=False, kind="cross-attention")
        rec.add_norm(f"{p}.norm2", layer.norm2, f"{p}.norm1.out", f"{p}.cross_attn.out", tgt_in)
        rec.ffn(f"{p}.ffn", layer.ffn, f"{p}.norm2.out", tgt_in)
        rec.add_norm(f"{p}.norm3", layer.norm3, f"{p}.norm2.out", f"{p}.ffn.out", tgt_in)
        y_id = f"{p}.norm3.out"
    out_w = "embedding.W_E" if cfg.tied_output else "output.W_out"
    w_tex = r"W_E^\top" if cfg.tied_output else r"W_{\mathrm{out}}"
    rec.add("decoder.output", "Decoder output", r"Y = \mathrm{Dec}(\mathrm{target}, \mathrm{Enc}(X))",
            dec_layers[-1].norm3.out, (y_id,),
            "The decoder's last layer gives one row per target position; each row is a summary of the tokens "
            "before it and of the whole source sentence.", rows=tgt_in)
    rec.add("output.logits", "Logits", rf"\mathrm{{logits}} = Y\,{w_tex}", logits, ("decoder.output", out_w),
            f"Each position on its own is projected onto the {V} words of the vocabulary"
            + (", using the embedding matrix transposed (tied weights)." if cfg.tied_output else "."),
            rows=tgt_in, cols=vocab)
    rec.add("output.probs", "Probabilities", r"P = \mathrm{softmax}(\mathrm{logits})", probs, ("output.logits",),
            "A softmax over each row turns the logits into probabilities over the vocabulary; "
            "row t is the model's guess for the word after position t.", rows=tgt_in, cols=vocab)
    predicted = greedy_choice(probs)
    pred_tokens = [vocab[i] for i in predicted]
    hits = sum(p == t for p, t in zip(pred_tokens, tgt_lab))
    rec.add("output.predicted", "Predicted next tokens", r"\hat y_t = \arg\max_{w \ne \langle start \rangle} P_{t,w}", predicted,
            ("output.probs",),
            f"The most probable word at each position: {_quote(pred_tokens)}. It matches the true next word "
            f"{hits} of {len(tgt_lab)} times; {_training_note(run)}",
            rows=tgt_in)

    # greedy generation: feed each predicted token back in until <end> or the limit
    limit = cfg.max_new_tokens or len(target) + 1
    gen_ids = [vocab.index(START)]
    generated: list[str] = []
    for t in range(limit):
        ids = np.array(gen_ids, dtype=np.int64)
        _, _, g_logits, g_probs = model.decode(ids, memory, cfg, weights)
        nxt = int(greedy_choice(g_probs[-1]))
        prefix = [vocab[i] for i in gen_ids]
        p = f"generate.{t}"
        rec.add(f"{p}.input", f"Generation step {t + 1}: input", r"\text{decoder input}", ids, (),
                f"Step {t + 1} feeds the decoder the {len(ids)} token{'s' * (len(ids) > 1)} so far: {_quote(prefix)}.",
                rows=prefix)
        rec.add(f"{p}.logits", f"Generation step {t + 1}: logits", rf"\mathrm{{logits}}_{{{len(ids) - 1}}}",
                g_logits[-1], (f"{p}.input", "encoder.output"),
                "Only the last position's logits matter: they score every word as the next one.", cols=vocab)
        rec.add(f"{p}.probs", f"Generation step {t + 1}: probabilities", r"\mathrm{softmax}(\mathrm{logits})",
                g_probs[-1], (f"{p}.logits",),
                f"The most probable next word is '{vocab[nxt]}' with probability {g_probs[-1][nxt]:.{cfg.decimals}f}.",
                cols=vocab)
        rec.add(f"{p}.token", f"Generation step {t + 1}: chosen token", r"\arg\max", np.array(nxt, dtype=np.int64),
                (f"{p}.probs",),
                f"Greedy decoding takes '{vocab[nxt]}' and appends it to the input"
                + ("; it is <end>, so generation stops." if vocab[nxt] == END else ".")
                + (_generation_note(run, generated + [vocab[nxt]], tgt_lab)
                   if vocab[nxt] == END or t == limit - 1 else ""))
        gen_ids.append(nxt)
        generated.append(vocab[nxt])
        if vocab[nxt] == END:
            break

    if run is not None:
        _record_first_update(rec, cfg, vocab, initial, run, src_ids, tgt_ids, encode(tgt_lab, vocab), tgt_in)

    tokens = {"source": tuple(source), "target_input": tuple(tgt_in), "target_labels": tuple(tgt_lab),
              "predicted": tuple(pred_tokens), "generated": tuple(generated)}
    return Example(cfg, tuple(vocab), tokens, weights, tuple(rec.steps), run)


def _record_first_update(rec: "_Recorder", cfg: Config, vocab, initial, run: "_train.TrainingRun",
                         src_ids, tgt_ids, lab_ids, tgt_in) -> None:
    """The first training step, for chapter 14: the loss of the initial weights on the example's pair, its
    gradient traced back through the output layer by the chain rule, and Adam's first update of the output
    matrix W_out (= W_E transposed when tied), all recorded as train.0.* steps."""
    V, m, d = len(vocab), len(tgt_ids), cfg.d_model
    enc_inp, enc_layers = model.encode(src_ids, cfg, initial)
    _, dec_layers, logits, probs = model.decode(tgt_ids, enc_layers[-1].norm2.out, cfg, initial)
    Y = dec_layers[-1].norm3.out                                              # (m, d)
    W = model.output_matrix(cfg, initial)                                     # (d, V)
    token_loss = -_train.log_softmax(logits)[np.arange(m), lab_ids]           # (m,)
    dlogits = _train.softmax_cross_entropy_backward(probs, lab_ids)           # (m, V) = (P - onehot) / m
    _, dW = _train.output_layer_backward(Y, W, dlogits)                       # (d, V) = Y^T dlogits
    full = run.grads["embedding.W_E"].T if cfg.tied_output else run.grads["output.W_out"]   # (d, V)
    lr = _train.learning_rate_at(0, cfg.learning_rate, run.warmup)
    after, state = _train.adam_step({"W": W}, {"W": full}, _train.adam_init({"W": W}), lr)
    m1, v1 = state.m["W"], state.v["W"]
    update = W - after["W"]
    dims = [f"d{j + 1}" for j in range(d)]
    lab = [vocab[i] for i in lab_ids]
    w_tex = r"W_E^\top" if cfg.tied_output else r"W_{\mathrm{out}}"

    def w_at(k: int) -> str:   # the output matrix after k updates
        return rf"W_E^{{({k})\top}}" if cfg.tied_output else rf"W_{{\mathrm{{out}}}}^{{({k})}}"
    w_name = "embedding.W_E" if cfg.tied_output else "output.W_out"
    pair = ("" if run.pairs == 1 else
            f" (training averages this over {run.pairs} pairs; here is the example's own pair)")
    tied = (" With tied weights W_E also gets gradient from its use as the embedding, so the whole gradient "
            "of the output matrix differs from this part." if cfg.tied_output else "")
    P = "train.0"
    rec.add(f"{P}.probs", "Before training: probabilities", r"P^{(0)} = \mathrm{softmax}(Y^{(0)} W^{(0)})", probs,
            (w_name,), "Before training, the random initial weights give these probabilities for the word after "
            "each position.", rows=tgt_in, cols=vocab)
    rec.add(f"{P}.token_loss", "Loss at each position", r"\ell_t = -\log P^{(0)}_{t,\,y_t}", token_loss,
            (f"{P}.probs",),
            "The loss at each position is minus the log of the probability given to the true next word "
            f"({_quote(lab)}): small when the model is sure and right, large when it is wrong.", rows=tgt_in)
    rec.add(f"{P}.loss", "Loss", r"L = \tfrac{1}{m}\sum_t \ell_t", np.array(token_loss.mean()), (f"{P}.token_loss",),
            f"The loss is the mean over the {m} positions: {token_loss.mean():.{max(cfg.decimals, 3)}f}{pair}. "
            "Training lowers it.")
    rec.add(f"{P}.decoder.output", "Before training: decoder output", r"Y^{(0)}", Y, (),
            "The decoder's output rows with the initial weights: the input of the output layer.", rows=tgt_in)
    rec.add(f"{P}.dlogits", "Gradient of the logits", r"\frac{\partial L}{\partial z_{t,w}} = \frac{P_{t,w} - [w = y_t]}{m}",
            dlogits, (f"{P}.probs",),
            "By the chain rule through softmax and the log, the gradient of each logit is its probability minus 1 "
            f"for the true word (minus 0 for the others), divided by the {m} positions: push the true word up, "
            "every other word down.", rows=tgt_in, cols=vocab)
    rec.add(f"{P}.dW_out", "Gradient of the output layer", rf"\frac{{\partial L}}{{\partial {w_tex}}} = Y^{{(0)\top}} \frac{{\partial L}}{{\partial z}}",
            dW, (f"{P}.decoder.output", f"{P}.dlogits"),
            "Since z = Y W, the gradient of W is Y transposed times the gradient of z: each entry sums, over the "
            "positions, a decoder number times a logit gradient." + tied, rows=dims, cols=vocab)
    rec.add(f"{P}.W_out", "Output matrix before training", w_at(0), W, (w_name,),
            "The output matrix's initial, random values.", rows=dims, cols=vocab)
    rec.add(f"{P}.grad", "Whole gradient of the output matrix", rf"g = \frac{{\partial L}}{{\partial {w_tex}}}", full,
            (f"{P}.dW_out",), "The gradient Adam uses: the one from backpropagation through the whole network"
            + (", the output layer's part plus the embedding's." if cfg.tied_output else
               ", which for an untied output layer is exactly the part above.") + pair,
            rows=dims, cols=vocab)
    rec.add(f"{P}.adam.m", "Adam: first moment", rf"m_1 = (1-\beta_1)\,g = {1 - _train.BETA1:.2f}\,g", m1, (f"{P}.grad",),
            "Adam keeps a running mean of the gradients; after one step it is a tenth of the gradient.",
            rows=dims, cols=vocab)
    rec.add(f"{P}.adam.v", "Adam: second moment", rf"v_1 = (1-\beta_2)\,g^2 = {1 - _train.BETA2:.2f}\,g^2", v1,
            (f"{P}.grad",), "and a running mean of the squared gradients.", rows=dims, cols=vocab)
    rec.add(f"{P}.adam.update", "Adam: the update",
            rf"\Delta = \eta\,\frac{{\hat m}}{{\sqrt{{\hat v}} + \epsilon}},\ \hat m = \frac{{m_1}}{{1-\beta_1}},\ \hat v = \frac{{v_1}}{{1-\beta_2}}",
            update, (f"{P}.adam.m", f"{P}.adam.v"),
            f"Corrected for their zero start, the means are g and g squared, so the first update is the learning "
            f"rate {lr:.4g} times the sign of g: every weight moves by the same small amount, against its gradient.",
            rows=dims, cols=vocab)
    rec.add(f"{P}.adam.after", "Output matrix after one step", w_at(1) + " = " + w_at(0) + r" - \Delta",
            after["W"], (f"{P}.W_out", f"{P}.adam.update"),
            "Subtracting the update gives the weights of the next step; "
            f"{run.steps} such step{'s' * (run.steps != 1)} trained the model.", rows=dims, cols=vocab)


def _trained_on(run: "_train.TrainingRun") -> str:
    more = run.pairs - 1
    return ("this one sentence pair" if not more else
            f"this sentence pair and {more} corpus line{'s' * (more > 1)} (each copied to itself)")


def _training_note(run: "_train.TrainingRun | None") -> str:
    """How the weights came about, for the prediction's narration: honest about what training means here."""
    if run is None:
        return "the weights are random and untrained, so the guesses are arbitrary."
    if run.reproduced:
        return (f"the weights were trained on {_trained_on(run)} for {run.steps} steps, so the model has "
                "memorized the answer: it recalls one sentence, it does not understand language.")
    return (f"the weights were trained on {_trained_on(run)} for {run.steps} steps, the limit, and still do not "
            "reproduce the target: this model is too small or was trained too briefly to memorize it.")


def _generation_note(run: "_train.TrainingRun | None", generated: list[str], labels: list[str]) -> str:
    """One sentence after the last generation step: does the generated sentence equal the target?"""
    if run is None:
        return " With random, untrained weights the generated words are arbitrary."
    if generated == labels[:len(generated)]:
        whole = "the target" if len(generated) == len(labels) else "the start of the target"
        return (f" The generated words, {_quote(generated)}, are exactly {whole}: the model memorized this "
                f"sentence in {run.steps} training steps.")
    return (f" The generated words, {_quote(generated)}, differ from the target {_quote(labels)}: "
            f"{run.steps} training steps were not enough to memorize it.")


def greedy_choice(probs: np.ndarray) -> np.ndarray:  # (..., V) -> (...,) int ids
    """The most probable token, never <start> (id 0): it only ever marks the beginning of the input."""
    # Ties (equal to the last bit or nearly: d_model = 2 makes exact ties common) go to the lowest id,
    # so the choice does not depend on how a BLAS library rounds the last bit.
    p = probs[..., 1:]
    near_max = p >= np.max(p, axis=-1, keepdims=True) - TIE_TOLERANCE
    return (np.argmax(near_max, axis=-1) + 1).astype(np.int64)


class _Recorder:
    """Turns the forward pass's dataclasses into Steps with titles, formulas and narration."""

    def __init__(self, cfg: Config):
        self.cfg = cfg
        self.steps: list[Step] = []

    def add(self, id, title, formula, value, inputs, narration, rows=None, cols=None):
        value = np.asarray(value)
        value = value.astype(np.int64) if value.dtype.kind in "iu" else value.astype(np.float64)
        self.steps.append(Step(id, title, formula, value, tuple(inputs), narration,
                               None if rows is None else tuple(rows), None if cols is None else tuple(cols)))

    def inputs(self, side: str, toks, ids, inp: "model.Inputs", vocab):
        cfg, n = self.cfg, len(toks)
        d = cfg.d_model
        scale = model.embedding_scale(cfg)
        self.add(f"{side}.ids", "Token ids", r"\mathrm{id}(w)", ids, (),
                 f"The {n} {side} token{'s' * (n > 1)} {_quote(toks)} become their positions in the "
                 f"{len(vocab)}-word vocabulary: {' '.join(map(str, ids.tolist()))}.", rows=toks)
        self.add(f"{side}.onehot", "One-hot rows", r"\mathrm{onehot}(\mathrm{ids})", inp.onehot, (f"{side}.ids",),
                 f"Each token is a row of {len(vocab)} zeros with a single 1 in its id's column.", rows=toks, cols=vocab)
        self.add(f"{side}.embedding", "Embedding", r"E = \mathrm{onehot}\cdot W_E", inp.embedding,
                 (f"{side}.onehot", "embedding.W_E"),
                 f"Multiplying by the {len(vocab)} by {d} embedding matrix just picks one row of it per token: "
                 f"each token is now {d} numbers. Tokens are rows.", rows=toks)
        self.add(f"{side}.embedding_scaled", "Scaled embedding",
                 rf"E\sqrt{{d_{{\mathrm{{model}}}}}} = E\cdot{scale:.{cfg.decimals}f}" if cfg.scale_embedding else r"E \cdot 1",
                 inp.scaled, (f"{side}.embedding",),
                 f"As in the paper, the embeddings are multiplied by the square root of d_model, {scale:.{cfg.decimals}f}, "
                 "so they are not drowned out by the positional encoding." if cfg.scale_embedding else
                 "Embedding scaling is switched off for this example, so the embeddings are used as they are.",
                 rows=toks)
        freqs = frequencies(d)
        self.add(f"{side}.positional", "Positional encoding",
                 r"PE_{pos,2i} = \sin\frac{pos}{10000^{2i/d}},\ PE_{pos,2i+1} = \cos\frac{pos}{10000^{2i/d}}",
                 inp.positional, (),
                 f"Position is added as sine and cosine waves: columns 2i and 2i+1 share a frequency, from "
                 f"{freqs[0]:.{cfg.decimals}f} down to 1/{1 / freqs[-1]:.1f} radians per position.", rows=toks)
        self.add(f"{side}.input", "Input X = E + PE", r"X = E\sqrt{d_{\mathrm{model}}} + PE" if cfg.scale_embedding else r"X = E + PE",
                 inp.x, (f"{side}.embedding_scaled", f"{side}.positional"),
                 "The positional encoding is added to the embeddings, number by number (an addition, not a "
                 "concatenation), so the same word at two positions gets two different rows.", rows=toks)

    def attention(self, p: str, mh: MultiHead, q_src: str, kv_src: str, q_toks, kv_toks, masked: bool, kind: str):
        cfg = self.cfg
        dk = cfg.d_k
        qx = "Y" if p.startswith("decoder") else "X"
        kvx = "H" if kind == "cross-attention" else qx
        for h, head in enumerate(mh.heads, start=1):
            hp = f"{p}.head{h}"
            wq, wk, wv = (f"{p}.W_{m}" for m in "QKV")
            origin = ("queries come from the decoder, keys and values from the encoder output"
                      if kind == "cross-attention" else "all three come from the same rows")
            self.add(f"{hp}.q", f"Head {h}: queries", rf"Q_{h} = {qx}\,W_Q^{{({h})}}", head.q, (q_src, wq),
                     f"Head {h} projects each row onto {dk} query numbers with its slice of W_Q; {origin}.",
                     rows=q_toks)
            self.add(f"{hp}.k", f"Head {h}: keys", rf"K_{h} = {kvx}\,W_K^{{({h})}}", head.k, (kv_src, wk),
                     f"The keys: what each {'source ' if kind == 'cross-attention' else ''}token offers to be matched against.",
                     rows=kv_toks)
            self.add(f"{hp}.v", f"Head {h}: values", rf"V_{h} = {kvx}\,W_V^{{({h})}}", head.v, (kv_src, wv),
                     "The values: what each token passes on once it is attended to.", rows=kv_toks)
            self.add(f"{hp}.scores", f"Head {h}: scores", rf"S_{h} = Q_{h} K_{h}^\top", head.scores,
                     (f"{hp}.q", f"{hp}.k"),
                     "Every query is compared with every key by a dot product. This product is the only place "
                     "where tokens exchange information.", rows=q_toks, cols=kv_toks)
            self.add(f"{hp}.scaled", f"Head {h}: scaled scores", rf"S_{h} / \sqrt{{d_k}} = S_{h} / {math.sqrt(dk):.{cfg.decimals}f}",
                     head.scaled, (f"{hp}.scores",),
                     f"Dividing by the square root of d_k = {dk} keeps the scores near unit variance, so the "
                     "softmax does not saturate.", rows=q_toks, cols=kv_toks)
            if masked:
                self.add(f"{hp}.masked", f"Head {h}: masked scores", r"S + M,\ M_{ij} = -\infty \text{ for } j > i",
                         head.masked, (f"{hp}.scaled",),
                         "Cells above the diagonal become minus infinity: under teacher forcing each position may "
                         "see only itself and earlier tokens, never the words it must predict.",
                         rows=q_toks, cols=kv_toks)
            self.add(f"{hp}.weights", f"Head {h}: attention weights",
                     rf"A_{h} = \mathrm{{softmax}}(S_{h} / \sqrt{{d_k}}{' + M' if masked else ''})",
                     head.weights, (f"{hp}.masked" if masked else f"{hp}.scaled",),
                     "A softmax over each row turns scores into weights that are positive and sum to 1"
                     + ("; the minus-infinity cells become exact zeros." if masked else "."),
                     rows=q_toks, cols=kv_toks)
            self.add(f"{hp}.out", f"Head {h}: output", rf"\mathrm{{head}}_{h} = A_{h} V_{h}", head.out,
                     (f"{hp}.weights", f"{hp}.v"),
                     "Each output row is a weighted mix of the value rows, with the attention weights as the mix.",
                     rows=q_toks)
        self.add(f"{p}.concat", "Concatenated heads", r"\mathrm{Concat}(\mathrm{head}_1, \dots, \mathrm{head}_h)",
                 mh.concat, tuple(f"{p}.head{h}.out" for h in range(1, len(mh.heads) + 1)),
                 f"The {len(mh.heads)} heads' outputs, {dk} columns each, sit side by side to make rows of "
                 f"{cfg.d_model} again.", rows=q_toks)
        self.add(f"{p}.out", f"{kind.capitalize()} output", r"\mathrm{MultiHead} = \mathrm{Concat}(\dots)\,W_O", mh.out,
                 (f"{p}.concat", f"{p}.W_O"),
                 "The output matrix W_O mixes the heads' findings into one row per token.", rows=q_toks)

    def add_norm(self, p: str, an: AddNorm, x_id: str, sub_id: str, toks):
        cfg = self.cfg
        self.add(f"{p}.sum", "Residual sum", r"Z = X + \mathrm{Sublayer}(X)", an.sum, (x_id, sub_id),
                 "The residual connection adds the sub-layer's output to its input, so the original row is kept "
                 "and only adjusted.", rows=toks)
        self.add(f"{p}.mean", "Row means", r"\mu = \tfrac{1}{d}\sum_j Z_{j}", an.mean, (f"{p}.sum",),
                 f"Layer normalization works on each row alone: first its mean over the {cfg.d_model} numbers.",
                 rows=toks)
        self.add(f"{p}.var", "Row variances", r"\sigma^2 = \tfrac{1}{d}\sum_j (Z_{j} - \mu)^2", an.var, (f"{p}.sum",),
                 "Then its variance: the average squared distance from the mean.", rows=toks)
        self.add(f"{p}.normalized", "Normalized rows", r"\hat Z = (Z - \mu) / \sqrt{\sigma^2 + \epsilon}", an.normalized,
                 (f"{p}.sum", f"{p}.mean", f"{p}.var"),
                 "Subtracting the mean and dividing by the standard deviation gives every row mean 0 and variance 1.",
                 rows=toks)
        self.add(f"{p}.out", "Add & Norm output", r"\gamma \odot \hat Z + \beta", an.out,
                 (f"{p}.normalized", f"{p}.gamma", f"{p}.beta"),
                 ("A learned scale gamma and shift beta follow; they started at 1 and 0, and training has "
                  "changed them." if cfg.trained else
                  "A learned scale gamma and shift beta follow; they start at 1 and 0, so the output equals the "
                  "normalized rows until training changes them."), rows=toks)

    def ffn(self, p: str, ff: FeedForward, x_id: str, toks):
        cfg = self.cfg
        self.add(f"{p}.pre", "Feed-forward: widen", r"X W_1 + b_1", ff.pre, (x_id, f"{p}.W_1", f"{p}.b_1"),
                 f"Each row on its own is widened from {cfg.d_model} to {cfg.d_ff} numbers by the first layer.",
                 rows=toks)
        zeros = int(np.sum(ff.pre < 0))
        self.add(f"{p}.hidden", "Feed-forward: ReLU", r"\max(0,\ X W_1 + b_1)", ff.hidden, (f"{p}.pre",),
                 f"The ReLU sets every negative number to zero ({zeros} of {ff.pre.size} here) and keeps the rest.",
                 rows=toks)
        self.add(f"{p}.out", "Feed-forward: narrow", r"\max(0,\ X W_1 + b_1)\,W_2 + b_2", ff.out,
                 (f"{p}.hidden", f"{p}.W_2", f"{p}.b_2"),
                 f"The second layer narrows each row back to {cfg.d_model} numbers.", rows=toks)
