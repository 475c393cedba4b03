#!/usr/bin/env python3
"""One chapter in one process: Manim's config is process-wide, so every renderer (video, stills, post,
bench, batch) starts each chapter as `python worker.py --chapter … --settings <RenderSettings as JSON> …`
(course.worker_command builds the line). It prints one JSON line saying where the files are.

Signals keep their defaults here: the command that started this process stops it (runctl.stop)."""
from __future__ import annotations

import argparse
import json

import course


def main(argv: list[str] | None = None):
    ap = argparse.ArgumentParser(prog="worker.py", description=__doc__.splitlines()[0])
    ap.add_argument("--chapter", required=True, help="number, slug or module of the chapter (or 'floor')")
    ap.add_argument("--example", required=True, help="path of the example.json to draw")
    ap.add_argument("--settings", required=True, help="course.RenderSettings as JSON")
    ap.add_argument("--media-dir", required=True, help="Manim's media folder for this chapter")
    ap.add_argument("--stills-dir", help="write stills of the key moments here instead of a video")
    ap.add_argument("--at", default="", help="comma-separated step ids of the stills (default: all)")
    ap.add_argument("--next-chapter", type=int, help="the chapter that follows in the run (announced at the end)")
    args = ap.parse_args(argv)
    settings = course.RenderSettings(**json.loads(args.settings))
    course.worker(args.chapter, args.example, settings, args.media_dir, args.stills_dir, args.at,
                  args.next_chapter)


if __name__ == "__main__":
    main()
