"""Labels for the chapters at scale (11 GPT-3, 12 compute): a figure from mathcore exposed for the tests, a row
of labels on one line, and a two-column table of labels and figures."""
from __future__ import annotations

from manim import RIGHT, VGroup


def figure(scene, key: str, text: str, size: float = 24, color: str | None = None):
    """A figure label from mathcore (already formatted for reading), exposed under key so the tests can
    compare it with mathcore. Figures with units read best in the proportional font (its digits are tabular,
    so columns still line up)."""
    scene.expose(key, text)
    return scene.t(text, size, color)


def line(*parts, buff: float = 0.18) -> VGroup:
    """A row of labels, centred on one line."""
    return VGroup(*parts).arrange(RIGHT, buff=buff)


def table(rows, gap: float = 0.3, row_h: float = 0.62) -> VGroup:
    """Two columns: labels right-aligned against a gutter, values left-aligned after it; a VGroup of rows."""
    out = VGroup()
    for i, (left, right) in enumerate(rows):
        y = -i * row_h
        left.move_to([-gap / 2 - left.width / 2, y, 0])
        right.move_to([gap / 2 + right.width / 2, y, 0])
        out.add(VGroup(left, right))
    return out
