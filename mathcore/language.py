"""Which lines build the vocabulary: the default corpus is English, so it joins only an English pair.

A Spanish or Chinese sentence pair with the default corpus would otherwise show English words such as
"brings" and "die" in its embedding matrix. The language is identified by py3langid (a bundled,
offline model over character n-grams; numpy only). A pair whose every token is a word of the default
corpus counts as English too, since short phrases ("the true enemy") are too short to identify.
A corpus the user gives is always used, whatever its language.
"""
from __future__ import annotations

from functools import lru_cache

from .config import DEFAULT_CORPUS, Config
from .tokenizer import tokenize


@lru_cache(maxsize=256)
def is_english(text: str, mode: str = "word") -> bool:
    """True when text reads as English: identified as English, or made only of the default corpus's words."""
    words = tokenize(text, mode)
    if not words:
        return False
    known = {w for line in DEFAULT_CORPUS for w in tokenize(line, mode)}
    if all(w in known for w in words):
        return True
    import py3langid
    return py3langid.classify(text)[0] == "en"


def corpus_lines(cfg: Config) -> tuple[str, ...]:
    """The corpus lines that join the sentence pair's own words in the vocabulary."""
    if cfg.corpus != DEFAULT_CORPUS or is_english(f"{cfg.source} {cfg.target}", cfg.tokenizer):
        return cfg.corpus
    return ()
