"""Tokenizer and vocabulary: text -> tokens -> ids -> one-hot rows."""
from __future__ import annotations

import unicodedata

import numpy as np

START, END = "<start>", "<end>"
SPECIALS = (START, END)
START_ID, END_ID = 0, 1   # build_vocab puts SPECIALS first, so every vocabulary starts <start>, <end>
APOSTROPHES = "'\u2019"


def _is_word_char(ch: str) -> bool:
    # Letters, combining marks (Devanagari vowel signs, accents) and digits belong to words.
    return unicodedata.category(ch)[0] in "LMN"


def tokenize(text: str, mode: str = "word") -> list[str]:
    """Lower-case and split into tokens, dropping punctuation, symbols and spaces.

    word mode: runs of letters/marks/digits; an apostrophe between two word characters stays inside the
    word ("won't"). char mode: every letter, mark-less character or digit is its own token, for scripts
    written without spaces (Chinese, Japanese); combining marks stay with the character before them.
    """
    text = unicodedata.normalize("NFC", text).lower()
    tokens: list[str] = []
    if mode == "char":
        for ch in text:
            if unicodedata.category(ch)[0] == "M" and tokens:
                tokens[-1] += ch
            elif _is_word_char(ch):
                tokens.append(ch)
        return tokens
    word = ""
    for i, ch in enumerate(text):
        if _is_word_char(ch):
            word += ch
        elif ch in APOSTROPHES and word and i + 1 < len(text) and _is_word_char(text[i + 1]):
            word += "'"  # one apostrophe form, so "won't" and "won’t" are the same token
        else:
            if word:
                tokens.append(word)
            word = ""
    if word:
        tokens.append(word)
    return tokens


def build_vocab(texts: list[str] | tuple[str, ...], mode: str = "word") -> list[str]:
    """<start>, <end>, then every distinct token of the texts in alphabetical order (easy to look up)."""
    words = {tok for text in texts for tok in tokenize(text, mode)}
    return list(SPECIALS) + sorted(words)


def encode(tokens: list[str], vocab: list[str]) -> np.ndarray:  # (n,) int ids
    index = {tok: i for i, tok in enumerate(vocab)}
    return np.array([index[t] for t in tokens], dtype=np.int64)


def one_hot(ids: np.ndarray, vocab_size: int) -> np.ndarray:  # (n,) -> (n, V)
    return np.eye(vocab_size)[ids]
