"""A course on this machine: one process per chapter (pipeline.worker), at most --jobs at a time, with one
progress line per chapter; each chapter lands in the run folder the moment it finishes (pipeline.runfolder),
then the course is assembled (pipeline.assemble).

Orchestration only: no math (mathcore) and no drawing (scenes). Nothing appears under its final name
until it is complete: workers render into <run>/.work/ and files are moved into place with os.replace,
the chapter's cache key last, so an interrupted run re-renders exactly the chapters that did not finish.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

from mathcore import Example
from mathcore.files import write_atomic
from pipeline import runctl
from pipeline.assemble import assemble_course
from pipeline.errors import DiskFullError, RenderError
from pipeline.runfolder import chapter_files, chapter_key, following_chapters, land, needs_render
from pipeline.settings import ROOT, RenderSettings
from pipeline.worker import worker_command, worker_env


def _spawn(ch, example_path: Path, settings: RenderSettings, media_dir: Path, log: Path,
           stills_dir: Path | None = None, at: set[str] | None = None,
           next_chapter: int | None = None) -> subprocess.Popen:
    cmd = worker_command(ch.slug, example_path, settings, media_dir, stills_dir, at, next_chapter)
    shutil.rmtree(media_dir, ignore_errors=True)   # what a killed run left half-done is not this render's
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as fh:   # the worker writes to its own copy of the descriptor
        proc = runctl.spawn(cmd, stdout=subprocess.PIPE, stderr=fh, text=True, cwd=ROOT, env=worker_env())
    proc.log, proc.media_dir = log, media_dir
    return proc


def _run_all(jobs_list: list[tuple], jobs: int, verbose: bool, on_done=None) -> dict:
    """Run (chapter, start-callable) jobs at most `jobs` at a time, with one progress line per chapter.

    on_done(ch, info), if given, runs as soon as a chapter succeeds (to move its files into place, so a stop
    or a sibling's failure keeps it). Whatever ends the loop early (Ctrl-C, SIGTERM, an error) stops the
    workers still running, and their process groups, before it propagates (runctl.stop)."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = Console()
    if not console.is_terminal:   # a log file or CI: rich assumes 80 columns and would cut off time and status
        console = Console(width=max(console.width, 120))
    results, failures = {}, []
    pending = sorted(jobs_list, key=lambda job: -job[0].cost)   # the longest start first
    running: dict = {}
    columns = (SpinnerColumn(), TextColumn("{task.description:<44}"), BarColumn(bar_width=24), TimeElapsedColumn(),
               TextColumn("{task.fields[status]}"))
    with runctl.signals_deferred(), Progress(*columns, transient=False, console=console) as progress:
        tasks = {ch.slug: progress.add_task(f"{ch.number:>2} {ch.title}", total=1, status="waiting", start=False)
                 for ch, _ in jobs_list}
        try:
            while pending or running:
                runctl.check_stop()   # the one place a SIGINT or SIGTERM raises (see runctl.signals_deferred)
                while pending and len(running) < jobs:
                    ch, start = pending.pop(0)
                    progress.start_task(tasks[ch.slug])
                    progress.update(tasks[ch.slug], status="rendering", total=None)
                    running[ch.slug] = (ch, start(), time.time())
                for slug, (ch, proc, t0) in list(running.items()):
                    if proc.poll() is None:
                        continue
                    out = proc.stdout.read() if proc.stdout else ""
                    del running[slug]
                    if proc.returncode != 0:
                        failures.append((ch, proc))
                        progress.update(tasks[slug], total=1, completed=0, status="[red]failed")
                        continue
                    info = json.loads(out.strip().splitlines()[-1])
                    info["render_seconds"] = time.time() - t0
                    results[slug] = info
                    if on_done is not None:
                        on_done(ch, info)
                    status = (f"{info['duration']:.1f} s of video" if "duration" in info
                              else f"{len(info.get('stills', []))} stills")
                    progress.update(tasks[slug], total=1, completed=1, status=f"done: {status}")
                time.sleep(0.2)
        except BaseException as e:
            runctl.stop([proc for _, proc, _ in running.values()], first=getattr(e, "signum", None))
            raise
    if failures:
        names = ", ".join(f"{c.number} ({c.title})" for c, _ in failures)
        full = [proc for _, proc in failures if runctl.disk_full(getattr(proc, "log", None))]
        for proc in full:   # its half-written frames would only hold on to the space a rerun needs
            shutil.rmtree(proc.media_dir, ignore_errors=True)
        if full:
            raise DiskFullError(f"The disk is full: chapter {names} could not be written in "
                                f"{full[0].log.parent.parent}. Free some space (or choose another --out), "
                                "then rerun the same command; finished chapters are kept.")
        raise RenderError(f"Chapter {names} failed to render; see the log in the run folder's .work/ "
                          "(or rerun with -v).")
    return results


# ---------------------------------------------------------------- the course

def render_course(ex: Example, chapters: list, folder: Path, settings: RenderSettings, jobs: int,
                  force: bool = False, echo=print) -> Path:
    """Render the chapters not yet finished in folder (all with force), land each as it finishes, then
    assemble the course; returns the course video. echo says when there is nothing to render."""
    t0 = time.time()
    example_json = ex.to_json()
    write_atomic(folder / "example.json", example_json)
    work = folder / ".work"
    ext = settings.fmt
    todo = []
    follows = following_chapters(chapters)
    for ch in chapters:
        key = chapter_key(settings, example_json, ch.slug, follows[ch.slug])
        if not needs_render(folder, ch.slug, ext, key, force):
            continue
        media = work / f"{ch.slug}-{key[:8]}"
        todo.append((ch, key, media))

    def starter(ch, media):
        return lambda: _spawn(ch, folder / "example.json", settings, media, work / f"{ch.slug}.log",
                              next_chapter=follows[ch.slug])

    where = {ch.slug: (key, media) for ch, key, media in todo}

    def landed(ch, info):   # in place the moment it finishes, so a stop or a sibling's failure keeps it
        key, media = where[ch.slug]
        land(folder, ch.slug, ext, key, chapter_files(Path(info["video"])),
             {"render_seconds": round(info["render_seconds"], 1), "render_jobs": min(jobs, len(todo))})
        shutil.rmtree(media, ignore_errors=True)

    if todo:
        _run_all([(ch, starter(ch, media)) for ch, _, media in todo], jobs, settings.verbose, on_done=landed)
    else:
        echo("Every chapter is up to date; nothing to render.")
    _remove_if_empty(work)
    return assemble_course(ex, chapters, folder, settings, wall_seconds=(time.time() - t0) if todo else None)


def _remove_if_empty(folder: Path):
    try:
        folder.rmdir()
    except OSError:
        pass
