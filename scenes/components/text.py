"""Text for the scenes: the one place where a string meets Pango, and fast flat copies of it.

Every string the scenes draw (user text such as tokens, words, corpus lines and sentences, and the scenes'
own labels) goes through make_text(): a plain manim Text (never LaTeX, never Pango markup: the string is
drawn literally, so `<b>x</b> &amp;` and `\\ $ & % # _ { } ~ ^` come out as written), with two guards:

- Right-to-left scripts. manimpango's Text lays a line out in a Pango paragraph as wide as the frame and
  aligns it to the paragraph's start side. A line whose first strong character is Arabic or Hebrew is a
  right-to-left paragraph, so it is pushed against the right edge, past the SVG surface (it starts 30 px
  in), and Cairo drops every glyph: Text("مرحبا") has no submobjects and raises nothing. A left-to-right
  mark (U+200E, invisible, no glyph) in front makes the paragraph left-to-right while the Unicode bidi
  algorithm still lays each Arabic or Hebrew run out right to left, so words keep their letter order and a
  line of right-to-left words reads right to left.
- Failing loudly. A string with a character that no installed font covers (Pango would draw a box with its
  hex code), or a non-blank string that draws no glyph at all, raises UndrawableTextError, whose message is
  one sentence naming the text, the character and the font. Whitespace-only strings (spacers) are fine.

Every mobject made here carries `drawn_text` (the string as drawn) and `glyph_count`, so tests can find the
text on screen and check it; labels cut to a maximum width (fit_label) also carry `full_text`.

flat_text is a filled single-path copy of a Text: one VMobject per string instead of a submobject per
glyph, so copying it (which every Manim animation does) is about 100 times cheaper, and each distinct
string is shaped by Pango only once per process.
"""
from __future__ import annotations

import bisect
import subprocess
import unicodedata
from functools import lru_cache

import numpy as np
from manim import DL, RIGHT, Text, VMobject


_NUMBER_CHARS = "0123456789.\u2212-+\u221e\u00d7"   # digits, point, minus signs, plus, infinity, times
LRM = "\u200e"          # left-to-right mark: makes the paragraph left-to-right (see the module docstring)
FSI, PDI = "\u2068", "\u2069"   # first-strong isolate ... pop: a token keeps its own direction inside a line
ELLIPSIS = "\u2026"
_RTL_CLASSES = frozenset({"R", "AL", "RLE", "RLO", "RLI"})


class UndrawableTextError(ValueError):
    """Text that would not draw as written: a character no installed font covers, or no glyph at all.

    The message is one sentence naming the text, the font and the fix (a command line prints it as is)."""

    def __init__(self, text: str, font: str, char: str | None = None):
        self.text, self.font, self.char = text, font, char
        shown = text if len(text) <= 60 else text[:57] + "..."
        if char is not None:
            message = (f"Cannot draw the text '{shown}': no installed font covers the character '{char}' "
                       f"(U+{ord(char):04X}), neither the font '{font}' nor any fallback, so install a font "
                       f"that covers it (for emoji, a monochrome one such as fonts-symbola).")
        else:
            message = (f"Cannot draw the text '{shown}': the font '{font}' and its fallbacks draw no glyph for "
                       f"it, so install a font that covers its characters or remove them.")
        super().__init__(message)


# ---------------------------------------------------------------- which characters the fonts can draw
@lru_cache(maxsize=1)
def _coverage() -> tuple[list[int], list[int]] | None:
    """The code points some installed outline font covers, as sorted disjoint [start, end] ranges (the union
    of fontconfig's charsets, which is what Pango's fallback can reach); None when fc-list is unavailable.
    Colour and bitmap fonts are left out: their glyphs come out of Cairo's SVG as images, which Manim drops."""
    try:
        out = subprocess.run(["fc-list", ":outline=true", "--format", "%{color}|%{charset}\n"],
                             capture_output=True, text=True, timeout=60, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    ranges = []
    for line in set(out.splitlines()):        # the weights of a family share one charset: parse it once
        color, _, charset = line.partition("|")
        if color.strip().lower() in ("true", "1"):
            continue
        for part in charset.split():
            a, _, b = part.partition("-")
            try:
                ranges.append((int(a, 16), int(b or a, 16)))
            except ValueError:
                continue
    if not ranges:
        return None
    ranges.sort()
    starts, ends = [ranges[0][0]], [ranges[0][1]]
    for a, b in ranges[1:]:
        if a <= ends[-1] + 1:
            ends[-1] = max(ends[-1], b)
        else:
            starts.append(a)
            ends.append(b)
    return starts, ends


@lru_cache(maxsize=8192)
def _covered(ch: str) -> bool:
    cov = _coverage()
    if cov is None:
        return True
    starts, ends = cov
    k = bisect.bisect_right(starts, ord(ch)) - 1
    return k >= 0 and ord(ch) <= ends[k]


def _needs_glyph(ch: str) -> bool:
    """Whether ch should be drawn by some font: not a space, not an invisible format character (joiners,
    direction marks) or a variation selector."""
    if ch.isspace() or " " < ch <= "~":
        return False
    if unicodedata.category(ch) == "Cf" or "\ufe00" <= ch <= "\ufe0f" or "\U000e0100" <= ch <= "\U000e01ef":
        return False
    return True


def uncovered_char(s: str) -> str | None:
    """The first character of s that no installed font covers, or None."""
    return next((c for c in s if _needs_glyph(c) and not _covered(c)), None)


def has_rtl(s: str) -> bool:
    return any(unicodedata.bidirectional(c) in _RTL_CLASSES for c in s)


def _for_pango(s: str) -> str:
    """s as Text must be given it: a left-to-right mark in front of a line with right-to-left characters."""
    return LRM + s if has_rtl(s) else s


# ---------------------------------------------------------------- the one place Pango sees text
def make_text(s: str, font: str, font_size: float, **kwargs) -> Text:
    """Text(s): drawn literally, right-to-left scripts included; raises UndrawableTextError rather than draw
    a box or nothing. The result carries drawn_text and glyph_count."""
    s = str(s)
    bad = uncovered_char(s)
    if bad is not None:
        raise UndrawableTextError(s, font, bad)
    t = Text(_for_pango(s), font=font, font_size=font_size, **kwargs)
    count = sum(1 for m in t.submobjects if len(m.points))
    if count == 0 and s.strip():
        raise UndrawableTextError(s, font)
    t.drawn_text, t.glyph_count = s, count
    _mark_size(t, font_size)
    return t


def _mark_size(mob, font_size: float):
    """Remember the font size and the ink's diagonal at creation: the layout audit (scenes/audit.py) reads
    a text's size on screen as size0 times how much its diagonal has grown or shrunk since (scaling and
    rotation keep the ratio honest: a turned label keeps its diagonal)."""
    mob.size0 = float(font_size)
    mob.diag0 = float(np.hypot(mob.width, mob.height))


def dimmed_context(*mobs):
    """Mark text drawn faint on purpose, as context behind what is being explained (a greyed-out row, the
    previous sentence): the layout audit then requires 3:1 contrast of it instead of 4.5:1. Marks every
    mob given (and, through the audit, everything inside it); returns the first."""
    for m in mobs:
        m.audit_context = True
    return mobs[0] if mobs else None


def note_font(fonts: dict, key: str, font_size: float):
    """Remember the smallest font size on screen in a step: fonts[key] (the chapters' tests check it)."""
    fonts[key] = min(fonts.get(key, float("inf")), font_size)


@lru_cache(maxsize=64)
def _glyph_table(font: str, font_size: float) -> dict | None:
    """Each number character's outline relative to its slot, shaped once as "0c0"; None unless the font is
    monospaced (every slot equally wide), where a number is exactly its glyphs side by side."""
    table, advances = {}, set()
    for c in _NUMBER_CHARS:
        t = make_text("0" + c + "0", font=font, font_size=font_size)
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


def flat_copy(t: Text, s: str) -> VMobject:
    """One filled VMobject with all of t's glyph outlines (marked with s and t's glyph count)."""
    parts = [m.points for m in t.family_members_with_points()]
    flat = VMobject(stroke_width=0)
    if parts:
        flat.set_points(np.concatenate(parts))
    else:  # a blank string: keep its place with an invisible point of the right width
        flat.set_points(np.zeros((4, 3)))
    flat.drawn_text, flat.glyph_count = s, t.glyph_count
    if getattr(t, "size0", None) is not None:
        _mark_size(flat, t.size0)
    return flat


@lru_cache(maxsize=4096)
def _prototype(s: str, font: str, font_size: float) -> VMobject:
    fast = _composed(s, font, font_size)
    if fast is not None:
        flat = VMobject(stroke_width=0)
        flat.set_points(fast)
        flat.drawn_text, flat.glyph_count = s, len(s)
        _mark_size(flat, font_size)
        return flat
    return flat_copy(make_text(s, font=font, font_size=font_size), s)


def flat_text(s: str, font: str, font_size: float, color: str) -> VMobject:
    """A filled, single-path copy of Text(s): same shape and size, fast to copy and animate."""
    mob = _prototype(str(s), font, float(font_size)).copy()
    mob.set_fill(color, opacity=1.0).set_stroke(width=0)
    return mob


# ---------------------------------------------------------------- labels with a maximum width
def clusters(s: str) -> list[str]:
    """s split into user-perceived characters (approximately): a combining mark, a joiner, a variation
    selector or whatever follows a joiner stays with the character before it, so a cut never splits a
    Devanagari syllable's vowel sign or an emoji sequence."""
    out: list[str] = []
    for c in s:
        glue = (unicodedata.category(c)[0] == "M" or c in "\u200c\u200d" or "\ufe00" <= c <= "\ufe0f"
                or (out and out[-1].endswith("\u200d")))
        if glue and out:
            out[-1] += c
        else:
            out.append(c)
    return out


def _width(s: str, font: str, font_size: float) -> float:
    return _prototype(s, font, float(font_size)).width


@lru_cache(maxsize=1024)
def ellipsize(s: str, font: str, font_size: float, max_width: float) -> str:
    """s itself when it is at most max_width wide in font at font_size, else its longest start that fits
    with an ellipsis after it ("encyclop…"). A right-to-left word is isolated so that its ellipsis sits at
    its visual end, on the left."""
    s = str(s)
    if max_width <= 0 or _width(s, font, font_size) <= max_width + 1e-9:
        return s
    parts = clusters(s)

    def cut(k: int) -> str:
        head = "".join(parts[:k]).rstrip()
        return FSI + head + ELLIPSIS + PDI if has_rtl(head) else head + ELLIPSIS

    lo, hi = 1, len(parts) - 1     # the longest k with cut(k) fitting; at least one character stays
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if _width(cut(mid), font, font_size) <= max_width + 1e-9:
            lo = mid
        else:
            hi = mid - 1
    return cut(max(lo, 1))


def fit_label(s: str, font: str, font_size: float, color: str, max_width: float | None) -> VMobject:
    """flat_text of s, cut with an ellipsis when wider than max_width (None: never cut). The full string
    stays in the mobject's full_text."""
    s = str(s)
    shown = s if max_width is None else ellipsize(s, font, float(font_size), float(max_width))
    mob = flat_text(shown, font, font_size, color)
    mob.full_text = s
    return mob


LABEL_MAX_WIDTH_PER_POINT = 0.1   # a label's room: 2 units at font size 20 (about 16 lower-case letters)


def label_max_width(font_size: float) -> float:
    """The fixed maximum width of a token label (matrix rows and columns, heatmaps, bars, panel titles) at
    font_size: wider labels are cut with an ellipsis (ellipsize), so a long word neither runs off the frame
    nor shrinks the numbers beside it. Token chips and captions keep the whole word."""
    return LABEL_MAX_WIDTH_PER_POINT * float(font_size)


def label_width(s: str, font: str, font_size: float, max_width: float | None = None) -> float:
    """The width fit_label(s, ...) will have (the cut label's width when s is wider than max_width)."""
    shown = s if max_width is None else ellipsize(str(s), font, float(font_size), float(max_width))
    return _width(shown, font, float(font_size))
