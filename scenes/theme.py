"""Colours and fonts, one per role. Passed to every component and scene explicitly; never read at import."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Theme:
    name: str
    background: str
    text: str          # titles, labels
    dim: str           # secondary text, brackets, ellipses
    panel: str         # filled boxes behind groups
    positive: str      # cell fill for values > 0
    negative: str      # cell fill for values < 0
    query: str         # Q and W_Q
    key: str           # K and W_K
    value: str         # V and W_V
    weights: str       # attention weights, probabilities
    mask: str          # the causal mask, -inf
    residual: str      # residual connections, Add & Norm
    positional: str    # positional encoding, waves
    embedding: str     # W_E, embeddings
    highlight: str     # the row/column/cell being worked on
    ffn: str           # feed-forward
    font: str = "Noto Sans"              # words; Pango falls back to Noto CJK for Chinese and Japanese
    mono: str = "DejaVu Sans Mono"       # numbers, so digits line up in columns
    cell_opacity: float = 0.85           # fill opacity of the largest |value| in a matrix
    # font sizes (points at Manim's scale; 854x480 is the smallest render): the one set every scene uses
    size_title: float = 52               # a chapter's title card
    size_text: float = 26                # sentences, notes, the step heading
    size_label: float = 20               # labels, token chips, numbers in matrices
    size_min: float = 18                 # nothing on screen smaller than this after fitting
    size_readable: float = 20            # what a layout that chooses by size keeps: 18 pt can measure just
                                         # under the audit's 8 px at 480p in some words

    def role(self, name: str) -> str:
        return getattr(self, name)


# positive and mask are a little lighter than first chosen (#3b7dd8, #e0505a: 4.0:1 and 4.3:1 on the panel)
# so that, drawn as text on a panel, they too reach 4.5:1
DARK = Theme(
    name="dark", background="#0f1117", text="#e8e8ee", dim="#8a8fa3", panel="#1b1f2a",
    positive="#4c88db", negative="#d8683b",
    query="#f2c14e", key="#5ec5e8", value="#9b7fe6", weights="#6fd08c", mask="#e25b64",
    residual="#c9a0dc", positional="#f28fb0", embedding="#7fb7ff", highlight="#ffe66d", ffn="#63d6c1",
)

# every role colour is also drawn as text (names, labels, notes): each reaches 4.5:1 on the panel's grey
# and so on the white background too (the layout audit's contrast rule; the lighter originals, darkened in
# HLS lightness just enough, were 2.2-4.4:1)
LIGHT = Theme(
    name="light", background="#ffffff", text="#1d1f27", dim="#686d7d", panel="#f1f2f6",
    positive="#3b6eb2", negative="#9c5d3e",
    query="#8c6708", key="#197597", value="#6b4fc4", weights="#257c42", mask="#c8323c",
    residual="#8c58a6", positional="#ba406d", embedding="#2d6bc9", highlight="#8b6800", ffn="#187b6a",
)

THEMES = {"dark": DARK, "light": LIGHT}

MIN_CONTRAST = 4.5   # WCAG 2 AA for text: what every text must reach against what is behind it


def hex_rgb(color: str) -> tuple[float, float, float]:
    """"#rrggbb" as three channels in 0..1."""
    h = str(color).lstrip("#")
    return tuple(int(h[k:k + 2], 16) / 255 for k in (0, 2, 4))


def relative_luminance(rgb) -> float:
    """WCAG 2 relative luminance of an sRGB colour (channels in 0..1)."""
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (float(x) for x in rgb[:3])]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast_ratio(a, b) -> float:
    """WCAG 2 contrast ratio of two sRGB colours (1 to 21)."""
    la, lb = relative_luminance(a), relative_luminance(b)
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


def blend(under, over, opacity: float) -> tuple[float, ...]:
    """over painted at opacity on under (channels in 0..1)."""
    return tuple(u * (1 - opacity) + o * opacity for u, o in zip(under, over))


def readable_fill_opacity(theme: Theme, fill: str, text: str, opacity: float, need: float = MIN_CONTRAST) -> float:
    """The fill opacity to use for a box under text: opacity, lowered just enough (a bisection) that the text
    keeps need:1 contrast against the fill painted on the theme's background. A fill the text cannot reach
    need against at any opacity gets the one with the best contrast seen (0 at worst)."""
    bg, fc, tc = hex_rgb(theme.background), hex_rgb(fill), hex_rgb(text)

    def ok(a):
        return contrast_ratio(tc, blend(bg, fc, a)) >= need + 0.05
    if opacity <= 0 or ok(opacity):
        return opacity
    if not ok(0.0):
        return 0.0
    lo, hi = 0.0, float(opacity)
    for _ in range(20):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if ok(mid) else (lo, mid)
    return lo


def get_theme(name: str) -> Theme:
    try:
        return THEMES[name]
    except KeyError:
        raise ValueError(f"Unknown theme '{name}': use dark or light.") from None
