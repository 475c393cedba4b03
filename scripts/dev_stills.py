"""Developer aid: render the key-moment stills of one chapter without a video.

    python scripts/dev_stills.py 2 [--theme light] [--example path.json] [--out media/dev-stills]
"""
import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from manim import tempconfig  # noqa: E402

from mathcore import Example  # noqa: E402
from scenes import get_chapter  # noqa: E402
from scenes.base import StillsRequest, load_example  # noqa: E402
from scenes.theme import get_theme  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("chapter")
ap.add_argument("--theme", default="dark")
ap.add_argument("--example")
ap.add_argument("--out", default="media/dev-stills")
ap.add_argument("--at", default=None)
ap.add_argument("--model", default=None, help="model preset of the scale chapters (11-12)")
a = ap.parse_args()
ch = get_chapter(a.chapter)
ex = Example.load(a.example) if a.example else load_example()
with tempconfig({"pixel_width": 854, "pixel_height": 480, "frame_rate": 15, "skip_animations": True,
                 "write_to_movie": False, "disable_caching": True, "verbosity": "WARNING",
                 "media_dir": f"media/dev-tmp/{os.getpid()}"}):
    scene = ch.load()(example=ex, theme=get_theme(a.theme),
                      stills=StillsRequest(a.out, set(a.at.split(",")) if a.at else None),
                      **({"model": a.model} if a.model else {}))
    scene.render()
    for p in scene.saved_stills:
        print(p)
    print("duration", round(scene.renderer.time, 1))
