#!/usr/bin/env python3
"""Benchmark of the narrated course: prints figures, asserts nothing.

1. Synthesis: every step's narration of the default course spoken into a fresh cache; wall time against
   the length of the speech (target: at most 10 %).
2. With --render: the whole narrated default course at 480p15 with two jobs and cold voice and Tex caches
   (a first render on a fresh machine); wall time against the course's duration (target: at most 0.3x).

Usage: .venv/bin/python scripts/bench_voice.py [--render] [--run RUN_FOLDER]
  --run: take the narrations from a rendered run folder's <chapter>.steps.json (default: build every
         chapter in Manim's dry-run mode to collect them).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def narrations_from_run(run: Path) -> list[str]:
    texts = []
    for f in sorted(run.glob("ch*.steps.json")):
        texts.extend(st["narration"] for st in json.loads(f.read_text())["steps"])
    return texts


def narrations_from_dry_runs() -> list[str]:
    from manim import tempconfig
    import scenes
    from mathcore import Config, build_example
    ex = build_example(Config())
    texts = []
    with tempfile.TemporaryDirectory() as media:
        for ch in scenes.available_chapters():
            with tempconfig({"dry_run": True, "media_dir": media, "verbosity": "ERROR", "progress_bar": "none",
                             "disable_caching": True}):
                scene = ch.load()(example=ex)
                scene.render()
            texts.extend(e["narration"] for e in scene.timeline)
    return texts


def bench_synthesis(texts: list[str]):
    from narration import voice
    with tempfile.TemporaryDirectory() as cache:
        t0 = time.perf_counter()
        narrator = voice.Narrator("joe", 1.0, cache_dir=cache)
        narrator.engine   # the model load counts too
        load = time.perf_counter() - t0
        audio = 0.0
        for text in texts:
            audio += narrator.clip(text).duration
        wall = time.perf_counter() - t0
    print(f"synthesis: {len(texts)} steps, {audio / 60:.1f} min of speech in {wall:.1f} s "
          f"(model load {load:.1f} s) = {100 * wall / audio:.1f} % of its duration (target at most 10 %)")


def bench_render():
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, TA_VOICE_CACHE=str(Path(tmp) / "voice"), TA_TEX_CACHE=str(Path(tmp) / "tex"))
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, str(ROOT / "render.py"), "video", "--jobs", "2",
                               "--out", str(Path(tmp) / "run")], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            sys.exit(f"the render failed: {proc.stderr.strip().splitlines()[-1:]}")
        course = json.loads((Path(tmp) / "run" / "course.json").read_text())
        duration = sum(c["duration"] for c in course["chapters"])
    print(f"narrated course at 480p15, 2 jobs, cold voice and Tex caches: {duration / 60:.1f} min of video in "
          f"{wall / 60:.1f} min = {wall / duration:.2f} x its duration (target at most 0.3 x)")
    print(f"  chapters rendered in {course['render_wall_seconds']:.0f} s wall "
          f"({sum(c['render_seconds'] for c in course['chapters']):.0f} s of chapter processes); "
          f"start-up and assembly {wall - course['render_wall_seconds']:.0f} s")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", type=Path, help="a rendered run folder to take the narrations from")
    ap.add_argument("--render", action="store_true", help="also time the whole narrated course")
    args = ap.parse_args()
    texts = narrations_from_run(args.run) if args.run else narrations_from_dry_runs()
    bench_synthesis(texts)
    if args.render:
        bench_render()


if __name__ == "__main__":
    main()
