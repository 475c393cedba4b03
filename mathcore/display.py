"""Arithmetic shown on screen beside a recorded result: the terms of one matrix entry, the exponentials of
one softmax row. numpy only.

Scenes compute no math, yet a video that walks through one entry by hand must show the pieces (the products
of a row and a column and their running sum; each row's exponentials and their sum). They are derived here,
from record numbers, so the scenes only draw them; the totals they lead to are always the recorded ones.
"""
from __future__ import annotations

import math

import numpy as np

MINUS = "\u2212"   # a true minus sign: numbers on screen, in the page's tables and in the captions' text


def format_number(v: float, decimals: int) -> str:
    """How a number is shown (video, course page): rounded for display only, a true minus sign, never
    '-0.00', and −∞ for masked cells."""
    if math.isinf(v):
        return MINUS + "∞" if v < 0 else "∞"
    s = f"{v:.{decimals}f}"
    if float(s) == 0:
        s = s.lstrip("-")
    return s.replace("-", MINUS)


def product_terms(row: np.ndarray, col: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # (k,), (k,) -> (k,), (k,)
    """One entry of a matrix product, term by term: the products row[k] * col[k] and their running sums.

    The last running sum is the entry itself (row . col).
    """
    row = np.asarray(row, dtype=float)
    col = np.asarray(col, dtype=float)
    if row.shape != col.shape or row.ndim != 1:
        raise ValueError(f"product_terms needs two vectors of one length, got {row.shape} and {col.shape}")
    terms = row * col
    return terms, np.cumsum(terms)


def softmax_terms(scores: np.ndarray) -> tuple[np.ndarray, float]:  # (m,) -> (m,), ()
    """One softmax row as taught: the exponentials e^s and their sum. Masked scores (-inf) give exactly 0.

    The weights are e^s / sum (the recorded softmax subtracts the row maximum first, which changes nothing
    mathematically). Raises if a finite score is so large that e^s overflows.
    """
    s = np.asarray(scores, dtype=float)
    if s.ndim != 1 or s.size == 0:
        raise ValueError(f"softmax_terms needs a non-empty vector, got shape {s.shape}")
    with np.errstate(over="raise"):
        exps = np.exp(s)   # exp(-inf) == 0.0 exactly
    return exps, float(np.sum(exps))
