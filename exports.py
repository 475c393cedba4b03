"""Files a run leaves for creators and bloggers: joined video, chapters.txt, course captions, narration
script, manifest, data tables and a Markdown post. Formatting only: every number comes from the Example,
every time from the chapters' own step timelines."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import tempfile
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mathcore import Example

if TYPE_CHECKING:
    from PIL import Image


# ---------------------------------------------------------------- paths and atomic writes

def slugify(text: str, max_len: int = 40) -> str:
    """A sentence never becomes a path: keep ASCII letters and digits, dashes between words."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:max_len].strip("-")
    return slug or "sentence"


def write_atomic(path: Path, data: str | bytes) -> Path:
    """Write to a temporary name in the same folder, then rename: never a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the usual permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


DATA_MARKER = ".transformer-anim-data"   # names a folder of CSV tables that the data command may replace


class FolderInUseError(ValueError):
    """A folder to replace holds files that are not ours."""


def write_folder_atomic(folder: Path, files: dict[str, str]) -> Path:
    """Make folder hold exactly files (and a marker): written beside it, then swapped in, so it never mixes
    with an earlier example's files and is never half-written. A folder that exists without the marker
    and is not empty is someone else's: FolderInUseError."""
    folder = Path(folder)
    if folder.exists() and not (folder / DATA_MARKER).exists() and any(folder.iterdir()):
        raise FolderInUseError(f"The folder {folder} already holds other files; give a new or empty folder "
                               "with --out.")
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".part", dir=folder.parent))
    old = tmp.with_suffix(".old")
    try:
        for name, text in files.items():
            (tmp / name).write_text(text, encoding="utf-8")
        (tmp / DATA_MARKER).write_text("CSV tables written by transformer-anim's data command; the folder is "
                                       "replaced as a whole on the next run.\n")
        os.chmod(tmp, 0o777 & ~_umask())
        if folder.exists():
            os.replace(folder, old)
        os.replace(tmp, folder)
    finally:
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
    return folder


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# ---------------------------------------------------------------- video

def video_duration(path: Path) -> float:
    import av
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        if s.duration is not None and s.time_base is not None:
            return float(s.duration * s.time_base)
        return float(c.duration or 0) / 1_000_000


def join_videos(inputs: list[Path], output: Path) -> Path:
    """Concatenate videos of identical encoding into one: the video is remuxed without re-encoding (PyAV);
    the sound, when the chapters have any, is decoded, each chapter's padded or cut to exactly its video's
    length (so every chapter starts in sync), and encoded once for the whole course."""
    import av
    if not inputs:
        raise ValueError("nothing to join")
    tmp = output.with_name("." + output.name + ".part" + output.suffix)
    try:
        with av.open(str(inputs[0])) as first:
            ref = first.streams.video[0]
            ref_key = (ref.codec_context.name, ref.codec_context.width, ref.codec_context.height, ref.time_base)
        sound = _joined_audio(inputs)
        if sound is None:
            _join_into(inputs, tmp, output, ref_key, None, 0)
        else:   # a lossy codec can push true peaks over the ceiling: measured, and redone if it did
            import voice
            samples, rate = sound
            voice.encode_under_ceiling(samples, rate, lambda x: _join_into(inputs, tmp, output, ref_key, x, rate),
                                       lambda: voice.read_audio(tmp))
        os.replace(tmp, output)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return output


def _join_into(inputs: list[Path], tmp: Path, output: Path, ref_key: tuple, samples: np.ndarray | None,
               rate: int):
    """Write the joined video to tmp: the chapters' frames remuxed, and the samples (if any) encoded as the
    course's one sound stream, interleaved by time."""
    import av
    import voice
    with av.open(str(tmp), "w", format=_container_format(output)) as out:
        with av.open(str(inputs[0])) as first:
            out_stream = out.add_stream_from_template(first.streams.video[0])
        codec = "libopus" if output.suffix == ".webm" else "aac"
        audio_packets = voice.encode_mono(out, samples, rate, codec) if samples is not None else []
        pending = iter(audio_packets)
        next_audio = next(pending, None)
        offset = 0
        for path in inputs:
            with av.open(str(path)) as inp:
                s = inp.streams.video[0]
                key = (s.codec_context.name, s.codec_context.width, s.codec_context.height, s.time_base)
                if key != ref_key:
                    raise ValueError(f"{path.name} is encoded differently from {inputs[0].name}; render all "
                                     "chapters with the same quality and format to join them")
                end = offset
                for pkt in inp.demux(s):
                    if pkt.dts is None and pkt.pts is None:
                        continue  # the flushing packet
                    if pkt.pts is not None:
                        pkt.pts += offset
                        end = max(end, pkt.pts + (pkt.duration or 0))
                    if pkt.dts is not None:
                        pkt.dts += offset
                    # interleave: the sound up to this frame's time goes first
                    t = float((pkt.dts if pkt.dts is not None else pkt.pts) * s.time_base)
                    while next_audio is not None and float(next_audio.pts * next_audio.time_base) <= t:
                        out.mux(next_audio)
                        next_audio = next(pending, None)
                    pkt.stream = out_stream
                    out.mux(pkt)
                if s.duration is not None:
                    end = max(end, offset + s.duration)
                offset = end
        while next_audio is not None:
            out.mux(next_audio)
            next_audio = next(pending, None)


def _joined_audio(inputs: list[Path]) -> tuple[np.ndarray, int] | None:
    import voice
    sounds = [voice.read_audio(p) for p in inputs]
    if all(s is None for s in sounds):
        return None
    rate = next(s[1] for s in sounds if s is not None)
    parts = []
    for path, sound in zip(inputs, sounds):
        n = int(round(video_duration(path) * rate))
        samples = np.zeros(n, dtype=np.float32)
        if sound is not None:
            a, r = sound
            if r != rate:
                from scipy.signal import resample_poly
                a = resample_poly(a, rate, r).astype(np.float32)
            samples[:min(n, a.size)] = a[:n]
        parts.append(samples)
    # each AAC pass lets true peaks overshoot (join_videos measures the result): keep the clips' margin
    return voice.limit_true_peak(np.concatenate(parts), rate, voice.MAX_TRUE_PEAK_DB - voice.PEAK_MARGIN), rate


def _container_format(path: Path) -> str | None:
    return {".mp4": "mp4", ".mov": "mov", ".webm": "webm"}.get(path.suffix)


# ---------------------------------------------------------------- timestamps, captions, script

def youtube_time(seconds: float) -> str:
    s = int(seconds)
    h, m, s = s // 3600, (s % 3600) // 60, s % 60
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


def chapters_txt(chapters: list[dict]) -> str:
    """YouTube chapters: one line per chapter, the first at 00:00."""
    return "".join(f"{youtube_time(c['start'])} {c['title']}\n" for c in chapters)


def chapter_captions(chapter: dict, offset: float = 0.0) -> list:
    """A chapter's caption cues (captions.Cue), shifted by offset (its start in the course)."""
    import captions
    return captions.chapter_cues(chapter["steps"], offset)


def course_captions(chapters: list[dict]) -> list:
    """All chapters' cues, each shifted to its chapter's start in the course."""
    return [cue for c in chapters for cue in chapter_captions(c, c["start"])]


def as_typed(text: str) -> str:
    """A sentence as the user typed it (case, accents and punctuation kept; runs of spaces made one), for
    titles and descriptions; the tokens shown in the pictures stay normalized."""
    return " ".join(text.split())


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


# ---------------------------------------------------------------- for YouTube

COURSE_TITLE = "Inside a transformer, number by number"
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


def _bold_font() -> str | None:
    import subprocess
    for pattern in ("Noto Sans:style=Bold", "DejaVu Sans:style=Bold"):
        try:
            out = subprocess.run(["fc-match", "-f", "%{file}", pattern], capture_output=True, text=True,
                                 timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return None
        if out and Path(out).exists():
            return out
    return None


THUMB_SIZE = (1280, 720)
MAX_THUMB_BYTES = 2_000_000


def thumbnail_png(frame: "Image.Image", title: str, kicker: str, background: str, accent: str) -> bytes:
    """1280x720, under 2 MB: the frame, whole, above a solid band of the background colour that holds the
    kicker and the title in large bold letters (readable at phone size), so no text of the picture ever
    runs behind the title."""
    from PIL import Image, ImageDraw, ImageFont
    W, H = THUMB_SIZE
    band_h = int(H * 0.30)
    base = Image.new("RGBA", (W, H), background)
    room_w, room_h = W, H - band_h
    scale = min(room_w / frame.width, room_h / frame.height)
    img = frame.convert("RGBA").resize((round(frame.width * scale), round(frame.height * scale)), Image.LANCZOS)
    base.alpha_composite(img, ((room_w - img.width) // 2, (room_h - img.height) // 2))
    rgb = tuple(int(background.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4))
    draw = ImageDraw.Draw(base)
    draw.line([(0, H - band_h), (W, H - band_h)], fill=accent, width=4)   # the band's edge
    font_file = _bold_font()

    def font(size):
        return ImageFont.truetype(font_file, size) if font_file else ImageFont.load_default(size)

    size = 78
    while size > 36 and draw.textlength(title, font=font(size)) > W - 96:
        size -= 2
    kick_size = 34
    while kick_size > 22 and draw.textlength(kicker, font=font(kick_size)) > W - 96:
        kick_size -= 2
    text_fill = "#ffffff" if sum(rgb) < 384 else "#111111"
    draw.text((48, H - band_h + 24), kicker, font=font(kick_size), fill=accent, anchor="lt")
    draw.text((48, H - 40), title, font=font(size), fill=text_fill, anchor="ls")
    out = io.BytesIO()
    base.convert("RGB").save(out, format="PNG")   # optimize=True: 4 times slower for 2 % smaller
    if out.tell() > MAX_THUMB_BYTES:     # a busy frame: 256 colours are plenty for a thumbnail
        out = io.BytesIO()
        base.convert("RGB").quantize(256).save(out, format="PNG")
    return out.getvalue()


def manifest(folder: Path, durations: dict[str, float]) -> str:
    files = []
    for p in sorted(folder.iterdir()):
        if p.is_file() and not p.name.startswith(".") and p.name != "manifest.json":
            entry = {"file": p.name, "bytes": p.stat().st_size, "sha256": sha256_file(p)}
            if p.name in durations:
                entry["duration"] = round(durations[p.name], 3)
            files.append(entry)
    for sub in sorted(q for q in folder.iterdir() if q.is_dir() and not q.name.startswith(".")):
        for p in sorted(sub.rglob("*")):
            if p.is_file() and not p.name.startswith("."):
                files.append({"file": str(p.relative_to(folder)), "bytes": p.stat().st_size,
                              "sha256": sha256_file(p)})
    return json.dumps({"files": files}, indent=1, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------- data tables

def _fmt(v: float, decimals: int) -> str:
    if np.isinf(v):
        return "−∞"
    s = f"{v:.{decimals}f}"
    return s.lstrip("-") if float(s) == 0 else s


def _table_rows(step, decimals: int, max_cols: int | None = None) -> tuple[list[str], list[list[str]]]:
    """A step's table: the header (an empty corner, then the column labels) and one row per token. With
    max_cols, a wider table is elided as the video elides it: a one-hot table shows the columns of the words
    used; another shows its first and last columns and each row's largest entry; ⋯ for each gap."""
    value = step.value if step.value.ndim == 2 else step.value.reshape(1, -1) if step.value.ndim == 1 else step.value.reshape(1, 1)
    if step.value.ndim == 1 and step.rows is not None:
        value = step.value.reshape(-1, 1)
    n_cols = value.shape[1]
    cols = list(step.cols) if step.cols is not None and len(step.cols) == n_cols else [str(j) for j in range(n_cols)]
    rows = list(step.rows) if step.rows is not None and len(step.rows) == value.shape[0] else [str(i) for i in range(value.shape[0])]
    one_hot = bool(np.isin(value, (0.0, 1.0)).all())
    d = 0 if step.value.dtype.kind == "i" or one_hot else decimals
    shown: list = list(range(n_cols))
    if max_cols is not None and n_cols > max_cols:
        from mathcore.elide import elide, shown_subset
        needed = set(np.argmax(np.where(np.isfinite(value), value, -np.inf), axis=1).tolist())
        # one-hot rows show the columns of the words used, as chapters 1 and 2 draw them
        shown = shown_subset(n_cols, needed, max_cols) if one_hot else elide(n_cols, max_cols, required=needed)
    head = [""] + [cols[j] if j is not None else "⋯" for j in shown]
    body = [[rows[i]] + [_fmt(float(value[i, j]), d) if j is not None else "⋯" for j in shown]
            for i in range(value.shape[0])]
    return head, body


MD_MAX_COLS = 12   # a Markdown table wider than this is elided, as the video elides it


def md_text(s: str) -> str:
    """Text for Markdown that shows literally on GitHub and static-site generators (HTML enabled): <start>
    would otherwise be an unknown HTML tag and vanish, and | * _ ` [ ] \\ would be markup."""
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"([\\`*_\[\]|])", r"\\\1", s)


def data_markdown_step(example: Example, step) -> str:
    """One step as a Markdown table with its title, id, shape and formula."""
    head, body = _table_rows(step, example.config.decimals, MD_MAX_COLS)
    lines = [f"**{md_text(step.title)}** (`{step.id}`) · shape {' × '.join(map(str, step.shape)) or 'scalar'} · "
             f"${step.formula}$\n",
             "| " + " | ".join(md_text(h) for h in head) + " |",
             "|" + "---|" * len(head)]
    lines.extend("| " + " | ".join(md_text(c) for c in row) + " |" for row in body)
    return "\n".join(lines) + "\n"


def data_markdown(example: Example) -> str:
    out = [f"# The numbers of “{md_text(as_typed(example.config.source))}”\n"]
    for s in example.steps:
        out.append(f"## {md_text(s.title)}\n\n{md_text(s.narration)}\n\n{data_markdown_step(example, s)}")
    return "\n".join(out)


def _tex_escape(s: str) -> str:
    return re.sub(r"([&%$#_{}])", r"\\\1", s).replace("<", r"\textless{}").replace(">", r"\textgreater{}")


def data_tex(example: Example) -> str:
    d = example.config.decimals
    out = ["% tables generated by transformer-anim; needs \\usepackage{booktabs}"]
    for s in example.steps:
        head, body = _table_rows(s, d)
        out.append(f"% {s.id}: {s.title}, shape {'x'.join(map(str, s.shape))}")
        out.append(f"\\begin{{table}}[h]\\centering\\caption{{{_tex_escape(s.title)}: ${s.formula}$}}")
        out.append("\\begin{tabular}{l" + "r" * (len(head) - 1) + "}\\toprule")
        out.append(" & ".join(_tex_escape(h) for h in head) + " \\\\\\midrule")
        out.extend(" & ".join(_tex_escape(c).replace("−∞", "$-\\infty$") for c in row) + " \\\\" for row in body)
        out.append("\\bottomrule\\end{tabular}\\end{table}\n")
    return "\n".join(out) + "\n"


def data_csv_files(example: Example) -> dict[str, str]:
    """One CSV per step, full precision (the record's own floats), named <step-id>.csv."""
    files = {}
    for s in example.steps:
        head, _ = _table_rows(s, example.config.decimals)
        value = s.value.reshape(-1, 1) if s.value.ndim == 1 and s.rows is not None else np.atleast_2d(s.value)
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(head)
        rows = head[1:] and (list(s.rows) if s.rows is not None and len(s.rows) == value.shape[0]
                             else [str(i) for i in range(value.shape[0])])
        for i in range(value.shape[0]):
            w.writerow([rows[i]] + ["-inf" if np.isinf(x) else repr(x.item()) for x in value[i]])
        files[f"{s.id}.csv"] = buf.getvalue()
    return files


def data_json(example: Example) -> str:
    return example.to_json()
