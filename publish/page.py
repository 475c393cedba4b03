"""index.html: a run folder as one web page that needs no server and loads nothing from outside the folder.

The page shows the chapters, the chapter on view as a video with captions, its steps (highlighted as the
video plays) and a numbers panel: every record value of the current step as an HTML table. It has a
presenter mode (one step per key press, paused exactly at the step's end). Everything it needs is in the
run folder: the chapter videos (played by relative URL), index.html with the data inside it (browsers
block fetch() from file:// URLs, so nothing is fetched), and page/ with page.js, page.css and a copy of
KaTeX, which typesets the formulas. Captions are handed to the video as blob: URLs made from the .vtt
text in the data, for the same reason.

Numbers are formatted here, by the function that draws them in the videos, at the example's decimals, so
a table cell reads exactly as the video shows the number (true minus sign, no −0.00, −∞ for masked cells).

Which record values a step shows (`step_records`): a step whose id is a record id shows that record and
then what it is computed from (its `inputs`: record steps and weights, which the chapters draw beside the
result: Q and K beside Q·Kᵀ, X and W_Q beside Q). A chapter-local step (an id such as `ch04.one-entry`)
works on the record step before it in its chapter (a worked entry, a note, a recap), so it shows that
step's values; a chapter-local step before any record step (an introduction) shows those of the first
record step after it. The page says which step the values belong to.
"""
from __future__ import annotations

import html
import json
import shlex
from pathlib import Path

from mathcore.files import write_atomic
from publish.manifest import manifest
from publish.text import COURSE_TITLE

ASSETS = Path(__file__).resolve().parent / "assets"
ASSET_DIR = "page"                      # the page's own files, inside the run folder
VIDEO_EXTS = ("mp4", "webm", "mov")     # what a <video> element plays; GIF runs get no page


class PageError(Exception):
    """The folder cannot give a page: the message is one sentence naming what is missing and the fix."""


# ---------------------------------------------------------------- numbers, as the videos show them

def _format_number(v: float, decimals: int) -> str:
    from mathcore.display import format_number   # the function that draws every number on screen
    return format_number(v, decimals)


def _grid(value, rows, cols):
    """A value as a 2-D grid with a label per row and column: a vector with a label per entry becomes a
    column, any other vector a row, a scalar one cell (as `render.py data` lays tables out)."""
    import numpy as np
    a = np.asarray(value)
    if a.ndim == 0:
        a = a.reshape(1, 1)
    elif a.ndim == 1:
        a = a.reshape(-1, 1) if rows is not None and len(rows) == a.shape[0] else a.reshape(1, -1)
    elif a.ndim > 2:
        a = a.reshape(a.shape[0], -1)
    row_labels = list(rows) if rows is not None and len(rows) == a.shape[0] else [str(i) for i in range(a.shape[0])]
    col_labels = list(cols) if cols is not None and len(cols) == a.shape[1] else [str(j) for j in range(a.shape[1])]
    return a, row_labels, col_labels


def table(value, rows, cols, decimals: int, integer: bool) -> dict:
    """{rows, cols, cells}: the labels and every number as the video shows it (integer=True: no decimals)."""
    a, row_labels, col_labels = _grid(value, rows, cols)
    d = 0 if integer else decimals
    fmt = {}   # a course repeats few distinct numbers: format each once
    cells = []
    for r in a.tolist():
        line = []
        for x in r:
            s = fmt.get(x)
            if s is None:
                s = fmt[x] = _format_number(float(x), d)
            line.append(s)
        cells.append(line)
    return {"rows": row_labels, "cols": col_labels, "cells": cells}


def _is_onehot(a) -> bool:
    import numpy as np
    return a.ndim == 2 and a.size > 0 and bool(np.all((a == 0) | (a == 1))) and bool(np.all(a.sum(axis=1) == 1))


def _record_entry(ex, name: str) -> dict:
    d = ex.config.decimals
    if ex.has(name):
        st = ex.step(name)
        out = {"kind": "record", "title": st.title, "formula": st.formula, "shape": list(st.shape)}
        # ids are integers, and one-hot rows are drawn as 0 and 1 (chapters 1 and 2): no decimals
        out.update(table(st.value, st.rows, st.cols, d, st.value.dtype.kind in "iu" or _is_onehot(st.value)))
        return out
    w = ex.weights[name]
    rows = ex.vocab if w.ndim == 2 and name == "embedding.W_E" else None
    cols = ex.vocab if w.ndim == 2 and name == "output.W_out" else None
    out = {"kind": "weight", "title": f"Weights {name}", "formula": "", "shape": list(w.shape)}
    out.update(table(w, rows, cols, d, w.dtype.kind in "iu"))
    return out


def step_records(ex, chapter_steps: list[dict]) -> list[tuple[str | None, list[str]]]:
    """For each step of a chapter: (the record step whose values it shows, or None; the names to show).

    See the module's docstring for the rule."""
    ids = [s["id"] for s in chapter_steps]
    out = []
    for i, sid in enumerate(ids):
        if ex.has(sid):
            owner = sid
        else:
            before = [x for x in ids[:i] if ex.has(x)]
            after = [x for x in ids[i + 1:] if ex.has(x)]
            owner = before[-1] if before else (after[0] if after else None)
        if owner is None:
            out.append((None, []))
            continue
        names = [owner] + [n for n in ex.step(owner).inputs if ex.has(n) or n in ex.weights]
        out.append((owner, list(dict.fromkeys(names))))
    return out


# ---------------------------------------------------------------- the run folder

def _read_json(path: Path, what: str):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise PageError(f"Cannot read {path}: {e.strerror}.") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise PageError(f"{path} is not valid JSON, so {what} is unknown; render the run again with "
                        "`render.py video`.") from None


def _load_run(folder: Path):
    from mathcore import Example
    if not folder.is_dir():
        raise PageError(f"There is no folder {folder}: give the run folder of a `render.py video` run.")
    for name, why in (("example.json", "every number"), ("course.json", "the chapters")):
        if not (folder / name).is_file():
            raise PageError(f"{folder} is not a run folder: it has no {name} ({why}); "
                            f"render into it first with `render.py video --out {folder}`.")
    course = _read_json(folder / "course.json", "the list of chapters")
    if not isinstance(course, dict) or not isinstance(course.get("chapters"), list):
        raise PageError(f"{folder / 'course.json'} lists no chapters; render the run again with `render.py video`.")
    try:
        ex = Example.load(folder / "example.json")
    except Exception as e:   # Example.load raises ValueError/KeyError on a file of another format
        raise PageError(f"{folder / 'example.json'} is not an example file ({type(e).__name__}: {e}); "
                        "render the run again with `render.py video`.") from None
    return course, ex


def _video_file(folder: Path, slug: str, fmt: str | None) -> str | None:
    exts = (fmt,) if fmt in VIDEO_EXTS else VIDEO_EXTS
    for ext in exts:
        if (folder / f"{slug}.{ext}").is_file():
            return f"{slug}.{ext}"
    return None


# the options of `render.py video` that set the example (Config field -> option)
_EXAMPLE_OPTIONS = {"source": "-s", "target": "-t", "d_model": "--d-model", "n_heads": "--heads",
                    "d_ff": "--d-ff", "n_encoder_layers": "--encoder-layers",
                    "n_decoder_layers": "--decoder-layers", "seed": "--seed", "tokenizer": "--tokenizer",
                    "decimals": "--decimals", "max_new_tokens": "--max-new-tokens",
                    "train_steps": "--train-steps", "learning_rate": "--learning-rate"}
_FLAGS = {"tied_output": ("--tied", "--untied"), "scale_embedding": ("--scale-embedding", "--no-scale-embedding"),
          "trained": ("--trained", "--untrained")}


def render_command(ex, settings: dict, folder: Path) -> str:
    """The `render.py video` command that renders every chapter of this run into this folder (chapters
    already rendered are reused, so only the missing ones cost time)."""
    from mathcore import Config
    default, cfg = Config(), ex.config
    args = [".venv/bin/python", "render.py", "video"]
    for field, opt in _EXAMPLE_OPTIONS.items():
        if getattr(cfg, field) != getattr(default, field):
            args += [opt, str(getattr(cfg, field))]
    for field, (on, off) in _FLAGS.items():
        if getattr(cfg, field) != getattr(default, field):
            args.append(on if getattr(cfg, field) else off)
    if cfg.corpus != default.corpus:
        args += ["--corpus", "YOUR-CORPUS.txt"]
    if settings:
        if settings.get("quality", "l") != "l":
            args += ["-q", settings["quality"]]
        if settings.get("fps"):
            args += ["--fps", str(settings["fps"])]
        if settings.get("theme", "dark") != "dark":
            args += ["--theme", settings["theme"]]
        if settings.get("transparent"):
            args.append("--transparent")
        if settings.get("fmt", "mp4") != "mp4":
            args += ["--format", settings["fmt"]]
        if settings.get("model", "gpt3-175b") != "gpt3-175b":
            args += ["--model", settings["model"]]
        if settings.get("voice", "joe") is None:
            args.append("--no-voice")
        else:
            if settings.get("voice", "joe") != "joe":
                args += ["--voice", settings["voice"]]
            if settings.get("voice_rate", 1.0) != 1.0:
                args += ["--voice-rate", f"{settings['voice_rate']:g}"]
    args += ["--out", folder.as_posix()]
    return shlex.join(args)


def page_data(folder: str | Path) -> dict:
    """Everything the page shows, as one JSON-ready dict (see docs/course-page.md)."""
    import scenes
    folder = Path(folder)
    course, ex = _load_run(folder)
    settings = course.get("settings") or {}
    fmt = settings.get("fmt")
    if fmt == "gif" or (fmt is None and not any(folder.glob(f"*.{e}") for e in VIDEO_EXTS)):
        raise PageError(f"{folder} has no chapter videos the page can play (mp4, webm or mov); "
                        "render it with `render.py video --format mp4`.")
    chapters, records, shown = [], {}, set()
    for c in course["chapters"]:
        slug = c.get("slug")
        video = _video_file(folder, slug, fmt) if slug else None
        steps_path = folder / f"{slug}.steps.json"
        if video is None or not steps_path.is_file():
            continue   # listed below as not rendered
        steps_file = _read_json(steps_path, f"the steps of {slug}")
        steps = [s for s in steps_file.get("steps", []) if "end" in s]
        vtt = folder / f"{slug}.vtt"
        entry = {"number": c["number"], "slug": slug, "title": c["title"], "duration": c["duration"],
                 "video": video, "poster": f"{slug}.thumbnail.png" if (folder / f"{slug}.thumbnail.png").is_file() else None,
                 "vtt": vtt.read_text(encoding="utf-8") if vtt.is_file() else "", "steps": []}
        for s, (owner, names) in zip(steps, step_records(ex, steps)):
            entry["steps"].append({"id": s["id"], "heading": s.get("heading") or "", "narration": s["narration"],
                                   "start": round(s["start"], 3), "end": round(s["end"], 3),
                                   "owner": owner, "records": names})
            for n in names:
                if n not in records:
                    records[n] = _record_entry(ex, n)
        chapters.append(entry)
        shown.add(slug)
    if not chapters:
        raise PageError(f"{folder} has no rendered chapter (no chapter video beside its steps.json); "
                        f"render one with `render.py video --out {folder}`.")
    command = render_command(ex, settings, folder)
    missing = [{"number": ch.number, "slug": ch.slug, "title": ch.title, "command": command}
               for ch in scenes.available_chapters() if ch.slug not in shown]
    cfg = ex.config
    return {
        "format": "transformer-anim/page", "version": 1,
        "title": COURSE_TITLE,
        "source": cfg.source, "target": cfg.target,
        "tokens": {"source": list(ex.tokens["source"]), "target": list(ex.tokens["target_input"])},
        "model": {"d_model": cfg.d_model, "heads": cfg.n_heads, "decimals": cfg.decimals,
                  "tokenizer": cfg.tokenizer},
        "theme": settings.get("theme", "dark"),
        "voice": course.get("voice"),
        "look": course.get("look"),
        "chapters": chapters, "missing": missing, "records": records,
    }


# ---------------------------------------------------------------- the page

def _script_json(data: dict) -> str:
    """JSON safe inside a <script> element: no '<', '>' or '&' can end it or start a comment."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def page_html(data: dict) -> str:
    title = f"{data['title']}: {data['source']}"
    theme = "light" if data.get("theme") == "light" else "dark"
    return f"""<!doctype html>
<html lang="en" data-theme="{theme}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="dark light">
<title>{html.escape(title)}</title>
<link rel="stylesheet" href="{ASSET_DIR}/katex/katex.min.css">
<link rel="stylesheet" href="{ASSET_DIR}/page.css">
</head>
<body>
<a class="skip" href="#stage">Skip to the video</a>
<header class="top">
  <div class="titles">
    <h1 id="course-title">{html.escape(data['title'])}</h1>
    <p id="sentence" dir="auto">{html.escape(data['source'])} → {html.escape(data['target'])}</p>
  </div>
  <div class="tools" role="toolbar" aria-label="Page">
    <button type="button" id="present-button" aria-pressed="false" aria-label="Presenter view (full window)">Present</button>
    <button type="button" id="theme-button" aria-label="Switch between the dark and the light theme">Theme</button>
    <button type="button" id="keys-button" aria-expanded="false" aria-controls="keys" aria-label="Keyboard shortcuts">Keys</button>
  </div>
</header>
<section id="keys" class="keys" hidden aria-label="Keyboard shortcuts">
  <ul>
    <li><kbd>→</kbd> <kbd>Space</kbd> <kbd>PageDown</kbd> play the next step and stop at its end</li>
    <li><kbd>←</kbd> <kbd>PageUp</kbd> back to the previous step's start</li>
    <li><kbd>Home</kbd> <kbd>End</kbd> the chapter's first or last step</li>
    <li><kbd>F</kbd> full screen · <kbd>M</kbd> mute · <kbd>C</kbd> captions · <kbd>N</kbd> numbers panel</li>
  </ul>
</section>
<main id="layout">
  <nav id="chapters" aria-labelledby="chapters-heading">
    <h2 id="chapters-heading">Chapters</h2>
    <ol id="chapter-list"></ol>
  </nav>
  <section id="player" aria-labelledby="chapter-heading">
    <h2 id="chapter-heading"></h2>
    <div id="stage">
      <video id="video" controls preload="auto" playsinline aria-label="Chapter video"></video>
      <p id="now" aria-live="polite"></p>
    </div>
    <div class="controls" role="toolbar" aria-label="Presenter controls">
      <button type="button" id="prev-button" aria-label="Back to the previous step (← or PageUp)">◀ Step</button>
      <button type="button" id="next-button" aria-label="Play the next step and stop at its end (→, Space or PageDown)">Step ▶</button>
      <button type="button" id="mute-button" aria-pressed="false" aria-label="Mute the voice (M)">Mute</button>
      <button type="button" id="captions-button" aria-pressed="true" aria-label="Captions (C)">Captions</button>
      <button type="button" id="numbers-button" aria-pressed="true" aria-controls="numbers" aria-label="Numbers panel (N)">Numbers</button>
      <button type="button" id="fullscreen-button" aria-label="Full screen (F)">Full screen</button>
      <button type="button" id="exit-present" aria-label="Leave the presenter view">Leave presenter view</button>
    </div>
    <p id="message" class="message" role="status" aria-live="polite"></p>
  </section>
  <section id="steps" aria-labelledby="steps-heading">
    <h2 id="steps-heading">Steps</h2>
    <ol id="step-list"></ol>
  </section>
  <section id="numbers" aria-labelledby="numbers-heading">
    <h2 id="numbers-heading">Numbers of this step</h2>
    <p id="numbers-note"></p>
    <div id="number-tables"></div>
  </section>
</main>
<noscript><p class="noscript">This page needs JavaScript to play the course; the videos are the
.mp4 files beside it.</p></noscript>
<script id="course-data" type="application/json">{_script_json(data)}</script>
<script src="{ASSET_DIR}/katex/katex.min.js"></script>
<script src="{ASSET_DIR}/page.js"></script>
</body>
</html>
"""


def _asset_files() -> list[Path]:
    return sorted(p for p in ASSETS.rglob("*") if p.is_file() and not p.name.startswith("."))


def write_page(folder: str | Path) -> Path:
    """Write folder/index.html and folder/page/ (the page's scripts, styles and KaTeX). Returns index.html.

    Raises PageError if the folder is not a run folder of a video run."""
    folder = Path(folder)
    data = page_data(folder)
    text = page_html(data)
    for src in _asset_files():
        dst = folder / ASSET_DIR / src.relative_to(ASSETS)
        blob = src.read_bytes()
        if not dst.is_file() or dst.read_bytes() != blob:
            write_atomic(dst, blob)
    return write_atomic(folder / "index.html", text)


def rebuild(folder: str | Path) -> Path:
    """`render.py page`: the page again, and manifest.json updated to list it (durations kept)."""
    folder = Path(folder)
    path = write_page(folder)
    mf = folder / "manifest.json"
    durations = {}
    if mf.is_file():
        try:
            durations = {f["file"]: f["duration"] for f in json.loads(mf.read_text())["files"] if "duration" in f}
        except (ValueError, KeyError, TypeError):
            durations = {}
    write_atomic(mf, manifest(folder, durations))
    return path
