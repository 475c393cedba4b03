#!/usr/bin/env python3
"""Render time of shorts on this machine: a narrated short at 1080x1920 (the default; target: a 60 s short
in at most 2 minutes) and a draft at 540x960 (target: a 60 s draft in at most 30 s). Prints each render's
video length, wall time, the time a 60 s short would take at that rate (the verdict) and the load average
(the figures are only meaningful on an otherwise idle machine).

    .venv/bin/python scripts/bench_shorts.py [--topic attention] [--out media/bench-shorts]

The voice clips come from the shared cache after the first run (as in any re-render); the first run
synthesizes them, which the figures then include.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mathcore import Config, build_example  # noqa: E402
from pipeline.shorts import ShortSettings, render_short  # noqa: E402

TARGETS = {"h": 120.0, "l": 30.0}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--topic", default="attention")
    ap.add_argument("--out", default="media/bench-shorts")
    a = ap.parse_args()
    ex = build_example(Config())
    for q in ("h", "l"):
        folder = Path(a.out) / q
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        t0 = time.perf_counter()
        out = render_short(ex, a.topic, folder, ShortSettings(quality=q))
        wall = time.perf_counter() - t0
        per60 = wall * 60.0 / out["duration"]
        size = "1080x1920" if q == "h" else "540x960"
        verdict = "ok" if per60 <= TARGETS[q] else "OVER TARGET"
        print(f"{a.topic} {size}: {out['duration']:.1f} s of video rendered in {wall:.1f} s "
              f"({wall / out['duration']:.2f} x its length; a 60 s short at this rate: {per60:.0f} s, "
              f"target <= {TARGETS[q]:.0f} s: {verdict}; load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
