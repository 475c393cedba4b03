"""A short end to end: one topic of the example as a vertical (9:16) narrated video with captions burned in,
its .srt and .vtt, and a 1080x1920 cover, in the example's run folder.

Like a chapter, a short renders in its own process (Manim's config is process-wide): `python -m
pipeline.shorts --topic … --example … --quality … --media-dir …`, started by render_short. The process
renders scenes/shorts/<topic>.py with a portrait config (scenes.shorts.base.portrait_options) and prints one
JSON line; render_short then moves the video, the cover and the captions into place (os.replace, so nothing
half-written is ever under a final name).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from mathcore import Example
from mathcore.files import write_atomic
from pipeline.errors import RenderError

QUALITIES = ("l", "h", "k")     # 540x960 (draft), 1080x1920 (default), 2160x3840; all at 30 fps


class ShortError(RenderError):
    """A short that cannot be rendered: the message is one sentence."""


@dataclass(frozen=True)
class ShortSettings:
    quality: str = "h"
    theme: str = "dark"
    voice: str | None = "joe"
    voice_rate: float = 1.0
    verbose: bool = False

    def tag(self) -> str:
        """The look's folder name, beside the course's looks: e.g. short-1080x1920-dark, …-silent."""
        from scenes.shorts.base import SIZES
        w, h = SIZES[self.quality]
        parts = [f"short-{w}x{h}", self.theme]
        if self.voice is None:
            parts.append("silent")
        elif self.voice != "joe" or self.voice_rate != 1.0:
            parts.append(f"{self.voice}{self.voice_rate:g}x")
        return "-".join(parts)


def check_settings(s: ShortSettings):
    if s.quality not in QUALITIES:
        raise ShortError(f"Unknown quality '{s.quality}' for a short: use l (540x960), h (1080x1920) or k (2160x3840).")
    if s.voice is not None:
        from narration.voice import VoiceError, check_voice
        try:
            check_voice(s.voice, s.voice_rate)
        except VoiceError as e:
            raise ShortError(str(e)) from None


def short_folder(ex: Example, settings: ShortSettings) -> Path:
    """media/runs/<sentence>-<hash>/<look>/: the folder rule of `video`, with the short's look."""
    from pipeline.runfolder import example_folder
    return example_folder(ex) / settings.tag()


def worker_command(topic: str, example_path: Path, settings: ShortSettings, media_dir: Path) -> list[str]:
    return [sys.executable, "-m", "pipeline.shorts", "--topic", topic, "--example", str(example_path),
            "--quality", settings.quality, "--theme", settings.theme, "--voice", settings.voice or "",
            "--voice-rate", str(settings.voice_rate), "--media-dir", str(media_dir)] + (
        ["--verbose"] if settings.verbose else [])


def render_short(ex: Example, topic: str, folder: Path, settings: ShortSettings) -> dict:
    """Render one topic into folder: short-<topic>.mp4, .srt, .vtt, .cover.png (1080x1920) and
    .steps.json. Returns their paths, the duration and the render time."""
    from pipeline import runctl
    from pipeline.worker import worker_env
    from scenes.shorts import get_topic
    t = get_topic(topic)
    check_settings(settings)
    t0 = time.perf_counter()
    write_atomic(folder / "example.json", ex.to_json())
    work = folder / ".work" / t.slug
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    log = work.parent / f"{t.slug}.log"
    cmd = worker_command(topic, folder / "example.json", settings, work)
    with open(log, "w") as fh:
        proc = runctl.spawn(cmd, stdout=subprocess.PIPE, stderr=fh, text=True, env=worker_env())
    try:
        out, _ = proc.communicate()
    except BaseException as e:   # Ctrl-C, SIGTERM: the render stops with the command
        runctl.stop([proc], first=getattr(e, "signum", None))
        raise
    if proc.returncode != 0:
        if runctl.disk_full(log):
            shutil.rmtree(work, ignore_errors=True)
            raise ShortError(f"The disk is full: the short '{topic}' could not be written in {folder}. Free some "
                             "space (or choose another --out), then rerun the same command.")
        raise ShortError(f"The short '{topic}' failed to render; see its log, {log}.")
    info = json.loads(out.strip().splitlines()[-1])
    result = land(folder, t.slug, Path(info["video"]), info["duration"], time.perf_counter() - t0)
    shutil.rmtree(work, ignore_errors=True)
    _remove_if_empty(work.parent)
    return result


def _remove_if_empty(path: Path):
    try:
        path.rmdir()
    except OSError:
        pass


def land(folder: Path, slug: str, movie: Path, duration: float, seconds: float) -> dict:
    """Captions from the steps' cues (the ones burned in), then the files into place, the video last."""
    from narration import captions
    steps_file = movie.with_suffix(".steps.json")
    data = json.loads(steps_file.read_text())
    cues = [captions.Cue(c["start"], c["end"], tuple(c["lines"])) for st in data["steps"] for c in st.get("cues", [])]
    data["render_seconds"] = round(seconds, 2)
    write_atomic(folder / f"{slug}.srt", captions.to_srt(cues))
    write_atomic(folder / f"{slug}.vtt", captions.to_vtt(cues))
    write_atomic(folder / f"{slug}.steps.json", json.dumps(data, indent=1, ensure_ascii=False))
    cover = movie.with_suffix(".cover.png")
    out = {"video": folder / f"{slug}.mp4", "srt": folder / f"{slug}.srt", "vtt": folder / f"{slug}.vtt",
           "steps": folder / f"{slug}.steps.json", "duration": duration, "render_seconds": seconds}
    if cover.exists():
        os.replace(cover, folder / f"{slug}.cover.png")
        out["cover"] = folder / f"{slug}.cover.png"
    os.replace(movie, out["video"])
    return out


# ---------------------------------------------------------------- the process

def worker(topic: str, example_path: str, settings: ShortSettings, media_dir: str):
    from manim import tempconfig
    from pipeline.settings import X264_OPTIONS
    from scenes.shorts import get_topic
    from scenes.shorts.base import portrait_options
    from scenes.theme import get_theme
    t = get_topic(topic)
    ex = Example.load(example_path)
    opts = {"media_dir": media_dir, "output_file": t.slug, "disable_caching": True,
            "verbosity": "INFO" if settings.verbose else "ERROR",
            "progress_bar": "display" if settings.verbose else "none",
            "format": "mp4", "video_encoder_options": X264_OPTIONS, **portrait_options(settings.quality)}
    narrator = None
    if settings.voice:
        from narration.voice import Narrator
        narrator = Narrator(settings.voice, settings.voice_rate)
    with tempconfig(opts):
        scene = t.load()(example=ex, theme=get_theme(settings.theme), narrator=narrator)
        scene.render()
        print(json.dumps({"video": str(scene.renderer.file_writer.final_file_path), "duration": scene.renderer.time}))


def main(argv: list[str] | None = None):
    ap = argparse.ArgumentParser(prog="python -m pipeline.shorts", description=__doc__.splitlines()[0])
    ap.add_argument("--topic", required=True)
    ap.add_argument("--example", required=True)
    ap.add_argument("--quality", default="h", choices=QUALITIES)
    ap.add_argument("--theme", default="dark")
    ap.add_argument("--voice", default="joe", help="'' for a silent short")
    ap.add_argument("--voice-rate", type=float, default=1.0)
    ap.add_argument("--media-dir", required=True)
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args(argv)
    worker(a.topic, a.example, ShortSettings(a.quality, a.theme, a.voice or None, a.voice_rate, a.verbose), a.media_dir)


if __name__ == "__main__":
    main()
