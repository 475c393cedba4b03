"""Captions people can read: the written narration, word for word, in cues of at most two lines of 42
characters, each on screen 1 to 7 seconds at no more than 20 characters a second, broken at sentence
and clause boundaries, never overlapping. Timed by the voice when there is one (each sentence's start
and end), by reading speed when there is not. SRT through `srt`, WebVTT through `webvtt-py`.
"""
from __future__ import annotations

import datetime
import html
import math
import re
from dataclasses import dataclass

MAX_LINE = 42
MAX_LINES = 2
MIN_CUE = 1.0
MAX_CUE = 7.0
MAX_CPS = 20.0
READING_CPS = 15.0          # the pace of a silent course's captions
_CLAUSE_END = re.compile(r"[,;:—–)]$")
_SENTENCE_END = re.compile(r"[.!?。！？]$")


def split_sentences(text: str) -> list[str]:
    """Sentences: a . ! ? (or CJK 。！？) followed by a space or the end."""
    parts = re.split(r"(?<=[.!?。！？])\s+", text.strip())
    return [p for p in (q.strip() for q in parts) if p]


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def chars(self) -> int:
        return sum(len(x) for x in self.lines)


# ---------------------------------------------------------------- text into cues

def _pieces(text: str) -> list[tuple[str, bool]]:
    """Words as (piece, space before); a word longer than a line is cut into line-long pieces."""
    out = []
    for word in text.split():
        first = True
        while word:
            out.append((word[:MAX_LINE], first and bool(out)))
            word, first = word[MAX_LINE:], False
    return out


def _join(pieces) -> str:
    return "".join((" " if sp else "") + p for p, sp in pieces)


def _lines(pieces) -> list[str] | None:
    """The pieces as at most two lines of at most 42 characters, as even as possible; None if impossible."""
    pieces = [(p, sp) for p, sp in pieces]
    if not pieces:
        return []
    whole = _join([(pieces[0][0], False)] + pieces[1:])
    if len(whole) <= MAX_LINE:
        return [whole]
    best = None
    for k in range(1, len(pieces)):
        a = _join([(pieces[0][0], False)] + pieces[1:k])
        b = _join([(pieces[k][0], False)] + pieces[k + 1:])
        if len(a) <= MAX_LINE and len(b) <= MAX_LINE:
            # balance the lines, and prefer to break after a clause
            score = abs(len(a) - len(b)) - (24 if _SENTENCE_END.search(a) else 12 if _CLAUSE_END.search(a) else 0)
            if best is None or score < best[0]:
                best = (score, [a, b])
    return best[1] if best else None


def _split_fitting(pieces) -> list[list]:
    """Cut a run of pieces into as few cue-sized groups as possible, of even length."""
    total = len(_join(pieces))
    n = max(1, math.ceil(total / (MAX_LINE * MAX_LINES - 8)))
    while True:
        target = total / n
        groups, cur = [], []
        for pc in pieces:
            if cur and (len(_join(cur + [pc])) > target * 1.15 or _lines(cur + [pc]) is None):
                groups.append(cur)
                cur = []
            cur.append(pc)
        groups.append(cur)
        if all(_lines(g) is not None for g in groups):
            return groups
        n += 1


def chunk(text: str) -> list[list[str]]:
    """The narration as cues' lines: sentences kept whole where they fit, joined when short, else cut at
    clauses, else between words."""
    units = []           # runs of pieces that should start a new cue when they can
    for k, sentence in enumerate(split_sentences(text)):
        pieces = _pieces(sentence)
        if k and pieces:
            pieces[0] = (pieces[0][0], True)   # a space after the previous sentence
        if _lines(pieces) is not None:
            units.append(pieces)
            continue
        clause = []
        for pc in pieces:            # clauses end after , ; : — ) when they are followed by more
            clause.append(pc)
            if _CLAUSE_END.search(pc[0]):
                units.append(clause)
                clause = []
        if clause:
            units.append(clause)
    groups: list[list] = []
    for unit in units:
        if groups and _lines(groups[-1] + unit) is not None:
            groups[-1] = groups[-1] + unit
        elif _lines(unit) is not None:
            groups.append(unit)
        else:
            groups.extend(_split_fitting(unit))
    # the first piece of each group starts its line: it carries no space
    return [_lines([(g[0][0], False)] + g[1:]) for g in groups]


def _need(lines: list[str]) -> float:
    """The shortest time a cue may stay up: 1 s, and 20 characters a second."""
    return max(MIN_CUE, sum(len(x) for x in lines) / MAX_CPS)


def min_duration(text: str) -> float:
    """The shortest step that can show this narration's captions by the rules."""
    return sum(_need(c) for c in chunk(text)) + 0.05


# ---------------------------------------------------------------- timing

def step_cues(text: str, start: float, end: float, sentences: list[dict] | None = None) -> list[Cue]:
    """Cues for one step [start, end]. sentences: the voice's sentences (text, start, end relative to the
    step's start); without them the cues follow reading speed."""
    chunks = chunk(text)
    if not chunks:
        return []
    texts = [" ".join(c) for c in chunks]
    natural = _voice_times(texts, sentences) if sentences else None
    if natural is None:
        natural = _reading_times(chunks, end - start)
    windows = _legalize([(start + a, start + b) for a, b in natural], [_need(c) for c in chunks], start, end)
    return [Cue(a, b, tuple(c)) for (a, b), c in zip(windows, chunks)]


def _voice_times(texts: list[str], sentences: list[dict]) -> list[tuple[float, float]] | None:
    """Each chunk's share of the time of the sentence(s) it belongs to, by its length."""
    # locate each chunk in the narration's sentence sequence by characters
    bounds, pos = [], 0
    for s in sentences:
        n = len(re.sub(r"\s", "", s["text"]))
        bounds.append((pos, pos + n, s["start"], s["end"]))
        pos += n
    out, pos = [], 0
    for t in texts:
        n = len(re.sub(r"\s", "", t))
        a, b = pos, pos + n
        pos = b
        out.append((_char_time(a, bounds, True), _char_time(b, bounds, False)))
    if not bounds or pos != bounds[-1][1]:
        return None     # the voice's sentences are not this text's: fall back to reading speed
    return out


def _char_time(c: int, bounds, at_start: bool) -> float:
    """The time at which character c of the narration is said (linear within its sentence)."""
    for a, b, t0, t1 in bounds:
        if a <= c < b or (c == b and not at_start):
            return t0 + (t1 - t0) * (c - a) / max(b - a, 1)
    return bounds[-1][3]


def _reading_times(chunks: list[list[str]], total: float) -> list[tuple[float, float]]:
    """Back to back from the step's start, each as long as it takes to read, stretched to fill the step
    (up to 7 s a cue)."""
    read = [max(MIN_CUE, sum(len(x) for x in c) / READING_CPS) for c in chunks]
    scale = max(1.0, min(total / sum(read), min(MAX_CUE / r for r in read)))
    out, t = [], 0.0
    for r in read:
        out.append((t, t + r * scale))
        t += r * scale
    return out


def _legalize(windows, needs, start: float, end: float) -> list[tuple[float, float]]:
    """Move cue edges as little as possible so that each lasts its need to 7 s, none overlaps, and all
    lie within [start, end]."""
    out, prev = [], start
    for (a, b), need in zip(windows, needs):
        a = max(a, prev)
        b = min(max(b, a + need), a + MAX_CUE)
        out.append([a, b])
        prev = b
    if out[-1][1] > end + 1e-9:      # too late: push back from the end
        nxt = end
        for w, need in zip(reversed(out), reversed(needs)):
            w[1] = min(w[1], nxt)
            w[0] = min(w[0], w[1] - need)
            nxt = w[0]
        if out[0][0] < start - 1e-9:  # does not fit at all: share the step by need
            scale = (end - start) / sum(needs)
            t = start
            for w, need in zip(out, needs):
                w[0], w[1] = t, t + min(need * scale, MAX_CUE)
                t += need * scale
    return [(max(start, round(a, 3)), min(end, round(b, 3))) for a, b in out]


def chapter_cues(steps: list[dict], offset: float = 0.0) -> list[Cue]:
    """Cues of a chapter from its steps.json entries (start, end, narration, and clip when voiced)."""
    cues = []
    for st in steps:
        clip = st.get("clip")
        sentences = clip["sentences"] if clip else None
        cues.extend(step_cues(st["narration"], offset + st["start"], offset + st["end"], sentences))
    return cues


def course_cues(chapters: list[dict]) -> list[Cue]:
    """All chapters' cues, each shifted to its chapter's start in the course (course.json's chapters with
    their steps)."""
    return [cue for c in chapters for cue in chapter_cues(c["steps"], c["start"])]


# ---------------------------------------------------------------- files

def to_srt(cues: list[Cue]) -> str:
    """SubRip. A literal '<' gets a zero-width space after it, so players do not read user text as tags."""
    import srt
    subs = [srt.Subtitle(i + 1, datetime.timedelta(seconds=c.start), datetime.timedelta(seconds=c.end),
                         c.text.replace("<", "<\u200b")) for i, c in enumerate(cues)]
    return srt.compose(subs, reindex=False)


def vtt_time(t: float) -> str:
    """WebVTT's hh:mm:ss.mmm."""
    ms = int(round(t * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def to_vtt(cues: list[Cue]) -> str:
    """WebVTT for web players; the cue text is escaped (& < >) as the format requires."""
    from webvtt import Caption, WebVTT
    vtt = WebVTT()
    for c in cues:
        vtt.captions.append(Caption(vtt_time(c.start), vtt_time(c.end),
                                    "\n".join(html.escape(x, quote=False) for x in c.lines)))
    return vtt.content
