"""Text as the published files show it: the course's title, sentences as typed, times as YouTube writes
them, and Markdown that shows literally."""
from __future__ import annotations

import re

COURSE_TITLE = "Inside a transformer, number by number"


def youtube_time(seconds: float) -> str:
    s = int(seconds)
    h, m, s = s // 3600, (s % 3600) // 60, s % 60
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


def as_typed(text: str) -> str:
    """A sentence as the user typed it (case, accents and punctuation kept; runs of spaces made one), for
    titles and descriptions; the tokens shown in the pictures stay normalized."""
    return " ".join(text.split())


def md_text(s: str) -> str:
    """Text for Markdown that shows literally on GitHub and static-site generators (HTML enabled): <start>
    would otherwise be an unknown HTML tag and vanish, and | * _ ` [ ] \\ would be markup."""
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"([\\`*_\[\]|])", r"\\\1", s)
