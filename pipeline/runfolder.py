"""The run folder: where an example's renders live, which chapters are finished, and how a chapter lands.

media/runs/<sentence>-<hash>/<look>/ holds one example in one look (pipeline.settings.RenderSettings.tag).
A chapter is finished when its video, its steps.json and its cache key are there and the key matches. A
rendered chapter lands file by file under its final names (os.replace or an atomic write), the video last
but one and the key last, so a run stopped at any point resumes by rendering exactly the chapters whose key
is missing or stale. The local run (pipeline.local) and the batch (pipeline.batch) both use needs_render
and land; the lock that keeps one render per folder is pipeline.runctl.run_lock.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import unicodedata
from pathlib import Path

from mathcore import Example
from mathcore.files import write_atomic
from pipeline.errors import RenderError
from pipeline.settings import RenderSettings

# what a chapter process leaves beside its video (the worker's files), besides the video itself; the
# thumbnail frames land under dot-names: they are the thumbnails' material, not files for the viewer
CHAPTER_FILES = (".thumbframe.png", ".thumbframe-main.png", ".steps.json")
HIDDEN = (".thumbframe.png", ".thumbframe-main.png")


def slugify(text: str, max_len: int = 40) -> str:
    """A sentence never becomes a path: keep ASCII letters and digits, dashes between words."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:max_len].strip("-")
    return slug or "sentence"


def example_folder(ex: Example) -> Path:
    """media/runs/<sentence>-<hash>: one per example (the hash covers every option and number)."""
    digest = hashlib.sha256(ex.to_json().encode()).hexdigest()[:8]
    return Path("media") / "runs" / f"{slugify(ex.config.source)}-{digest}"


def prepare(ex: Example, out_dir: str | Path | None, settings: RenderSettings | None = None) -> Path:
    """The run folder, made and known to be writable: out_dir as given, else the example's folder with one
    sub-folder per look (e.g. 480p15-dark). RenderError if it cannot be written."""
    if out_dir:
        folder = Path(out_dir)
    else:
        folder = example_folder(ex)
        if settings is not None:
            folder = folder / settings.tag()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-test-", dir=folder)   # unique: runs may start at once
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise RenderError(f"Cannot write to the folder {folder}: {e.strerror}; choose another --out.") from None
    return folder


def chapter_key(settings: RenderSettings, example_json: str, slug: str, next_chapter: int | None) -> str:
    """A chapter's cache key: its look, its example, and whether its closing line announces the next."""
    return settings.key(example_json, slug + (f"+{next_chapter}" if next_chapter else ""))


def following_chapters(chapters: list) -> dict[str, int | None]:
    """For each chapter of a run, the number of the next chapter when the chapter has a closing line that
    announces it (Chapter.teaser) and the run goes on to it, else None: only then does the chapter (and
    its cache key) depend on what follows it."""
    numbers = {ch.number for ch in chapters}
    return {ch.slug: ch.number + 1 if getattr(ch, "teaser", False) and ch.number + 1 in numbers else None
            for ch in chapters}


def key_file(folder: Path, slug: str) -> Path:
    return folder / f".{slug}.key"


def needs_render(folder: Path, slug: str, ext: str, key: str, force: bool = False) -> bool:
    """False when the chapter is finished in folder with this key; otherwise True, and its stale key (if
    any) is removed, so the chapter counts as unfinished until it lands again."""
    done = (folder / f"{slug}.{ext}").exists() and (folder / f"{slug}.steps.json").exists()
    kf = key_file(folder, slug)
    if not force and done and kf.exists() and kf.read_text() == key:
        return False
    kf.unlink(missing_ok=True)
    return True


def chapter_files(movie: Path) -> dict[str, Path]:
    """What a chapter process made, by suffix: the movie and the files beside it (CHAPTER_FILES) that exist."""
    files = {s: movie.with_suffix(s) for s in CHAPTER_FILES if movie.with_suffix(s).exists()}
    files[movie.suffix] = movie
    return files


def land(folder: Path, slug: str, ext: str, key: str, files: dict[str, Path | bytes], timing: dict | None = None):
    """Put a rendered chapter into the run folder: files maps a suffix (as chapter_files gives them) to a
    file, which is moved, or to its bytes, which are written atomically. timing (render_seconds,
    render_jobs) is added to its steps.json. The video lands after the other files and the cache key last:
    a chapter counts as finished only once its key is there."""
    files = dict(files)
    video = files.pop(f".{ext}")
    if timing and ".steps.json" in files:   # how long it took, for `list` and the README's speed table
        steps = files[".steps.json"]
        data = json.loads(steps.read_text() if isinstance(steps, Path) else steps)
        data.update(timing)
        files[".steps.json"] = json.dumps(data, indent=1, ensure_ascii=False).encode()
    order = [s for s in CHAPTER_FILES if s in files] + [s for s in files if s not in CHAPTER_FILES]
    for suffix, src in [*((s, files[s]) for s in order), (f".{ext}", video)]:
        dst = folder / (f".{slug}{suffix}" if suffix in HIDDEN else f"{slug}{suffix}")
        if isinstance(src, Path):
            os.replace(src, dst)
        else:
            write_atomic(dst, src)
    write_atomic(key_file(folder, slug), key)


def finished_chapters(folder: Path | None) -> int:
    """Chapters whose render is complete in a run folder, or in the run folders of a batch folder below it:
    the cache key is written last, after the video and its steps are in place (land)."""
    if folder is None or not folder.is_dir():
        return 0
    keys = [*folder.glob(".*.key"), *folder.glob("*/*/.*.key")]   # a run folder; a batch's <example>/<look>/
    return sum(1 for key in keys if (key.parent / f"{key.name[1:-len('.key')]}.steps.json").exists())


def layout_reports(folder: Path, chapters: list) -> list:
    """The layout audit of each chapter's render in folder (scenes.audit.ChapterReport, from its steps.json),
    for the chapters whose render was audited (a render with --no-check keeps none)."""
    from scenes.audit import report_from_summary
    out = []
    for ch in chapters:
        steps = folder / f"{ch.slug}.steps.json"
        layout = json.loads(steps.read_text()).get("layout") if steps.is_file() else None
        if layout:
            out.append(report_from_summary(layout))
    return out
