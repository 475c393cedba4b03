"""Fast text for numbers and labels that repeat: one flat VMobject per string instead of a Text with a
submobject per character. Copying it (which every Manim animation does) is about 100 times cheaper, and
each distinct string is shaped by Pango only once per process."""
from __future__ import annotations

from functools import lru_cache

import numpy as np
from manim import DL, RIGHT, Text, VMobject


_NUMBER_CHARS = "0123456789.\u2212-+\u221e\u00d7"   # digits, point, minus signs, plus, infinity, times


@lru_cache(maxsize=64)
def _glyph_table(font: str, font_size: float) -> dict | None:
    """Each number character's outline relative to its slot, shaped once as "0c0"; None unless the font is
    monospaced (every slot equally wide), where a number is exactly its glyphs side by side."""
    table, advances = {}, set()
    for c in _NUMBER_CHARS:
        t = Text("0" + c + "0", font=font, font_size=font_size)
        if len(t.submobjects) != 3:
            return None
        left, mid, right = t.submobjects
        advance = (right.get_left()[0] - left.get_left()[0]) / 2
        advances.add(round(advance, 6))
        origin = left.get_corner(DL)
        table[c] = np.concatenate([m.points for m in mid.family_members_with_points()]) - origin - advance * RIGHT
        if c == "0":
            table[c] = np.concatenate([m.points for m in left.family_members_with_points()]) - origin
    if len(advances) != 1:
        return None
    table[None] = advance
    return table


def _composed(s: str, font: str, font_size: float) -> np.ndarray | None:
    """Points of Text(s) for a number in a monospaced font, from cached glyphs (no Pango call per string)."""
    if not s or any(c not in _NUMBER_CHARS for c in s):
        return None
    table = _glyph_table(font, font_size)
    if table is None:
        return None
    pts = np.concatenate([table[c] + k * table[None] * RIGHT for k, c in enumerate(s)])
    return pts - (pts.min(axis=0) + pts.max(axis=0)) / 2


@lru_cache(maxsize=4096)
def _prototype(s: str, font: str, font_size: float) -> VMobject:
    fast = _composed(s, font, font_size)
    if fast is not None:
        flat = VMobject(stroke_width=0)
        flat.set_points(fast)
        return flat
    t = Text(s, font=font, font_size=font_size)
    parts = [m.points for m in t.family_members_with_points()]
    flat = VMobject(stroke_width=0)
    if parts:
        flat.set_points(np.concatenate(parts))
    else:  # a blank string: keep its place with an invisible point of the right width
        flat.set_points(np.zeros((4, 3)))
    return flat


def flat_text(s: str, font: str, font_size: float, color: str) -> VMobject:
    """A filled, single-path copy of Text(s): same shape and size, fast to copy and animate."""
    mob = _prototype(s, font, float(font_size)).copy()
    mob.set_fill(color, opacity=1.0).set_stroke(width=0)
    return mob
