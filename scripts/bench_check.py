#!/usr/bin/env python3
"""How long the layout audit (`render.py check`) takes for all 15 chapters of one example (target: at most
60 s on the README's machine, two cores). Prints the wall time, per chapter and in all.

    .venv/bin/python scripts/bench_check.py [--theme light] [--jobs 2]
"""
import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mathcore import Config, build_example  # noqa: E402
from scenes import CHAPTERS, audit  # noqa: E402
from scenes.theme import get_theme  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--theme", default="dark", choices=["dark", "light"])
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()
    ex = build_example(Config())
    t0 = time.perf_counter()
    reports = audit.audit_chapters([c.number for c in CHAPTERS], ex, get_theme(args.theme), 480, jobs=args.jobs)
    wall = time.perf_counter() - t0
    for r in reports:
        print(f"{r.chapter:<24} {r.seconds:6.1f} s  {r.moments:4d} moments  {len(r.findings):3d} findings")
    print(f"all {len(reports)} chapters: {wall:.1f} s wall time with {args.jobs} job(s) (target 60 s)")


if __name__ == "__main__":
    main()
