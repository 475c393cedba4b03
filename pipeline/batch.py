"""Batches: many examples, each a course, rendered as (example × chapter × look) tasks on a Dask cluster.

The cluster is a local one sized to this machine's cores by default, or any running `dask scheduler`.
A task (render_chapter) renders one chapter in a temporary folder on whichever worker runs it, through the
same per-chapter worker entry point as `render.py video` (pipeline.worker), and returns the finished files
as bytes, so the nodes share no filesystem; each node needs only the project installed
(scripts/bootstrap.sh), the same version as the client's. The client lands each chapter in its run folder as
soon as it arrives (pipeline.runfolder.land: files first, the cache key last, as the local run does), so a
chapter once finished is never lost and a rerun sends only what is missing; when an example's last chapter
lands, pipeline.assemble joins its course.

Faults: a task whose worker dies is rescheduled by Dask itself; a task that raises is retried once
(`retries=1`). A task that fails twice (two exceptions, or two dead workers: the local cluster sets
`distributed.scheduler.allowed-failures` to 1) marks its example failed; the other examples complete.

Orchestration only, like pipeline.local: no math (mathcore) and no drawing (scenes).
"""
from __future__ import annotations

import csv
import dataclasses
import difflib
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

from mathcore import Config, ConfigError, Example, build_example
from mathcore.config_io import resolve_corpus_file
from mathcore.files import write_atomic
from pipeline import assemble, runctl
from pipeline.errors import RenderError
from pipeline.examples import check_drawable
from pipeline.runfolder import (chapter_files, chapter_key, example_folder, following_chapters, land,
                                needs_render)
from pipeline.settings import RenderSettings
from pipeline.worker import worker_command as chapter_command
from pipeline.worker import worker_env
from publish.text import youtube_time

CONFIG_FIELDS = {f.name: f for f in dataclasses.fields(Config)}
FILE_KEYS = sorted([*CONFIG_FIELDS, "corpus_file"])   # what a column or a [[example]] key may be
# columns (keys) that label an example in index.md and batch.json without changing it; any other name that
# is not an option is an error, so a typo such as 'sentense' never falls back to the default sentence
LABEL_KEYS = ("id", "name", "student", "class", "group", "label", "note", "notes")
SENTENCE_KEYS = {"source": "sentence to translate", "target": "target sentence (its translation)"}
# the command line's names for some options: suggested when one is used as a column
_ALIASES = {"sentence": "source", "heads": "n_heads", "encoder_layers": "n_encoder_layers",
            "decoder_layers": "n_decoder_layers", "tied": "tied_output"}
TRUE, FALSE = {"true", "yes", "on", "1"}, {"false", "no", "off", "0"}


class BatchError(RenderError):
    """A bad batch file or an unusable cluster: the message is one line naming the problem and the fix."""


# ---------------------------------------------------------------- the batch file

@dataclass(frozen=True)
class BatchExample:
    line: int             # where the example starts in the batch file (1-based)
    example: Example
    example_json: str     # ex.to_json(): the task's input, and what example.json holds
    folder: str           # <slug>-<hash>: the example's folder in the batch folder (as media/runs/ has it)
    labels: dict = field(default_factory=dict)   # its label cells (name, student, …) as written, in file order


@dataclass(frozen=True)
class BadRow:
    """A row that cannot become an example: where it is, why, and what it says (for the reports)."""
    line: int
    error: str
    labels: dict = field(default_factory=dict)
    source: str | None = None
    target: str | None = None

    def where(self) -> str:
        said = ", ".join(v for v in self.labels.values() if v)
        return f"line {self.line}" + (f" ({said})" if said else "")

    def to_json(self) -> dict:
        return {"line": self.line, "labels": self.labels, "source": self.source, "target": self.target,
                "error": self.error}


def load_examples(path: str | Path, check: Callable[[Example], None] | None = check_drawable,
                  skip_bad: bool = False) -> tuple[list[BatchExample], list[BadRow]]:
    """Every example of a CSV or TOML batch file, built (so each is known to be valid before anything renders),
    and the rows that are bad.

    A corpus_file is read as a --config file's is (relative paths are relative to the batch file); check, if
    given, raises ConfigError for an example that cannot be shown (default: a word no installed font draws).
    Every row is read and built: a bad row raises one BatchError naming every bad row with its line, unless skip_bad (then
    only a file with no good row does). A bad file (header, encoding, syntax) raises BatchError at once.
    """
    path = Path(path)
    good, bad = [], []
    for row in _read_rows(path):
        data = row.data
        try:
            if row.errors:
                raise ConfigError(" ".join(row.errors))
            resolve_corpus_file(data, path.parent, "It")
            ex = build_example(Config.from_dict(data))
            if check is not None:
                check(ex)
        except ConfigError as e:
            bad.append(BadRow(row.line, str(e), row.labels, row.source, row.target))
            continue
        good.append(BatchExample(row.line, ex, ex.to_json(), example_folder(ex).name, row.labels))
    if bad and not (skip_bad and good):
        raise BatchError(bad_rows_message(path, bad, len(good), skip_bad))
    return good, bad


def _rows(n: int) -> str:
    return f"{n} row" if n == 1 else f"{n} rows"


def bad_rows_message(path: str | Path, bad: list[BadRow], n_good: int, skip_bad: bool = False) -> str:
    """Every bad row with its line, in one message: one line for one row, else a heading and a line each."""
    good = "the good row" if n_good == 1 else f"the {n_good} good rows"
    fix = (f"fix {'it' if len(bad) == 1 else 'them'}, or pass --skip-bad to render {good}"
           if n_good and not skip_bad else "")
    if len(bad) == 1:
        return f"{path} {bad[0].where()}: {bad[0].error}" + (f" Nothing was rendered: {fix}." if fix else "")
    head = (f"Every row of {path} is bad; nothing to render:" if not n_good else
            f"{path} has {len(bad)} bad rows; nothing was rendered:")
    lines = [head, *(f"  {b.where()}: {b.error}" for b in bad)]
    return "\n".join(lines + ([fix[0].upper() + fix[1:] + "."] if fix else []))


@dataclass
class _Row:
    """One example as read from the file, before it is built."""
    line: int
    data: dict = field(default_factory=dict)     # option -> value
    labels: dict = field(default_factory=dict)   # label column -> text
    errors: list = field(default_factory=list)   # what is wrong with its cells
    source: str | None = None                    # the sentences as written, for the reports
    target: str | None = None

    def sentence(self, key: str, value) -> bool:
        """Note a source or target as written; False (and an error) if it is blank."""
        if isinstance(value, str):
            setattr(self, key, value)
            if not value.strip():
                self.errors.append(f"The {key} cell is blank: write the {SENTENCE_KEYS[key]}, or delete the row.")
                return False
        return True


def _key_of(name: str) -> tuple[str, str] | None:
    """('option', key) or ('label', name as written) for a column or key name; None if it is neither."""
    low = name.strip().lower()
    if low in FILE_KEYS:
        return "option", low
    if low in LABEL_KEYS:
        return "label", name.strip()
    return None


def _unknown(name: str, what: str) -> str:
    guess = name.strip().lower().replace("-", "_").replace(" ", "_")
    close = difflib.get_close_matches(guess, [*FILE_KEYS, *LABEL_KEYS, *_ALIASES], n=1, cutoff=0.7)
    hint = f" (did you mean '{_ALIASES.get(close[0], close[0])}'?)" if close else ""
    return (f"unknown {what} '{name}'{hint}: use example options ({', '.join(FILE_KEYS)}) or label {what}s "
            f"({', '.join(LABEL_KEYS)}).")


def _read_rows(path: Path) -> list[_Row]:
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


def _csv_rows(path: Path, text: str) -> list[_Row]:
    reader = csv.reader(text.splitlines(keepends=True))
    columns, header_line = None, 0   # columns: (kind, key) per header cell
    rows = []
    last = 0
    for cells in reader:
        start, last = last + 1, reader.line_num
        if not any(c.strip() for c in cells):
            continue   # a blank line
        if columns is None:
            columns, header_line = _csv_header(path, start, cells), start
            continue
        row = _Row(start)
        if len(cells) > len(columns):
            row.errors.append(f"{len(cells)} cells but the header (line {header_line}) names {len(columns)} "
                              "columns; quote cells that contain commas.")
        cells = cells + [""] * (len(columns) - len(cells))   # a short row: its last cells are blank
        for (kind, key), cell in zip(columns, cells):
            if kind == "label":
                row.labels[key] = cell.strip()
            elif key in SENTENCE_KEYS:
                if row.sentence(key, cell):
                    row.data[key] = cell
            elif cell.strip():   # an empty option cell keeps the option's default
                try:
                    row.data[key] = _from_text(key, cell)
                except ConfigError as e:
                    row.errors.append(str(e))
        rows.append(row)
    return rows


def _csv_header(path: Path, line: int, cells: list[str]) -> list[tuple[str, str]]:
    """The header's columns; every problem with it at once, as one BatchError."""
    columns, problems, seen = [], [], set()
    for i, name in enumerate(c.strip() for c in cells):
        kind = _key_of(name)
        if not name:
            problems.append(f"column {i + 1} of the header has no name; name every column, e.g. source,target.")
        elif kind is None:
            problems.append(_unknown(name, "column"))
        elif kind[1].lower() in seen:
            problems.append(f"the column '{name}' appears twice; keep one.")
        else:
            seen.add(kind[1].lower())
        columns.append(kind)
    if len(problems) == 1:
        raise BatchError(f"{path} line {line}: {problems[0]}")
    if problems:
        raise BatchError("\n".join([f"{path} line {line}: the header has {len(problems)} problems:",
                                    *(f"  {p}" for p in problems)]))
    return columns
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


def _toml_rows(path: Path, text: str) -> list[_Row]:
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
        row = _Row(line)
        for name, value in table.items():
            kind = _key_of(name)
            if kind is None:
                row.errors.append(_unknown(name, "key"))
            elif kind[1].lower() in {k.lower() for k in [*row.data, *row.labels]}:
                row.errors.append(f"The key '{name}' appears twice; keep one.")
            elif kind[0] == "label":
                if isinstance(value, (dict, list)):
                    row.errors.append(f"The label '{name}' must be text or a number.")
                else:
                    row.labels[kind[1]] = str(value).strip()
            elif kind[1] not in SENTENCE_KEYS or row.sentence(kind[1], value):
                row.data[kind[1]] = value
        rows.append(row)
    return rows


def _line_of(lines: list[str], key: str) -> int:
    for i, line in enumerate(lines):
        if re.match(rf"\s*(\[+\s*)?{re.escape(key)}\b", line):
            return i + 1
    return 1


# ---------------------------------------------------------------- one task on a worker

def worker_command(slug: str, example_path: Path, settings: dict, media_dir: Path,
                   next_chapter: int | None = None) -> list[str]:
    """The per-chapter worker entry point (as the local run starts it), on the machine that runs the task."""
    return chapter_command(slug, example_path, RenderSettings(**settings), media_dir, next_chapter=next_chapter)


def render_chapter(example_json: str, slug: str, settings: dict, next_chapter: int | None = None) -> dict:
    """Dask task: render one chapter in a temporary folder; return its files as bytes, keyed by final name."""
    _remove_orphans()
    with tempfile.TemporaryDirectory(prefix=f"ta-batch-{os.getpid()}-") as tmp:
        tmp = Path(tmp)
        (tmp / "example.json").write_text(example_json, encoding="utf-8")
        cmd = worker_command(slug, tmp / "example.json", settings, tmp / "media", next_chapter)
        t0 = time.perf_counter()
        # its own session, and SIGKILL from the kernel if this worker dies: a killed worker leaves no render
        # running on its own (Dask reruns the task elsewhere)
        proc = runctl.spawn(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp,
                            env=worker_env())
        out, err = proc.communicate()
        seconds = time.perf_counter() - t0
        if proc.returncode != 0:
            said = [line for line in err.splitlines() if line.strip()]
            raise RuntimeError(f"chapter {slug} failed on {socket.gethostname()} (exit {proc.returncode}): "
                               f"{said[-1].strip() if said else 'no message'}")
        info = json.loads(out.strip().splitlines()[-1])
        movie = Path(info["video"])
        files = {suffix: p.read_bytes() for suffix, p in chapter_files(movie).items()}   # by suffix, as land takes them
    return {"files": files, "video": movie.suffix, "duration": info["duration"],
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
    settings: RenderSettings
    folder: Path
    todo: dict = field(default_factory=dict)   # slug -> cache key, still rendering
    rendered: int = 0
    failed_chapters: int = 0
    errors: list = field(default_factory=list)
    course_video: Path | None = None
    duration: float | None = None
    render_seconds: float | None = None
    layout_findings: int | None = None   # the layout audit's findings over its chapters (None: not audited)

    @property
    def finished(self) -> bool:
        return not self.todo

    @property
    def status(self) -> str:
        if self.errors:
            return "failed"
        return "done" if self.rendered else "up to date"


def run(examples: list[BatchExample], chapters: list, looks: list[RenderSettings], out_dir: Path,
        source_name: str = "batch", scheduler: str | None = None, workers: int | None = None,
        console=None, skipped: list[BadRow] = ()) -> list[dict]:
    """Render every (example, chapter, look) not already finished in out_dir and assemble each course.

    Writes out_dir/index.md and out_dir/batch.json; returns batch.json's examples (one per example and look,
    in file order). A failed task marks its example failed and the others go on. skipped: the bad rows left
    out (--skip-bad), listed in both reports and at the end.
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
            rows.append((bex, units[key]))
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise BatchError(_os_error(e, out_dir)) from None
    with runctl.run_lock(out_dir, echo=console.print):   # one batch per folder at a time
        return _run_locked(units, rows, chapters, looks, out_dir, source_name, scheduler, workers, console,
                           [b.to_json() for b in skipped])


def _run_locked(units, rows, chapters, looks, out_dir, source_name, scheduler, workers, console,
                skipped) -> list[dict]:
    tasks = []   # (unit, chapter, cache key)
    follows = following_chapters(chapters)   # a closing line announces the next chapter only if it follows
    for unit in units.values():
        try:
            write_atomic(unit.folder / "example.json", unit.bex.example_json)
        except OSError as e:
            raise BatchError(_os_error(e, unit.folder)) from None
        for ch in chapters:
            key = chapter_key(unit.settings, unit.bex.example_json, ch.slug, follows[ch.slug])
            if not needs_render(unit.folder, ch.slug, unit.settings.fmt, key):
                continue
            unit.todo[ch.slug] = key
            tasks.append((unit, ch, key))

    if tasks:
        _render(tasks, units, chapters, scheduler, workers, console, verbose=any(s.verbose for s in looks))
    else:
        console.print("Every chapter is up to date; nothing to render.")
    for unit in units.values():
        if unit.course_video is None and not unit.errors:
            _assemble(unit, chapters)   # nothing rendered: reassemble as `video` does
    results = [_result(bex, unit, out_dir, len(chapters)) for bex, unit in rows]
    try:
        write_atomic(out_dir / "batch.json", json.dumps({"examples": results, "skipped": skipped},
                                                                indent=1, ensure_ascii=False) + "\n")
        write_atomic(out_dir / "index.md", index_md(results, source_name, len(looks) > 1, skipped))
    except OSError as e:
        raise BatchError(_os_error(e, out_dir)) from None
    console.print(summary_table(results))
    if skipped:
        console.print(f"Skipped {_rows(len(skipped))} (bad; also listed in index.md and batch.json):",
                      highlight=False)
        for b in skipped:
            console.print(f"  {BadRow(**b).where()}: {b['error']}", highlight=False, markup=False)
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
                                    dataclasses.asdict(unit.settings), following_chapters(chapters)[ch.slug],
                                    key=f"ta-{ch.slug}-{key}", retries=1)
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
    """The chapter's files into its run folder (pipeline.runfolder.land: the video last but one, the key
    last), so an interrupted batch redoes exactly this chapter."""
    if result["video"] not in result["files"]:
        raise OSError(0, f"the worker returned no {ch.slug}{result['video']}")
    land(unit.folder, ch.slug, unit.settings.fmt, key, result["files"],
         {"render_seconds": round(result["render_seconds"], 1), "render_jobs": jobs})
    unit.rendered += 1


def _assemble(unit: _Unit, chapters: list):
    try:
        unit.course_video = assemble.assemble_course(unit.bex.example, chapters, unit.folder, unit.settings)
        summary = json.loads((unit.folder / "course.json").read_text())["chapters"]
    except Exception as e:   # one example's assembly never stops the batch
        unit.errors.append(f"assembly: {type(e).__name__}: {e}")
        return
    unit.duration = round(sum(c["duration"] for c in summary), 2)
    seconds = [c["render_seconds"] for c in summary if c.get("render_seconds") is not None]
    unit.render_seconds = round(sum(seconds), 1) if seconds else None
    found = [c["layout_findings"] for c in summary if c.get("layout_findings") is not None]
    unit.layout_findings = sum(found) if found else None


def _result(bex: BatchExample, unit: _Unit, out_dir: Path, n_chapters: int) -> dict:
    cfg = bex.example.config   # the row's own line and labels: two identical rows share one unit
    return {"line": bex.line, "labels": bex.labels, "source": cfg.source, "target": cfg.target,
            "look": unit.settings.tag(),
            "chapters": n_chapters - unit.failed_chapters, "chapters_asked": n_chapters,
            "folder": unit.folder.relative_to(out_dir).as_posix(),
            "course": unit.course_video.relative_to(out_dir).as_posix() if unit.course_video else None,
            "page": ((unit.folder / "index.html").relative_to(out_dir).as_posix()   # the course as a web page
                     if unit.course_video and (unit.folder / "index.html").is_file() else None),
            "status": unit.status, "duration": unit.duration, "render_seconds": unit.render_seconds,
            "layout_findings": unit.layout_findings, "error": "; ".join(unit.errors) or None}


# ---------------------------------------------------------------- reports

def index_md(results: list[dict], source_name: str, show_look: bool = False, skipped: list[dict] = ()) -> str:
    """DIR/index.md: one row per example with its labels, sentence, a link to its course, duration and status;
    then the bad rows that were skipped, with their problem."""
    def cell(s) -> str:
        return str(s).replace("|", "\\|").replace("\n", " ")
    label_names = list(dict.fromkeys(k for r in [*results, *skipped] for k in r.get("labels", {})))
    head = ["#", *label_names, "sentence", *(["look"] if show_look else []), "course", "page", "duration", "layout",
            "status"]
    lines = [f"# Batch: {cell(source_name)}\n", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for i, r in enumerate(results, 1):
        link = f"[{Path(r['course']).name}]({r['course']})" if r["course"] else "—"
        status = r["status"] if not r["error"] else f"{r['status']}: {r['error']}"
        row = [str(i), *(r["labels"].get(k, "") for k in label_names), f"{r['source']} → {r['target']}",
               *([r["look"]] if show_look else []), link,
               f"[index.html]({r['page']})" if r.get("page") else "—",
               youtube_time(r["duration"]) if r["duration"] is not None else "—", layout_cell(r.get("layout_findings")),
               status]
        lines.append("| " + " | ".join(cell(c) for c in row) + " |")
    if skipped:
        head = ["line", *label_names, "sentence", "problem"]
        lines += [f"\n## Skipped: {len(skipped)} bad {'row' if len(skipped) == 1 else 'rows'}, not rendered\n",
                  "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for b in skipped:
            row = [str(b["line"]), *(b["labels"].get(k, "") for k in label_names),
                   f"{(b['source'] or '').strip() or '—'} → {(b['target'] or '').strip() or '—'}", b["error"]]
            lines.append("| " + " | ".join(cell(c) for c in row) + " |")
    return "\n".join(lines) + "\n"


def layout_cell(n: int | None) -> str:
    """The layout audit's verdict on one example, for index.md (— when its render was not audited)."""
    if n is None:
        return "—"
    return "clean" if n == 0 else f"{n} problem{'s' * (n != 1)}"


def summary_table(results: list[dict]):
    from rich.table import Table
    from rich.text import Text   # the sentences and labels as written, never read as markup
    table = Table(title="Batch")
    for name, justify in (("example", "left"), ("chapters", "right"), ("duration", "right"),
                          ("render time", "right"), ("status", "left")):
        table.add_column(name, justify=justify)
    for r in results:
        status = {"failed": "[red]failed", "done": "[green]done"}.get(r["status"], r["status"])
        said = "".join(f"{v} · " for v in r.get("labels", {}).values() if v)
        table.add_row(Text(f"{r['line']}: {said}{r['source']}"), f"{r['chapters']}/{r['chapters_asked']}",
                      f"{r['duration']:.1f} s" if r["duration"] is not None else "—",
                      f"{r['render_seconds']:.1f} s" if r["render_seconds"] is not None else "—", status)
    return table
