#!/usr/bin/env python3
"""How long writing the course page takes, and how big it is without the videos.

Targets (docs/course-page.md): at most 2 s to write index.html for the default course (every chapter),
at most 3 MB for index.html and page/ together. The time is measured in a fresh process and includes
importing what the page needs (numpy, mathcore, the number format), as `render.py page` pays it; a second
write in the same process is printed too.

    .venv/bin/python scripts/bench_page.py RUN_FOLDER          # an existing run of the default course
    .venv/bin/python scripts/bench_page.py --render            # renders it first (draft, silent: ~3 min)
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_SECONDS, MAX_BYTES = 2.0, 3 * 1024 * 1024
DEFAULT_RUN = ROOT / "media" / "bench-page"

MEASURE = r"""
import json, sys, time
t0 = time.perf_counter()
import publish
path = publish.write_page(sys.argv[1])
t1 = time.perf_counter()
publish.write_page(sys.argv[1])
t2 = time.perf_counter()
print(json.dumps({"cold": t1 - t0, "warm": t2 - t1}))
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run", nargs="?", type=Path, help=f"run folder [default: {DEFAULT_RUN.relative_to(ROOT)}]")
    ap.add_argument("--render", action="store_true",
                    help="render the default course first (every chapter, draft quality, silent) into the folder")
    args = ap.parse_args()
    run = (args.run or DEFAULT_RUN).resolve()
    if args.render:
        subprocess.run([sys.executable, str(ROOT / "render.py"), "video", "-q", "draft", "--no-voice",
                        "--out", str(run)], cwd=ROOT, check=True)
    if not (run / "course.json").is_file():
        print(f"bench_page: {run} is not a run folder; give one, or pass --render to make it.", file=sys.stderr)
        return 2
    out = subprocess.run([sys.executable, "-c", MEASURE, str(run)], cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        print(f"bench_page: writing the page failed: {out.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
        return 1
    t = json.loads(out.stdout.strip().splitlines()[-1])
    files = [run / "index.html", *(p for p in (run / "page").rglob("*") if p.is_file())]
    size = sum(p.stat().st_size for p in files)
    html = (run / "index.html").stat().st_size
    chapters = len(json.loads((run / "course.json").read_text())["chapters"])
    print(f"run folder          {run} ({chapters} chapters)")
    print(f"page write          {t['cold']:.2f} s in a fresh process (imports included), {t['warm']:.2f} s again "
          f"(target at most {MAX_SECONDS:.0f} s)")
    print(f"page size           {size / 1e6:.2f} MB without the videos: index.html {html / 1e6:.2f} MB with "
          f"its data, page/ {(size - html) / 1e6:.2f} MB (KaTeX and its fonts, page.js, page.css) "
          f"(target at most {MAX_BYTES / 2**20:.0f} MB)")
    ok = t["cold"] <= MAX_SECONDS and size <= MAX_BYTES
    print("within both targets" if ok else "OVER a target")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
