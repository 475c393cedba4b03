"""Batches: many examples, each a course, rendered as (example × chapter × look) tasks on a Dask cluster.

The cluster is a local one sized to this machine's cores by default, or any running `dask scheduler`.
A task (render_chapter) renders one chapter in a temporary folder on whichever worker runs it, through the
same per-chapter worker entry point as `render.py video`, and returns the finished files as bytes, so the
nodes share no filesystem; each node needs only the project installed (scripts/bootstrap.sh), the same
version as the client's. The client writes each chapter into its run folder as soon as it arrives (files first, the
cache key last, exactly as course.render_course does), so a chapter once finished is never lost and a rerun
sends only what is missing; when an example's last chapter lands, course.assemble joins its course.

Faults: a task whose worker dies is rescheduled by Dask itself; a task that raises is retried once
(`retries=1`). A task that fails twice (two exceptions, or two dead workers: the local cluster sets
`distributed.scheduler.allowed-failures` to 1) marks its example failed; the other examples complete.

Orchestration only, like course.py: imports go render → batch → course → exports, never back to render.
"""
from __future__ import annotations

import csv
import dataclasses
import json
import logging
import os
import re
import socket
import subprocess
import tempfile
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import course
import exports
import runctl
from mathcore import Config, ConfigError, Example, build_example

CONFIG_FIELDS = {f.name: f for f in dataclasses.fields(Config)}
FILE_KEYS = sorted([*CONFIG_FIELDS, "corpus_file"])   # what a column or a [[example]] key may be
TRUE, FALSE = {"true", "yes", "on", "1"}, {"false", "no", "off", "0"}


class BatchError(Exception):
    """A bad batch file or an unusable cluster: the message is one line naming the problem and the fix."""


# ---------------------------------------------------------------- the batch file

@dataclass(frozen=True)
class BatchExample:
    line: int             # where the example starts in the batch file (1-based)
    example: Example
    example_json: str     # ex.to_json(): the task's input, and what example.json holds
    folder: str           # <slug>-<hash>: the example's folder in the batch folder (as media/runs/ has it)


def load_examples(path: str | Path, read_corpus: Callable[[Path], tuple[str, ...]],
                  folder_of: Callable[[Example], str]) -> list[BatchExample]:
    """Every example of a CSV or TOML batch file, built (so each is known to be valid before anything renders).

    read_corpus reads a corpus_file (relative paths are relative to the batch file); folder_of names an
    example's folder. Raises BatchError naming the file and line of the first bad example.
    """
    path = Path(path)
    rows = _read_rows(path)
    out = []
    for line, data in rows:
        try:
            if "corpus_file" in data:
                if "corpus" in data:
                    raise ConfigError("It sets both corpus and corpus_file: keep one.")
                corpus_path = data.pop("corpus_file")
                if not isinstance(corpus_path, str):
                    raise ConfigError(f"Option 'corpus_file' must be text, not {corpus_path!r}.")
                corpus_path = Path(corpus_path)
                data["corpus"] = read_corpus(corpus_path if corpus_path.is_absolute() else path.parent / corpus_path)
            ex = build_example(Config.from_dict(data))
        except ConfigError as e:
            raise BatchError(f"{path} line {line}: {e}") from None
        out.append(BatchExample(line, ex, ex.to_json(), folder_of(ex)))
    return out


def _read_rows(path: Path) -> list[tuple[int, dict]]:
    if path.suffix.lower() not in (".csv", ".toml"):
        raise BatchError(f"The batch file {path} is neither .csv nor .toml: list the examples in a CSV with a "
                         "header row, or in a TOML file of [[example]] tables.")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        reason = getattr(e, "strerror", None) or "it is not UTF-8 text"
        raise BatchError(f"Cannot read the batch file {path}: {reason}.") from None
    if not text.strip():
        raise BatchError(f"The batch file {path} is empty: give one example per row (CSV with a header such as "
                         "source,target) or per [[example]] table (TOML).")
    rows = _csv_rows(path, text) if path.suffix.lower() == ".csv" else _toml_rows(path, text)
    if not rows:
        raise BatchError(f"The batch file {path} lists no examples: add one row per example"
                         f"{' under the header' if path.suffix.lower() == '.csv' else ' as an [[example]] table'}.")
    return rows


def _csv_rows(path: Path, text: str) -> list[tuple[int, dict]]:
    reader = csv.reader(text.splitlines(keepends=True))
    header, header_line = None, 0
    rows = []
    last = 0
    for cells in reader:
        start, last = last + 1, reader.line_num
        if not any(c.strip() for c in cells):
            continue   # a blank line
        if header is None:
            header, header_line = [c.strip() for c in cells], start
            for i, name in enumerate(header):
                if not name:
                    raise BatchError(f"{path} line {start}: column {i + 1} of the header has no name; "
                                     f"name every column, e.g. source,target.")
                if name not in FILE_KEYS:
                    raise BatchError(f"{path} line {start}: unknown column '{name}': use any of "
                                     f"{', '.join(FILE_KEYS)}.")
                if header.index(name) != i:
                    raise BatchError(f"{path} line {start}: the column '{name}' appears twice; keep one.")
            continue
        if len(cells) > len(header):
            raise BatchError(f"{path} line {start}: {len(cells)} cells but the header (line {header_line}) names "
                             f"{len(header)} columns; quote cells that contain commas.")
        data = {}
        for name, cell in zip(header, cells):
            if cell.strip() == "":
                continue   # an empty cell keeps the default
            try:
                data[name] = _from_text(name, cell)
            except ConfigError as e:
                raise BatchError(f"{path} line {start}: {e}") from None
        rows.append((start, data))
    return rows


def _from_text(name: str, cell: str):
    """A CSV cell as the type of its Config field (text stays text; Config.from_dict checks the rest)."""
    if name not in CONFIG_FIELDS:
        return cell
    default = CONFIG_FIELDS[name].default
    value = cell.strip()
    if isinstance(default, bool):
        if value.lower() in TRUE:
            return True
        if value.lower() in FALSE:
            return False
        raise ConfigError(f"Option '{name}' must be true or false, not {value!r}.")
    if isinstance(default, int):
        try:
            return int(value)
        except ValueError:
            raise ConfigError(f"Option '{name}' must be a whole number, not {value!r}.") from None
    if isinstance(default, float):
        try:
            return float(value)
        except ValueError:
            raise ConfigError(f"Option '{name}' must be a number, not {value!r}.") from None
    return cell


def _toml_rows(path: Path, text: str) -> list[tuple[int, dict]]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise BatchError(f"The batch file {path} is not valid TOML: {e}.") from None
    lines = text.splitlines()
    for key in data:
        if key != "example":
            raise BatchError(f"{path} line {_line_of(lines, key)}: unknown key '{key}': list each example as an "
                             "[[example]] table.")
    tables = data.get("example", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise BatchError(f"{path} line {_line_of(lines, 'example')}: write each example as an [[example]] table "
                         "(double brackets).")
    starts = [i + 1 for i, line in enumerate(lines) if re.match(r"\s*\[\[\s*example\s*\]\]", line)]
    if len(starts) != len(tables):   # e.g. an inline array of tables: point at the key instead
        starts = [_line_of(lines, "example")] * len(tables)
    rows = []
    for line, table in zip(starts, tables):
        unknown = sorted(set(table) - set(FILE_KEYS))
        if unknown:
            raise BatchError(f"{path} line {line}: unknown key '{unknown[0]}': use any of {', '.join(FILE_KEYS)}.")
        rows.append((line, dict(table)))
    return rows


def _line_of(lines: list[str], key: str) -> int:
    for i, line in enumerate(lines):
        if re.match(rf"\s*(\[+\s*)?{re.escape(key)}\b", line):
            return i + 1
    return 1


# ---------------------------------------------------------------- one task on a worker

def worker_command(slug: str, example_path: Path, settings: dict, media_dir: Path) -> list[str]:
    """The per-chapter worker entry point (as course._spawn runs it), on the machine that runs the task."""
    return course.worker_command(slug, example_path, course.RenderSettings(**settings), media_dir)


def render_chapter(example_json: str, slug: str, settings: dict) -> dict:
    """Dask task: render one chapter in a temporary folder; return its files as bytes, keyed by final name."""
    _remove_orphans()
    with tempfile.TemporaryDirectory(prefix=f"ta-batch-{os.getpid()}-") as tmp:
        tmp = Path(tmp)
        (tmp / "example.json").write_text(example_json, encoding="utf-8")
        cmd = worker_command(slug, tmp / "example.json", settings, tmp / "media")
        t0 = time.perf_counter()
        # its own session, and SIGKILL from the kernel if this worker dies: a killed worker leaves no render
        # running on its own (Dask reruns the task elsewhere)
        proc = runctl.spawn(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp,
                            env=dict(os.environ, PYTHONUNBUFFERED="1"))
        out, err = proc.communicate()
        seconds = time.perf_counter() - t0
        if proc.returncode != 0:
            said = [line for line in err.splitlines() if line.strip()]
            raise RuntimeError(f"chapter {slug} failed on {socket.gethostname()} (exit {proc.returncode}): "
                               f"{said[-1].strip() if said else 'no message'}")
        info = json.loads(out.strip().splitlines()[-1])
        movie = Path(info["video"])
        files = {slug + p.name[len(movie.stem):]: p.read_bytes()   # video, steps.json, captions if any
                 for p in sorted(movie.parent.iterdir()) if p.is_file() and p.name.startswith(movie.stem + ".")}
    return {"files": files, "video": slug + movie.suffix, "duration": info["duration"],
            "render_seconds": seconds, "host": socket.gethostname()}


def _remove_orphans():
    """Temporary folders left by workers that were killed mid-task on this machine (their pid is gone)."""
    import shutil
    for folder in Path(tempfile.gettempdir()).glob("ta-batch-*-*"):
        pid = folder.name.split("-")[2]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            pass   # alive, under another user


# ---------------------------------------------------------------- the batch on the client

@dataclass
class _Unit:
    """One example in one look: its run folder, the chapters still to come, and how it ended."""
    bex: BatchExample
    settings: course.RenderSettings
    folder: Path
    todo: dict = field(default_factory=dict)   # slug -> cache key, still rendering
    rendered: int = 0
    failed_chapters: int = 0
    errors: list = field(default_factory=list)
    course_video: Path | None = None
    duration: float | None = None
    render_seconds: float | None = None

    @property
    def finished(self) -> bool:
        return not self.todo

    @property
    def status(self) -> str:
        if self.errors:
            return "failed"
        return "done" if self.rendered else "up to date"


def run(examples: list[BatchExample], chapters: list, looks: list[course.RenderSettings], out_dir: Path,
        source_name: str = "batch", scheduler: str | None = None, workers: int | None = None,
        console=None) -> list[dict]:
    """Render every (example, chapter, look) not already finished in out_dir and assemble each course.

    Writes out_dir/index.md and out_dir/batch.json; returns batch.json's examples (one per example and look,
    in file order). A failed task marks its example failed and the others go on.
    """
    from rich.console import Console
    console = console or Console()
    out_dir = Path(out_dir)
    units: dict[tuple[str, str], _Unit] = {}
    rows = []   # (example, unit) in file order; two identical rows share one unit
    for bex in examples:
        for s in looks:
            key = (bex.folder, s.tag())
            if key not in units:
                units[key] = _Unit(bex, s, out_dir / bex.folder / s.tag())
            rows.append(units[key])
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise BatchError(_os_error(e, out_dir)) from None
    with runctl.run_lock(out_dir, echo=console.print):   # one batch per folder at a time
        return _run_locked(units, rows, chapters, looks, out_dir, source_name, scheduler, workers, console)


def _run_locked(units, rows, chapters, looks, out_dir, source_name, scheduler, workers, console) -> list[dict]:
    tasks = []   # (unit, chapter, cache key)
    for unit in units.values():
        try:
            exports.write_atomic(unit.folder / "example.json", unit.bex.example_json)
        except OSError as e:
            raise BatchError(_os_error(e, unit.folder)) from None
        for ch in chapters:
            key = unit.settings.key(unit.bex.example_json, ch.slug)
            key_file = unit.folder / f".{ch.slug}.key"
            done = ((unit.folder / f"{ch.slug}.{unit.settings.fmt}").exists()
                    and (unit.folder / f"{ch.slug}.steps.json").exists())
            if done and key_file.exists() and key_file.read_text() == key:
                continue
            key_file.unlink(missing_ok=True)
            unit.todo[ch.slug] = key
            tasks.append((unit, ch, key))

    if tasks:
        _render(tasks, units, chapters, scheduler, workers, console, verbose=any(s.verbose for s in looks))
    else:
        console.print("Every chapter is up to date; nothing to render.")
    for unit in units.values():
        if unit.course_video is None and not unit.errors:
            _assemble(unit, chapters)   # nothing rendered: reassemble as `video` does
    results = [_result(unit, out_dir, len(chapters)) for unit in rows]
    try:
        exports.write_atomic(out_dir / "batch.json",
                             json.dumps({"examples": results}, indent=1, ensure_ascii=False) + "\n")
        exports.write_atomic(out_dir / "index.md", index_md(results, source_name, len(looks) > 1))
    except OSError as e:
        raise BatchError(_os_error(e, out_dir)) from None
    console.print(summary_table(results))
    return results


def _render(tasks, units, chapters, scheduler, workers, console, verbose: bool):
    from distributed import as_completed
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    quiet = _quiet_dask(verbose)
    try:
        with _cluster(scheduler, workers or os.cpu_count() or 1, len(tasks), verbose) as client:
            threads = sum(w.get("nthreads", 1) for w in client.scheduler_info()["workers"].values())
            if not threads:
                console.print(f"The scheduler {scheduler} has no workers yet: waiting for `dask worker` processes.")
            jobs = max(1, min(threads, len(tasks)))
            futures = {}
            for unit, ch, key in tasks:
                fut = client.submit(render_chapter, unit.bex.example_json, ch.slug,
                                    dataclasses.asdict(unit.settings), key=f"ta-{ch.slug}-{key}", retries=1)
                futures[fut] = (unit, ch, key)
            with Progress(TextColumn("batch"), BarColumn(bar_width=30), MofNCompleteColumn(), TextColumn("tasks"),
                          TextColumn("· {task.fields[examples]}"), TimeElapsedColumn(), console=console) as progress:
                total_units = len(units)
                done_units = sum(u.finished for u in units.values())
                bar = progress.add_task("batch", total=len(tasks), examples=f"{done_units}/{total_units} examples")
                for fut in as_completed(list(futures), loop=client.loop):
                    unit, ch, key = futures.pop(fut)
                    if fut.status == "finished":
                        try:
                            _write_chapter(unit, ch, key, fut.result(), jobs)
                        except OSError as e:
                            raise BatchError(_os_error(e, unit.folder)) from None
                    else:
                        unit.errors.append(f"{ch.slug}: {_reason(fut)}")
                        unit.failed_chapters += 1
                    fut.release()
                    del unit.todo[ch.slug]
                    if unit.finished:
                        if not unit.errors:
                            _assemble(unit, chapters)
                        done_units += 1
                    progress.update(bar, advance=1, examples=f"{done_units}/{total_units} examples")
    finally:
        quiet()


def _os_error(e: OSError, folder: Path) -> str:
    return runctl.os_error_line(e) or f"Cannot write to the folder {folder}: {e.strerror}; choose another --out."


def _reason(fut) -> str:
    try:
        exc = fut.exception()
    except Exception as e:   # cancelled, or the scheduler went away
        exc = e
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


class _cluster:
    """A client of the given scheduler, or of a LocalCluster of processes with one thread each."""

    def __init__(self, scheduler: str | None, workers: int, n_tasks: int, verbose: bool):
        self.scheduler, self.workers, self.n_tasks, self.verbose = scheduler, workers, n_tasks, verbose
        self.cluster = self.client = None

    def __enter__(self):
        from distributed import Client, LocalCluster
        if self.scheduler:
            try:
                self.client = Client(self.scheduler, timeout="15s", set_as_default=False)
            except (OSError, TimeoutError, ValueError) as e:
                raise BatchError(f"Cannot reach the Dask scheduler at {self.scheduler} ({e}); start one with "
                                 "`dask scheduler`, or leave out --scheduler to use this machine.") from None
            return self.client
        try:
            self.cluster = LocalCluster(n_workers=max(1, min(self.workers, self.n_tasks)), threads_per_worker=1,
                                        processes=True, host="127.0.0.1", dashboard_address=None,
                                        silence_logs=logging.INFO if self.verbose else logging.CRITICAL,
                                        # the scheduler's HTTP routes (no dashboard) on a free local port
                                        scheduler_kwargs={"allowed_failures": 1, "dashboard_address": "127.0.0.1:0"})
        except Exception as e:
            raise BatchError(f"Cannot start a local Dask cluster ({type(e).__name__}: {e}); "
                             "pass --scheduler to use a running one.") from None
        self.client = Client(self.cluster, set_as_default=False)
        return self.client

    def __exit__(self, *exc):
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()
        return False


def _quiet_dask(verbose: bool):
    """Silence distributed's own log on this side (a worker that dies is reported in the summary)."""
    if verbose:
        return lambda: None
    loggers = [logging.getLogger(n) for n in ("distributed", "tornado", "asyncio")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL)

    def restore():
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)
    return restore


def _write_chapter(unit: _Unit, ch, key: str, result: dict, jobs: int):
    """The chapter's files into its run folder, atomically; the video last but one and the key last
    (as course.render_course does), so an interrupted batch redoes exactly this chapter."""
    files = dict(result["files"])
    if result["video"] not in files:
        raise OSError(0, f"the worker returned no {result['video']}")
    steps = f"{ch.slug}.steps.json"
    if steps in files:   # how long it took, for `list` and the speed table (as render_course records it)
        data = json.loads(files[steps])
        data["render_seconds"] = round(result["render_seconds"], 1)
        data["render_jobs"] = jobs
        files[steps] = json.dumps(data, indent=1, ensure_ascii=False).encode()
    video = files.pop(result["video"])
    for name, blob in files.items():
        exports.write_atomic(unit.folder / name, blob)
    exports.write_atomic(unit.folder / result["video"], video)
    exports.write_atomic(unit.folder / f".{ch.slug}.key", key)
    unit.rendered += 1


def _assemble(unit: _Unit, chapters: list):
    try:
        unit.course_video = course.assemble(unit.bex.example, chapters, unit.folder, unit.settings)
        summary = json.loads((unit.folder / "course.json").read_text())["chapters"]
    except Exception as e:   # one example's assembly never stops the batch
        unit.errors.append(f"assembly: {type(e).__name__}: {e}")
        return
    unit.duration = round(sum(c["duration"] for c in summary), 2)
    seconds = [c["render_seconds"] for c in summary if c.get("render_seconds") is not None]
    unit.render_seconds = round(sum(seconds), 1) if seconds else None


def _result(unit: _Unit, out_dir: Path, n_chapters: int) -> dict:
    cfg = unit.bex.example.config
    return {"line": unit.bex.line, "source": cfg.source, "target": cfg.target, "look": unit.settings.tag(),
            "chapters": n_chapters - unit.failed_chapters, "chapters_asked": n_chapters,
            "folder": unit.folder.relative_to(out_dir).as_posix(),
            "course": unit.course_video.relative_to(out_dir).as_posix() if unit.course_video else None,
            "status": unit.status, "duration": unit.duration, "render_seconds": unit.render_seconds,
            "error": "; ".join(unit.errors) or None}


# ---------------------------------------------------------------- reports

def index_md(results: list[dict], source_name: str, show_look: bool = False) -> str:
    """DIR/index.md: one row per example with its sentence, a link to its course, duration and status."""
    def cell(s) -> str:
        return str(s).replace("|", "\\|").replace("\n", " ")
    head = ["#", "sentence", *(["look"] if show_look else []), "course", "duration", "status"]
    lines = [f"# Batch: {cell(source_name)}\n", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for i, r in enumerate(results, 1):
        link = f"[{Path(r['course']).name}]({r['course']})" if r["course"] else "—"
        status = r["status"] if not r["error"] else f"{r['status']}: {r['error']}"
        row = [str(i), f"{r['source']} → {r['target']}", *([r["look"]] if show_look else []), link,
               exports.youtube_time(r["duration"]) if r["duration"] is not None else "—", status]
        lines.append("| " + " | ".join(cell(c) for c in row) + " |")
    return "\n".join(lines) + "\n"


def summary_table(results: list[dict]):
    from rich.table import Table
    table = Table(title="Batch")
    for name, justify in (("example", "left"), ("chapters", "right"), ("duration", "right"),
                          ("render time", "right"), ("status", "left")):
        table.add_column(name, justify=justify)
    for r in results:
        status = {"failed": "[red]failed", "done": "[green]done"}.get(r["status"], r["status"])
        table.add_row(f"{r['line']}: {r['source']}", f"{r['chapters']}/{r['chapters_asked']}",
                      f"{r['duration']:.1f} s" if r["duration"] is not None else "—",
                      f"{r['render_seconds']:.1f} s" if r["render_seconds"] is not None else "—", status)
    return table
