"""What a chapter shows, kept for its tests: every matrix drawn for a step, with the record's rows it holds.

Chapters pass their state from step to step; this is the one registry they write into, through the scene's
test hook (ChapterScene.expose): tests read scene.exposed["shown_matrices"][step_id], a list of
(matrix, rows) pairs, and compare the numbers with the record. A chapter never reads it back.
"""
from __future__ import annotations

from .matrix import NumericMatrix


def register(scene, step_id: str, m: NumericMatrix, rows: list[int] | None = None) -> NumericMatrix:
    """Keep a matrix drawn for step_id (rows maps its rows to the record's; None: all of them, in order) and
    return it."""
    shown = scene.exposed.get("shown_matrices")
    if shown is None:
        shown = scene.expose("shown_matrices", {})
    shown.setdefault(step_id, []).append((m, rows))
    return m
