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

    def role(self, name: str) -> str:
        return getattr(self, name)


DARK = Theme(
    name="dark", background="#0f1117", text="#e8e8ee", dim="#8a8fa3", panel="#1b1f2a",
    positive="#3b7dd8", negative="#d8683b",
    query="#f2c14e", key="#5ec5e8", value="#9b7fe6", weights="#6fd08c", mask="#e0505a",
    residual="#c9a0dc", positional="#f28fb0", embedding="#7fb7ff", highlight="#ffe66d", ffn="#63d6c1",
)

LIGHT = Theme(
    name="light", background="#ffffff", text="#1d1f27", dim="#6b7080", panel="#f1f2f6",
    positive="#4a8be0", negative="#e58a5b",
    query="#b7860b", key="#1f8fb8", value="#6b4fc4", weights="#2e9b53", mask="#c8323c",
    residual="#8e5aa8", positional="#c94f7c", embedding="#2f6fd0", highlight="#e0a800", ffn="#1f9c87",
)

THEMES = {"dark": DARK, "light": LIGHT}


def get_theme(name: str) -> Theme:
    try:
        return THEMES[name]
    except KeyError:
        raise ValueError(f"Unknown theme '{name}': use dark or light.") from None
