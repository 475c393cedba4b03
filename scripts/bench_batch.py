#!/usr/bin/env python3
"""How a batch scales with workers: the same batch on a local Dask cluster of 1 worker, then of 2.

Writes a CSV of a few example sentences, runs `render.py batch` on it once per worker count (each time into
a fresh folder, so nothing is cached), and prints the wall time, the chapters per minute and the speed-up.

    .venv/bin/python scripts/bench_batch.py                      # 4 examples, chapter 2, draft, silent
    .venv/bin/python scripts/bench_batch.py --examples 6 --chapters 2,3 --quality l --workers 1,2
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

ROOT = Path(__file__).resolve().parent.parent
SENTENCES = [
    ("the storm brings the game", "he brings the storm"),
    ("you win or you die", "i drink and i know things"),
    ("when you play game of thrones", "you win or you die"),
    ("i drink and i know things", "the true enemy won't wait"),
    ("the true enemy won't wait out the storm", "he brings the storm"),
    ("he brings the storm", "the storm brings the game"),
    ("you play the game", "you win"),
    ("i know things", "i drink"),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--examples", type=int, default=4, help="examples in the batch (at most %d)" % len(SENTENCES))
    ap.add_argument("--chapters", default="2", help="comma-separated chapters per example")
    ap.add_argument("--quality", default="draft", help="render.py -q preset")
    ap.add_argument("--workers", default="1,2", help="comma-separated local cluster sizes to compare")
    ap.add_argument("--voice", action="store_true", help="narrate (default: silent, so only rendering is timed)")
    args = ap.parse_args()
    chapters = [c for c in args.chapters.split(",") if c]
    sizes = [int(w) for w in args.workers.split(",") if w]
    n = max(1, min(args.examples, len(SENTENCES)))
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        tmp = Path(tmp)
        csv = tmp / "bench.csv"
        csv.write_text("source,target\n" + "".join(f"{s},{t}\n" for s, t in SENTENCES[:n]))
        tasks = n * len(chapters)
        print(f"{n} examples x {len(chapters)} chapter(s) {','.join(chapters)} = {tasks} tasks, -q {args.quality}, "
              f"{'narrated' if args.voice else 'silent'}; {os.cpu_count()} cores, load average before "
              f"{os.getloadavg()[0]:.1f}")
        walls = {}
        for w in sizes:
            out = tmp / f"workers{w}"
            cmd = [sys.executable, "render.py", "batch", str(csv), *chapters, "-q", args.quality, "--jobs", str(w),
                   "--out", str(out), *([] if args.voice else ["--no-voice"])]
            t0 = time.perf_counter()
            proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
            walls[w] = time.perf_counter() - t0
            if proc.returncode != 0:
                sys.exit(f"the batch with {w} worker(s) failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
            report = json.loads((out / "batch.json").read_text())["examples"]
            video = sum(r["duration"] for r in report)
            per_task = sum(r["render_seconds"] for r in report) / tasks
            print(f"{w} worker{'s' * (w > 1)}: wall {walls[w]:6.1f} s, {tasks / walls[w] * 60:5.1f} chapters/min, "
                  f"mean task {per_task:5.1f} s, {video:6.1f} s of video; load average after {os.getloadavg()[0]:.1f}")
        base = sizes[0]
        for w in sizes[1:]:
            print(f"speed-up {base} -> {w} workers: x{walls[base] / walls[w]:.2f}")


if __name__ == "__main__":
    main()
