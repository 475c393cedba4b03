"""A faster Mobject.__deepcopy__, same result.

Manim copies whole mobject families in every FadeIn, FadeOut and Transform (Mobject.copy is copy.deepcopy),
and in our chapters that copying is the largest single cost of building a scene: matrices of numbers are
hundreds of glyphs, each a dict of small attributes. Manim's own __deepcopy__ sends every attribute through
copy.deepcopy; this one does the same but handles the common cheap cases inline (numbers, strings, None,
numpy arrays, lists and tuples) and shares what is never changed in place (see _SHARED), with the same memo, so shared references and cycles come out as
copy.deepcopy makes them. Anything else still goes through copy.deepcopy.

Imported by scenes/base.py, so every chapter gets it (through render.py, the tests or Manim's own CLI).
"""
from __future__ import annotations

import copy

import enum

import numpy as np
import svgelements
from manim.mobject.mobject import Mobject
from manim.utils.color import ManimColor

_ATOMIC = frozenset({int, float, bool, str, type(None), complex, bytes, type, np.float64, np.int64, np.bool_})
# Shared, not copied: values nothing changes in place. A glyph keeps the svgelements Path it was built from
# (only read, when its points are first generated); copying that parse tree was most of the cost of a copy.
# Enums copy to themselves anyway; colours are replaced, never changed in place.
_SHARED = (svgelements.Shape, enum.Enum, ManimColor)
_original = Mobject.__deepcopy__


def _copy_value(v, memo):
    t = type(v)
    if t in _ATOMIC or isinstance(v, _SHARED):
        return v
    found = memo.get(id(v))
    if found is not None:
        return found
    if t is np.ndarray and v.dtype.kind in "biufc":
        c = v.copy()
    elif t is list:
        c = []
        memo[id(v)] = c
        c.extend(_copy_value(x, memo) for x in v)
    elif t is tuple:
        items = [_copy_value(x, memo) for x in v]
        found = memo.get(id(v))      # a cycle through the tuple made it already
        if found is not None:
            return found
        c = v if all(a is b for a, b in zip(items, v)) else tuple(items)
    else:
        return copy.deepcopy(v, memo)
    memo[id(v)] = c
    # as copy.deepcopy does: keep the originals alive while the memo is in use, so ids are not reused
    memo.setdefault(id(memo), []).append(v)
    return c


def _deepcopy(self, memo):
    cls = self.__class__
    result = cls.__new__(cls)
    memo[id(self)] = result
    d = result.__dict__
    for k, v in self.__dict__.items():
        d[k] = _copy_value(v, memo)
    result.original_id = str(id(self))
    return result


def install() -> None:
    """Replace Mobject.__deepcopy__ (once); subclasses that define their own keep theirs."""
    if Mobject.__deepcopy__ is _original:
        Mobject.__deepcopy__ = _deepcopy


install()
