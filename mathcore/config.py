"""The worked example's configuration: one frozen dataclass, defaults from docs/teaching-notes.md §1."""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, fields
from typing import Any

DEFAULT_CORPUS = (
    "I drink and I know things.",
    "When you play the game of thrones, you win or you die.",
    "The true enemy won't wait out the storm, He brings the storm.",
)

MAX_TOKENS = 12          # per sentence: what a frame can show
D_MODEL_RANGE = (2, 8)   # what a frame can show
MAX_LAYERS = 6           # the paper's depth; more is not an explainer
MAX_TRAIN_STEPS = 100_000  # a few minutes at most for the toy model
TOKENIZERS = ("word", "char")


class ConfigError(ValueError):
    """Bad input: the message is one sentence naming the problem and the fix."""


@dataclass(frozen=True)
class Config:
    corpus: tuple[str, ...] = DEFAULT_CORPUS      # lines that build the vocabulary
    source: str = "when you play game of thrones"  # encoder input
    target: str = "you win or you die"              # decoder target (shifted right behind <start>)
    d_model: int = 6
    n_heads: int = 2
    d_ff: int = 12                 # 2 x d_model so it fits on screen; the paper uses 4 x
    n_encoder_layers: int = 1
    n_decoder_layers: int = 1
    seed: int = 0
    tokenizer: str = "word"        # "word", or "char" for scripts without spaces (Chinese, Japanese)
    tied_output: bool = True       # output layer = embedding transposed, as in the paper
    scale_embedding: bool = True   # multiply embeddings by sqrt(d_model), as in the paper
    decimals: int = 2              # weights are rounded to this when created and after training; numbers shown with it
    max_new_tokens: int = 0        # greedy generation limit; 0 means target length + 1
    trained: bool = True           # train on the example's pair (mathcore/train.py) so the predictions are right
    train_steps: int = 600         # step limit; training stops earlier once the target is reproduced
    learning_rate: float = 0.03    # Adam's peak learning rate, reached after the warm-up
    train_on_corpus: bool = False  # also train on every corpus line as a target (copying itself)

    def __post_init__(self):
        # TOML and JSON give lists; keep the dataclass hashable and comparable.
        if not isinstance(self.corpus, tuple):
            object.__setattr__(self, "corpus", tuple(self.corpus))

    @property
    def d_k(self) -> int:
        return self.d_model // self.n_heads

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["corpus"] = list(self.corpus)
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Config":
        """Build a Config from plain data (TOML, JSON); unknown keys and wrong types are ConfigErrors."""
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ConfigError(
                f"Unknown option '{unknown[0]}': use one of {', '.join(sorted(known))}.")
        clean = {}
        for name, value in data.items():
            default = known[name].default
            if name == "corpus":
                if isinstance(value, str):
                    value = tuple(line for line in value.splitlines() if line.strip())
                if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
                    raise ConfigError("Option 'corpus' must be a list of lines of text.")
                value = tuple(value)
            elif isinstance(default, bool):
                if not isinstance(value, bool):
                    raise ConfigError(f"Option '{name}' must be true or false, not {value!r}.")
            elif isinstance(default, int):
                if isinstance(value, bool) or not isinstance(value, int):
                    raise ConfigError(f"Option '{name}' must be a whole number, not {value!r}.")
            elif isinstance(default, float):
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise ConfigError(f"Option '{name}' must be a number, not {value!r}.")
                value = float(value)
            elif isinstance(default, str):
                if not isinstance(value, str):
                    raise ConfigError(f"Option '{name}' must be text, not {value!r}.")
            clean[name] = value
        return cls(**clean)


def validate_sizes(cfg: Config) -> None:
    """Check the sizes and options that do not need the tokenizer; raise ConfigError on the first problem."""
    for name in ("d_model", "n_heads", "d_ff", "n_encoder_layers", "n_decoder_layers"):
        if getattr(cfg, name) <= 0:
            raise ConfigError(f"{name} must be a positive whole number, not {getattr(cfg, name)}.")
    lo, hi = D_MODEL_RANGE
    if not lo <= cfg.d_model <= hi:
        raise ConfigError(f"d_model must be between {lo} and {hi} so the matrices fit on screen, not {cfg.d_model}.")
    if cfg.d_model % cfg.n_heads:
        divisors = [h for h in range(1, cfg.d_model + 1) if cfg.d_model % h == 0]
        raise ConfigError(
            f"{cfg.n_heads} heads do not divide d_model = {cfg.d_model}: "
            f"use one of {', '.join(map(str, divisors))} heads.")
    if cfg.d_ff > 4 * D_MODEL_RANGE[1]:
        raise ConfigError(f"d_ff must be at most {4 * D_MODEL_RANGE[1]} so the matrices fit on screen, not {cfg.d_ff}.")
    for name in ("n_encoder_layers", "n_decoder_layers"):
        if getattr(cfg, name) > MAX_LAYERS:
            raise ConfigError(f"{name} must be at most {MAX_LAYERS}, not {getattr(cfg, name)}.")
    if cfg.tokenizer not in TOKENIZERS:
        raise ConfigError(f"Unknown tokenizer '{cfg.tokenizer}': use 'word' or 'char'.")
    if not 1 <= cfg.decimals <= 6:
        raise ConfigError(f"decimals must be between 1 and 6, not {cfg.decimals}.")
    if cfg.seed < 0:
        raise ConfigError(f"seed must be zero or positive, not {cfg.seed}.")
    if not 0 <= cfg.max_new_tokens <= 2 * MAX_TOKENS:
        raise ConfigError(f"max_new_tokens must be between 0 (automatic) and {2 * MAX_TOKENS}, not {cfg.max_new_tokens}.")
    if not 0 < cfg.train_steps <= MAX_TRAIN_STEPS:
        raise ConfigError(f"train_steps must be a whole number from 1 to {MAX_TRAIN_STEPS}, not {cfg.train_steps}.")
    if not (0 < cfg.learning_rate and math.isfinite(cfg.learning_rate)):
        raise ConfigError(f"learning_rate must be a positive number such as 0.03, not {cfg.learning_rate}.")
    if not any(line.strip() for line in cfg.corpus):
        raise ConfigError("The corpus is empty: give at least one line of text.")
