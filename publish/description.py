"""What a creator pastes next to the video: chapters.txt (YouTube timestamps), description.txt and
narration.md (the script, for recording a voice of one's own). Formatting only: every number comes from the
Example, every time from the chapters' own step timelines."""
from __future__ import annotations

import numpy as np

from mathcore import Example
from publish.text import COURSE_TITLE, as_typed, md_text, youtube_time


def chapters_txt(chapters: list[dict]) -> str:
    """YouTube chapters: one line per chapter, the first at 00:00."""
    return "".join(f"{youtube_time(c['start'])} {c['title']}\n" for c in chapters)


def narration_md(chapters: list[dict], example: Example) -> str:
    """A script for a creator who records their own voice: each step's words, when it starts, how long the
    step lasts and, when the course is narrated, how long the voice takes."""
    lines = ["# Narration script\n", f"Sentence: *{md_text(as_typed(example.config.source))}*\n"]
    voiced = any(st.get("clip") for c in chapters for st in c["steps"])
    if voiced:
        lines.append("Times are those of the narrated course: each step lasts at least as long as the voice "
                     "(shown as *voice*) plus a short pause, so a recording of your own can follow them.\n")
    for c in chapters:
        lines.append(f"\n## {youtube_time(c['start'])} · Chapter {c['number']}: {c['title']}\n")
        for st in c["steps"]:
            t = c["start"] + st["start"]
            clip = st.get("clip")
            said = f", voice {clip['duration']:.1f} s" if clip else ""
            lines.append(f"- **{youtube_time(t)}** (`{st['id']}`, {st['end'] - st['start']:.1f} s{said}) "
                         f"{md_text(st['narration'])}")
    return "\n".join(lines) + "\n"

MIN_YOUTUBE_CHAPTER = 10.0


def youtube_chapters(entries: list[tuple[float, str]]) -> list[tuple[float, str]] | None:
    """YouTube's rules for a chapter list: the first at 00:00, ascending, each at least 10 s, at least three.
    Entries shorter than 10 s are merged into the one before; None if fewer than three remain."""
    out: list[list] = []
    for start, title in sorted(entries):
        if out and start - out[-1][0] < MIN_YOUTUBE_CHAPTER:
            continue      # too close to the previous: it becomes part of it
        out.append([start, title])
    if not out:
        return None
    out[0][0] = 0.0
    return [(s, t) for s, t in out] if len(out) >= 3 else None


def description_txt(chapters: list[dict], example: Example, total: float, voice: str | None) -> str:
    """A title, two sentences naming the sentence and the model size, and YouTube's chapter list."""
    c = example.config
    src, tgt = as_typed(c.source), as_typed(c.target)
    n_params = sum(int(np.asarray(w).size) for w in example.weights.values())
    n = len(chapters)
    what = (f"This course walks through {n} chapters in {youtube_time(total)}" if n > 1 else
            f"This is chapter {chapters[0]['number']}, {chapters[0]['title']} ({youtube_time(total)})")
    lines = [f"{COURSE_TITLE}: “{src}”", "",
             f"A small but real transformer (d_model {c.d_model}, {c.n_heads} head{'s' * (c.n_heads > 1)}, {c.n_encoder_layers} encoder "
             f"and {c.n_decoder_layers} decoder layer{'s' * (c.n_decoder_layers > 1)}, {n_params} weights) reads "
             f"“{src}” and learns to answer “{tgt}”, and every number on screen is one of its real intermediate "
             "values, checked against PyTorch. "
             + what + (", narrated by an offline voice." if voice else "."), ""]
    if n >= 3:
        entries = [(ch["start"], f"{ch['number']}. {ch['title']}") for ch in chapters]
    else:   # one or two chapters: their steps are the chapters
        entries = [(ch["start"] + st["start"], _step_title(example, st)) for ch in chapters for st in ch["steps"]]
    listed = youtube_chapters(entries)
    if listed:
        lines.append("Chapters")
        lines.extend(f"{youtube_time(t)} {title}" for t, title in listed)
    else:
        lines.append("(Too short for YouTube chapters: they need at least three of 10 s or more.)")
    lines += ["", "Made with transformer-anim: every frame is drawn from the model's own record (example.json)."]
    return "\n".join(lines) + "\n"


def _step_title(example: Example, step: dict) -> str:
    if example.has(step["id"]):
        return example.step(step["id"]).title
    return step.get("heading") or step["id"].split(".", 1)[-1].replace("-", " ").capitalize()
