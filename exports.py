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

import numpy as np

from mathcore import Example


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
    """Concatenate videos of identical encoding into one, without re-encoding (PyAV remux)."""
    import av
    if not inputs:
        raise ValueError("nothing to join")
    tmp = output.with_name("." + output.name + ".part" + output.suffix)
    try:
        with av.open(str(inputs[0])) as first:
            ref = first.streams.video[0]
            ref_key = (ref.codec_context.name, ref.codec_context.width, ref.codec_context.height, ref.time_base)
        with av.open(str(tmp), "w", format=_container_format(output)) as out:
            with av.open(str(inputs[0])) as first:
                out_stream = out.add_stream_from_template(first.streams.video[0])
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
                        pkt.stream = out_stream
                        out.mux(pkt)
                    if s.duration is not None:
                        end = max(end, offset + s.duration)
                    offset = end
        os.replace(tmp, output)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return output


def _container_format(path: Path) -> str | None:
    return {".mp4": "mp4", ".mov": "mov", ".webm": "webm"}.get(path.suffix)


# ---------------------------------------------------------------- timestamps, captions, script

def youtube_time(seconds: float) -> str:
    s = int(seconds)
    h, m, s = s // 3600, (s % 3600) // 60, s % 60
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


def srt_time(seconds: float) -> str:
    ms = int(round(seconds * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d},{ms:03d}"


def chapters_txt(chapters: list[dict]) -> str:
    """YouTube chapters: one line per chapter, the first at 00:00."""
    return "".join(f"{youtube_time(c['start'])} {c['title']}\n" for c in chapters)


def course_srt(chapters: list[dict]) -> str:
    """All chapters' captions in one file, each shifted to its chapter's start in the course."""
    out, n = [], 0
    for c in chapters:
        for st in c["steps"]:
            n += 1
            out.append(f"{n}\n{srt_time(c['start'] + st['start'])} --> {srt_time(c['start'] + st['end'])}\n"
                       f"{st['narration']}\n")
    return "\n".join(out)


def narration_md(chapters: list[dict], example: Example) -> str:
    """A script for a creator who records their own voice: each step's words and when they start."""
    src = " ".join(example.tokens["source"])
    lines = [f"# Narration script\n", f"Sentence: *{src}*\n"]
    for c in chapters:
        lines.append(f"\n## {youtube_time(c['start'])} · Chapter {c['number']}: {c['title']}\n")
        for st in c["steps"]:
            t = c["start"] + st["start"]
            lines.append(f"- **{youtube_time(t)}** (`{st['id']}`, {st['end'] - st['start']:.1f} s) {st['narration']}")
    return "\n".join(lines) + "\n"


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


def _table_rows(step, decimals: int) -> tuple[list[str], list[list[str]]]:
    value = step.value if step.value.ndim == 2 else step.value.reshape(1, -1) if step.value.ndim == 1 else step.value.reshape(1, 1)
    if step.value.ndim == 1 and step.rows is not None:
        value = step.value.reshape(-1, 1)
    n_cols = value.shape[1]
    cols = list(step.cols) if step.cols is not None and len(step.cols) == n_cols else [str(j) for j in range(n_cols)]
    rows = list(step.rows) if step.rows is not None and len(step.rows) == value.shape[0] else [str(i) for i in range(value.shape[0])]
    d = 0 if step.value.dtype.kind == "i" else decimals
    body = [[rows[i]] + [_fmt(float(x), d) for x in value[i]] for i in range(value.shape[0])]
    return [""] + cols, body


def data_markdown_step(example: Example, step) -> str:
    """One step as a Markdown table with its title, shape, formula and narration."""
    head, body = _table_rows(step, example.config.decimals)
    esc = lambda x: x.replace("|", "\\|")  # noqa: E731
    lines = [f"**{step.title}** (`{step.id}`) · shape {' × '.join(map(str, step.shape)) or 'scalar'} · "
             f"${step.formula}$\n",
             "| " + " | ".join(esc(h) for h in head) + " |",
             "|" + "---|" * len(head)]
    lines.extend("| " + " | ".join(esc(c) for c in row) + " |" for row in body)
    return "\n".join(lines) + "\n"


def data_markdown(example: Example) -> str:
    out = [f"# The numbers of “{' '.join(example.tokens['source'])}”\n"]
    for s in example.steps:
        out.append(f"## {s.title}\n\n{s.narration}\n\n{data_markdown_step(example, s)}")
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
