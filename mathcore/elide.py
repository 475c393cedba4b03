"""Elision: which rows, columns or entries a too-large matrix or table shows, and where the ⋯ go (shared by
the video's components and the Markdown tables; no drawing).

Pure functions (sizes and room in, the indices to show out): a list of data indices in increasing order,
with None for each gap (drawn as ⋮ / ⋯). Used by NumericMatrix (rows and columns), ProbabilityBars and
TokenGrid (vocabulary entries).
"""
from __future__ import annotations

from typing import Iterable

Shown = list  # list[int | None]: data indices, None for a gap


def shown_indices(n: int, limit: int) -> Shown:
    """Which rows (or columns) to draw: all when they fit, else the first limit-2, None for ⋮, and the last."""
    if n <= limit:
        return list(range(n))
    return list(range(max(limit - 2, 1))) + [None, n - 1]


def shown_subset(n: int, keep, limit: int) -> Shown:
    """Show the indices in keep (the ones the story needs, e.g. the ids used), in order, with None for
    each gap; when everything fits, show everything."""
    if n <= limit:
        return list(range(n))
    keep = sorted(set(int(k) for k in keep))
    out: Shown = []
    prev = -1
    for k in keep:
        if k != prev + 1:
            out.append(None)
        out.append(k)
        prev = k
    if prev != n - 1:
        out.append(None)
    return out


def elide(n: int, room: int, required: Iterable[int] = ()) -> Shown:
    """The rows (or columns) of an n-long axis to show in room slots (a gap takes a slot): all when they
    fit; else the first and the last, every required index, and as many of the first others as the room
    leaves, None for each gap. Without required indices (or when the usual choice shows them) this is
    shown_indices(n, room). Required indices are kept even when they alone overflow the room."""
    usual = shown_indices(n, room)
    req = {int(r) for r in required if 0 <= int(r) < n}
    if n <= room or req <= set(usual):
        return usual
    chosen = {0, n - 1} | req
    for i in range(1, n - 1):
        if i in chosen:
            continue
        if len(shown_subset(n, chosen | {i}, 0)) > room:
            break
        chosen.add(i)
    return shown_subset(n, chosen, 0)


def choose(n: int, count: int, keep: Iterable[int] = ()) -> Shown:
    """Entries of a table (not an axis: the last need not show): keep plus the first others, count
    entries in all (or more when keep alone is more), in order, with None for each gap."""
    chosen = set(keep)
    for i in range(n):
        if len(chosen) >= count:
            break
        chosen.add(i)
    return shown_subset(n, chosen, limit=0)    # everything chosen, ⋯ for each gap
