"""post.md: the course as a Markdown article, each chapter's steps in the order the video plays them, each
with its heading, its narration, the stills of the moments it holds and its numbers as a table."""
from __future__ import annotations

from pathlib import Path

from mathcore import Example
from publish.data import data_markdown_step
from publish.text import COURSE_TITLE, as_typed, md_text


def post_markdown(ex: Example, chapters: list, stills: list[Path], results: dict) -> str:
    """The article's text: stills are the files a stills render saved, results each chapter's timeline and
    key moments (as the chapter processes report them), by slug."""
    by_name = {p.name: p for p in stills}
    parts = [f"# {COURSE_TITLE}\n",
             f"Every number below is a real value computed by a small transformer (d_model {ex.config.d_model}, "
             f"{ex.config.n_heads} head{'s' * (ex.config.n_heads > 1)}) on the sentence *{md_text(as_typed(ex.config.source))}*. "
             "The data: [example.json](example.json).\n"]
    for ch in chapters:
        parts.append(f"\n## {ch.number}. {md_text(ch.title)}\n")
        for step, moments in post_sections(results[ch.slug]["steps"], results[ch.slug]["key_moments"]):
            record = ex.step(step["id"]) if ex.has(step["id"]) else None
            heading = step.get("heading") or (record.title if record else ch.title)
            parts.append(f"### {md_text(heading)}\n\n{md_text(step['narration'])}\n")
            for m in moments:
                name = f"{ch.slug}-{m}.png"
                if name in by_name:
                    parts.append(f"![{md_text(heading)}](stills/{name})\n")
            if record is not None:
                parts.append(data_markdown_step(ex, record))
    return "\n".join(parts)


def post_sections(steps: list[dict], key_moments: dict[str, float]) -> list[tuple[dict, list[str]]]:
    """Each step of a chapter's timeline, in playing order, with the key moments it holds in time order: a
    step's own moment, and the moments inside it (a worked entry, say) whose time lies within the step."""
    out = [(st, []) for st in steps]
    for moment, t in sorted(key_moments.items(), key=lambda kv: kv[1]):
        own = [i for i, st in enumerate(steps) if st["id"] == moment]
        inside = [i for i, st in enumerate(steps) if st["start"] - 1e-6 <= t <= st["end"] + 1e-6]
        for i in own or inside[-1:]:
            out[i][1].append(moment)
    return out
