"""The worked example: run the model on the sentence and record every intermediate as a named step.

Scenes, captions and exports read an Example and nothing else. Its JSON form (docs/example-format.md) is
byte-identical for the same config and round-trips exactly.

build_example only orchestrates: train.train fits the weights, model.forward runs the teacher-forced pass,
model.generate decodes greedily, train.first_update traces the first training step; record.py turns their
dataclasses into Steps, with the sentences of narration.py.
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

from . import model, record
from . import train as _train
from .config import MAX_TOKENS, Config, ConfigError, validate_sizes
from .language import corpus_lines
from .model import TIE_TOLERANCE, greedy_choice  # noqa: F401  (importable from here, as before)
from .record import Step
from .tokenizer import END, START, build_vocab, encode, tokenize

FORMAT = "transformer-anim/example"
FORMAT_VERSION = 2   # 2: the training section; version 1 files predate training


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
    # Words of the sentences that the corpus lacks join the vocabulary, so any sentence works; the default
    # (English) corpus joins only an English pair (language.corpus_lines)
    vocab = build_vocab(list(corpus_lines(cfg)) + [cfg.source, cfg.target], cfg.tokenizer)
    return vocab, source, target


@dataclass(frozen=True)
class Sentences:
    """The example's sentence pair as tokens and ids; teacher forcing shifts the target right."""
    source: tuple[str, ...]
    target_input: tuple[str, ...]    # <start> + target
    target_labels: tuple[str, ...]   # target + <end>: the word each position should predict
    source_ids: np.ndarray           # (n,)
    target_ids: np.ndarray           # (m,) of target_input
    label_ids: np.ndarray            # (m,) of target_labels


def sentences(vocab: list[str], source: list[str], target: list[str]) -> Sentences:
    tgt_in, tgt_lab = [START] + target, target + [END]
    return Sentences(tuple(source), tuple(tgt_in), tuple(tgt_lab), encode(source, vocab), encode(tgt_in, vocab),
                     encode(tgt_lab, vocab))


def build_example(cfg: Config = Config()) -> Example:
    """Run the whole encoder-decoder forward pass on cfg's sentences and record every step.

    With cfg.trained (the default) the seeded initial weights are first trained on the sentence pair
    (mathcore/train.py) and rounded; the forward pass and generation use exactly those rounded weights.
    """
    vocab, source, target = prepare(cfg)
    s = sentences(vocab, source, target)
    initial = model.init_weights(cfg, len(vocab))
    run = _train.train(cfg, initial, vocab) if cfg.trained else None
    weights = initial if run is None else run.weights  # rounded to run.decimals: the numbers shown are the numbers used
    fwd = model.forward(s.source_ids, s.target_ids, cfg, weights)
    gen = model.generate(s.source_ids, cfg, weights, model.generation_limit(cfg, len(target)))

    steps = [*record.inputs(cfg, "source", s.source, s.source_ids, fwd.encoder_inputs, vocab),
             *record.encoder(cfg, fwd, s.source),
             *record.inputs(cfg, "target", s.target_input, s.target_ids, fwd.decoder_inputs, vocab),
             *record.decoder(cfg, fwd, s.target_input, s.source),
             *record.output(cfg, fwd, vocab, s.target_input, s.target_labels, run),
             *record.generation(cfg, gen, vocab, s.target_labels, run)]
    if run is not None:
        first = _train.first_update(cfg, initial, run, s.source_ids, s.target_ids, s.label_ids)
        steps += record.first_update(cfg, first, run, vocab, s.target_input, s.target_labels)

    tokens = {"source": s.source, "target_input": s.target_input, "target_labels": s.target_labels,
              "predicted": tuple(vocab[i] for i in fwd.predicted),
              "generated": tuple(vocab[i] for i in gen.tokens)}
    return Example(cfg, tuple(vocab), tokens, weights, tuple(steps), run)
