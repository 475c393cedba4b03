#!/usr/bin/env python3
"""Every chapter's step timeline (ids, starts, ends, duration) for the default example and the 12-token
one, from Manim's dry-run mode, as JSON; and a comparison of two such files. For refactors that must not
change what a viewer sees: step ids identical, durations within one frame.

Usage:
  .venv/bin/python scripts/timelines.py dump OUT.json [--chapters 0,1,2]
  .venv/bin/python scripts/timelines.py compare BEFORE.json AFTER.json [--frame 0.0667]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

TWELVE = dict(source="when you play the game of thrones you win or you die",
              target="the true enemy won't wait out the storm he brings the storm")


def dump(out: Path, chapters: list[str] | None):
    from manim import tempconfig
    import scenes
    from mathcore import Config, build_example
    examples = {"default": build_example(Config()), "twelve-tokens": build_example(Config(**TWELVE))}
    data = {}
    with tempfile.TemporaryDirectory() as media:
        for name, ex in examples.items():
            for ch in scenes.available_chapters():
                if chapters and str(ch.number) not in chapters:
                    continue
                opts = {"dry_run": True, "pixel_width": 854, "pixel_height": 480, "frame_rate": 15,
                        "media_dir": media, "verbosity": "ERROR", "progress_bar": "none", "disable_caching": True}
                with tempconfig(opts):
                    scene = ch.load()(example=ex)
                    scene.render()
                data[f"{name}/{ch.slug}"] = {"duration": scene.renderer.time,
                                             "steps": [[e["id"], e["start"], e["end"]] for e in scene.timeline]}
                print(f"{name:<14} {ch.slug:<24} {scene.renderer.time:7.2f} s  {len(scene.timeline)} steps",
                      flush=True)
    out.write_text(json.dumps(data, indent=1))


def compare(before: Path, after: Path, frame: float) -> int:
    a, b = json.loads(before.read_text()), json.loads(after.read_text())
    bad = 0
    for key in sorted(set(a) | set(b)):
        if key not in a or key not in b:
            print(f"{key}: only in {'after' if key in b else 'before'}")
            bad += 1
            continue
        ids_a = [s[0] for s in a[key]["steps"]]
        ids_b = [s[0] for s in b[key]["steps"]]
        dd = b[key]["duration"] - a[key]["duration"]
        ok = ids_a == ids_b and abs(dd) <= frame + 1e-9
        print(f"{'ok ' if ok else 'BAD'} {key:<40} duration {a[key]['duration']:7.2f} -> {b[key]['duration']:7.2f}"
              f" ({dd:+.3f} s){'' if ids_a == ids_b else '  step ids differ'}")
        bad += not ok
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("dump")
    d.add_argument("out", type=Path)
    d.add_argument("--chapters", help="comma-separated chapter numbers (default: all)")
    c = sub.add_parser("compare")
    c.add_argument("before", type=Path)
    c.add_argument("after", type=Path)
    c.add_argument("--frame", type=float, default=1 / 15, help="tolerance in seconds (one frame at 15 fps)")
    args = ap.parse_args()
    if args.cmd == "dump":
        dump(args.out, args.chapters.split(",") if args.chapters else None)
    else:
        sys.exit(compare(args.before, args.after, args.frame))


if __name__ == "__main__":
    main()
