"""Stills and the post: the chapters run in Manim's dry-run mode and save PNGs of their key moments
(scenes.base.StillsRequest), one process per chapter as for a video; post.md is written from them
(publish.post)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from mathcore import Example
from mathcore.files import write_atomic
from pipeline.errors import RenderError
from pipeline.local import _run_all, _spawn
from pipeline.settings import ROOT, RenderSettings
from publish.post import post_markdown, post_sections


def render_stills(ex: Example, chapters: list, stills_dir: Path, settings: RenderSettings,
                  at: set[str] | None, jobs: int) -> tuple[list[Path], dict]:
    """The stills of the chosen key moments (at; None for all) in stills_dir, and each chapter's report
    (its timeline, its key moments and the stills it saved), by slug."""
    folder = stills_dir.parent
    write_atomic(folder / "example.json", ex.to_json())
    work = folder / ".work"
    jobs_list = [(ch, (lambda ch=ch: _spawn(ch, folder / "example.json", settings, work / f"stills-{ch.slug}",
                                            work / f"stills-{ch.slug}.log", stills_dir, at)))
                 for ch in chapters]
    results = _run_all(jobs_list, jobs, settings.verbose)
    shutil.rmtree(work, ignore_errors=True)
    return [Path(p) for ch in chapters for p in results[ch.slug]["stills"]], results


KEY_MOMENTS_FILE = ROOT / "scenes" / "key_moments.json"   # written by scripts/key_moments.py


def list_key_moments(ex: Example, chapters: list, folder: Path, settings: RenderSettings,
                     jobs: int) -> dict[str, list[tuple[str, str]]]:
    """Each chapter's key moments (id, heading), in playing order, from a dry run that saves no still."""
    _, results = render_stills(ex, chapters, folder / "stills", settings, {"-"}, jobs)
    return {ch.slug: [(m, st.get("heading") or ch.title)
                      for st, moments in post_sections(results[ch.slug]["steps"], results[ch.slug]["key_moments"])
                      for m in moments]
            for ch in chapters}


class UnknownMomentError(RenderError, ValueError):
    """A --at id that no chosen chapter has; the message names the closest ids."""


def check_moments(ex: Example, chapters: list, at: set[str]) -> None:
    """Fail at once, before any rendering, on a --at id that none of the chapters can have: the ids of the
    default example's key moments (scenes/key_moments.json) and, for this example, every record id and
    its worked-moment variant. Raises UnknownMomentError naming the closest ids."""
    import difflib
    registry = json.loads(KEY_MOMENTS_FILE.read_text())
    known = {m for ch in chapters for m, _ in registry.get(ch.slug, [])}
    suffixes = {m[len(r):] for m in known for r in (s.id for s in ex.steps) if m.startswith(r + "-")}
    known |= {s.id + suf for s in ex.steps for suf in suffixes | {""}}
    for a in sorted(at):
        if a not in known:
            close = difflib.get_close_matches(a, sorted(known), n=3, cutoff=0.6)
            chapters_named = ", ".join(str(ch.number) for ch in chapters)
            hint = f"did you mean {' or '.join(close)}?" if close else "no id is close to it."
            raise UnknownMomentError(
                f"No key moment '{a}' in chapter{'s' * (len(chapters) > 1)} {chapters_named}: {hint} "
                f"List them with `render.py stills {chapters[0].number} --list`.")


def write_post(ex: Example, chapters: list, folder: Path, settings: RenderSettings,
               jobs: int) -> tuple[Path, dict]:
    """post.md: per chapter, its steps in the order the video plays them, each with its heading, its
    narration, the stills of the moments it holds and its numbers as a table. Returns its path and each
    chapter's report, as render_stills does."""
    stills, results = render_stills(ex, chapters, folder / "stills", settings, None, jobs)
    return write_atomic(folder / "post.md", post_markdown(ex, chapters, stills, results)), results


def layout_reports(results: dict) -> list:
    """The layout audit of each chapter of a stills run (render_stills' reports), where it was audited."""
    from scenes.audit import report_from_summary
    return [report_from_summary(r["layout"]) for r in results.values() if r.get("layout")]
