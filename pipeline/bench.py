"""The benchmark (`render.py bench`): per chapter and quality, how long a render takes against Manim's own
floor (one moving dot for the same length at the same quality), then the whole set with 1 and 2 jobs."""
from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

from mathcore import Example
from mathcore.files import write_atomic
from pipeline import runctl
from pipeline.errors import DiskFullError, RenderError
from pipeline.local import _run_all, _spawn
from pipeline.settings import FRAME_RATES, QUALITIES, ROOT, RenderSettings
from pipeline.worker import worker_command, worker_env


def _timed_worker(ch_key: str, example_path: Path, settings: RenderSettings, media: Path, env_extra=None) -> tuple[float, dict]:
    cmd = worker_command(ch_key, example_path, settings, media)
    t0 = time.perf_counter()
    proc = runctl.spawn(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                        env=worker_env(**(env_extra or {})))
    try:
        stdout, stderr = proc.communicate()
    except BaseException as e:   # Ctrl-C, SIGTERM: the worker and its group stop with the command
        runctl.stop([proc], first=getattr(e, "signum", None))
        raise
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        if "No space left on device" in stderr:
            raise DiskFullError(f"The disk is full: the benchmark render of {ch_key} could not be written "
                                f"in {media}. Free some space (or choose another --out).")
        raise RenderError(f"Benchmark render of {ch_key} failed: {stderr.strip().splitlines()[-1:]}")
    return elapsed, json.loads(stdout.strip().splitlines()[-1])


def bench(ex: Example, chapters: list, folder: Path, qualities: list[str], echo=print) -> list[dict]:
    """Per chapter and quality: render time, frames per second, and the ratio to Manim's floor (one moving
    dot for the same length at the same quality, rendered in the same run); then the set with 1 and 2 jobs."""
    write_atomic(folder / "example.json", ex.to_json())
    rows = []
    for q in qualities:
        settings = RenderSettings(quality=q, code="bench", voice=None)   # the drawing's speed, silent
        fps = FRAME_RATES[q]
        for ch in chapters:
            t_ch, info = _timed_worker(ch.slug, folder / "example.json", settings, folder / ".bench" / f"{ch.slug}-{q}")
            dur = info["duration"]
            t_floor, _ = _timed_worker("floor", folder / "example.json", settings, folder / ".bench" / f"floor-{q}",
                                       {"TA_FLOOR_SECONDS": f"{dur:.3f}"})
            row = {"chapter": ch.slug, "quality": q, "video_s": dur, "render_s": t_ch,
                   "fps": dur * fps / t_ch, "floor_s": t_floor, "ratio_to_floor": t_ch / t_floor,
                   "render_over_duration": t_ch / dur}
            rows.append(row)
            echo(f"{ch.slug:<24} {QUALITIES[q] or q:<16} video {dur:6.1f} s  render {t_ch:6.1f} s  "
                 f"{row['fps']:6.1f} frames/s  floor {t_floor:6.1f} s  x{row['ratio_to_floor']:.2f} floor  "
                 f"{row['render_over_duration']:.2f} x duration")
    settings = RenderSettings(quality=qualities[0], code="bench", voice=None)
    walls = {}
    for jobs in (1, 2):
        t0 = time.perf_counter()
        todo = [(ch, (lambda ch=ch: _spawn(ch, folder / "example.json", settings,
                                           folder / ".bench" / f"jobs{jobs}-{ch.slug}",
                                           folder / ".bench" / f"jobs{jobs}-{ch.slug}.log")))
                for ch in chapters]
        _run_all(todo, jobs, False)
        walls[jobs] = time.perf_counter() - t0
    echo(f"whole set at {qualities[0]}: --jobs 1 {walls[1]:.1f} s, --jobs 2 {walls[2]:.1f} s, "
         f"speed-up x{walls[1] / walls[2]:.2f}")
    shutil.rmtree(folder / ".bench", ignore_errors=True)
    return rows
