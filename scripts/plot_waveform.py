#!/usr/bin/env python3
"""Look at what you cannot listen to: a chapter video's sound as a waveform PNG, with each step's start
(green) and end (red) and its voice clip's end (yellow) drawn over it, and the loudness printed.

Usage: .venv/bin/python scripts/plot_waveform.py RUN_FOLDER CHAPTER_SLUG [-o out.png]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from narration import audio as sound  # noqa: E402
from pipeline.assemble import video_duration  # noqa: E402


def plot(video: Path, steps: list[dict], out: Path, width: int = 1800, height: int = 420):
    audio, rate = sound.read_audio(video)
    duration = video_duration(video)
    img = Image.new("RGB", (width, height), "#0f1117")
    d = ImageDraw.Draw(img)
    mid, amp = height // 2, height * 0.42
    per = max(1, audio.size // width)
    for x in range(min(width, audio.size // per)):
        seg = audio[x * per:(x + 1) * per]
        d.line([(x, mid - seg.max() * amp), (x, mid - seg.min() * amp)], fill="#7fb7ff")

    def X(t):
        return int(t / duration * (width - 1))

    font = ImageFont.load_default()
    for i, st in enumerate(steps):
        d.line([(X(st["start"]), 0), (X(st["start"]), height)], fill="#6fd08c", width=2)
        d.line([(X(st["end"]), 0), (X(st["end"]), height)], fill="#e0505a", width=1)
        if st.get("clip"):
            t = st["start"] + st["clip"]["duration"]
            d.line([(X(t), 20), (X(t), height - 20)], fill="#f2c14e", width=1)
        d.text((X(st["start"]) + 3, 4 + 12 * (i % 3)), st["id"], fill="#e8e8ee", font=font)
    img.save(out)
    lufs = sound.integrated_loudness(audio.astype(float), rate)
    peak = sound.true_peak_db(audio.astype(float), rate)
    print(f"{video.name}: {audio.size / rate:.2f} s of sound for {duration:.2f} s of video, "
          f"{lufs:.1f} LUFS integrated, true peak {peak:.1f} dBTP -> {out}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run", type=Path)
    ap.add_argument("chapter")
    ap.add_argument("-o", "--out", type=Path)
    args = ap.parse_args()
    video = next(args.run.glob(f"{args.chapter}.*[4mv]"))   # .mp4, .mov or .webm
    steps = json.loads((args.run / f"{args.chapter}.steps.json").read_text())["steps"]
    plot(video, steps, args.out or args.run / f"{args.chapter}.waveform.png")


if __name__ == "__main__":
    main()
