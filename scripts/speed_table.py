#!/usr/bin/env python3
"""Print the README's speed table from the course.json of one or more rendered runs.

`render.py video` records, per chapter, the video's duration and the wall time its render took (and how
many chapters rendered at once). Give the run folders of the qualities to tabulate:

    .venv/bin/python scripts/speed_table.py media/runs/when-you-play-game-of-thrones-*/480p15-dark \
        media/runs/when-you-play-game-of-thrones-*/1080p60-dark
"""
from __future__ import annotations

import json
import sys
from pathlib import Path


def main(folders: list[str]) -> int:
    if not folders:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    runs = []
    for f in folders:
        path = Path(f) / "course.json"
        if not path.exists():
            print(f"speed_table: no course.json in {f}; render it first with render.py video.", file=sys.stderr)
            return 2
        runs.append((Path(f).name, {c["slug"]: c for c in json.loads(path.read_text())["chapters"]}))
    slugs = list(runs[0][1])
    head = "| chapter | video |" + "".join(f" {name} render | ratio |" for name, _ in runs)
    print(head)
    print("|---|---|" + "---|---|" * len(runs))
    total_video, totals = 0.0, [0.0] * len(runs)
    for slug in slugs:
        first = runs[0][1][slug]
        total_video += first["duration"]
        cells = []
        for k, (_, chapters) in enumerate(runs):
            c = chapters.get(slug)
            if c is None or c.get("render_seconds") is None:
                cells.append(" – | – |")
                continue
            totals[k] += c["render_seconds"]
            cells.append(f" {c['render_seconds']:.0f} s | {c['render_seconds'] / c['duration']:.2f} × |")
        print(f"| {first['number']} {first['title']} | {first['duration']:.1f} s |" + "".join(cells))
    print(f"| **all** | {total_video / 60:.1f} min |"
          + "".join(f" {t / 60:.1f} min | {t / total_video:.2f} × |" for t in totals))
    jobs = {c.get("render_jobs") for _, chs in runs for c in chs.values()}
    print(f"\nChapters rendered {', '.join(str(j) for j in sorted(j for j in jobs if j))} at a time.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
