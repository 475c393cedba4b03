"""One chapter in one process: Manim's config is process-wide, so every renderer (video, stills, post,
bench, batch) starts each chapter as `python -m pipeline.worker --chapter … --settings <RenderSettings as
JSON> …` (worker_command builds the line). It prints one JSON line saying where the files are.

Signals keep their defaults here: the command that started this process stops it (pipeline.runctl.stop)."""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from pathlib import Path

import numpy as np

from mathcore import Example
from pipeline.settings import DRAFT, QUALITIES, ROOT, X264_OPTIONS, RenderSettings
from publish.thumbnail import THUMB_SIZE, THUMBNAIL_MOMENT


def worker_command(chapter: str, example_path: Path, settings: RenderSettings, media_dir: Path,
                   stills_dir: Path | None = None, at: set[str] | None = None,
                   next_chapter: int | None = None) -> list[str]:
    """The command line of one chapter's process: the one way every renderer starts a chapter.
    next_chapter: the number of the chapter that follows it in the run (its closing line may announce it).
    Run it with worker_env(), which puts the repository on the process's import path whatever its cwd."""
    cmd = [sys.executable, "-m", "pipeline.worker", "--chapter", chapter, "--example", str(example_path),
           "--settings", json.dumps(dataclasses.asdict(settings)), "--media-dir", str(media_dir)]
    if next_chapter is not None:
        cmd += ["--next-chapter", str(next_chapter)]
    if stills_dir is not None:
        cmd += ["--stills-dir", str(stills_dir), "--at", ",".join(sorted(at or ()))]
    return cmd


def worker_env(**extra) -> dict[str, str]:
    """The environment of a chapter process: this one's, unbuffered, with the repository first on
    PYTHONPATH (a batch task runs in a temporary folder)."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return dict(os.environ, PYTHONUNBUFFERED="1", PYTHONPATH=path, **extra)


def _manim_options(settings: RenderSettings, media_dir: str, slug: str) -> dict:
    opts = {"media_dir": media_dir, "output_file": slug, "disable_caching": True,
            "verbosity": "INFO" if settings.verbose else "ERROR",
            "progress_bar": "display" if settings.verbose else "none",
            "transparent": settings.transparent}
    if settings.quality == "draft":
        opts.update(DRAFT)
    else:
        opts["quality"] = QUALITIES[settings.quality]
    if settings.fps:
        opts["frame_rate"] = settings.fps
    if settings.fmt != "png":
        opts["format"] = settings.fmt
    if settings.fmt in ("mp4", "mov") and not settings.transparent:
        opts["video_encoder_options"] = X264_OPTIONS
    return opts


def render(chapter_key: str, example_path: str, settings: RenderSettings, media_dir: str,
           stills_dir: str | None, at: str, next_chapter: int | None = None):
    """Render one chapter (video, or stills when stills_dir is given) and print where the files are."""
    from manim import tempconfig
    import scenes
    from scenes.base import StillsRequest
    from scenes.theme import get_theme

    if chapter_key == "floor":
        from scenes.floor import FloorScene
        with tempconfig(_manim_options(settings, media_dir, "floor")):
            scene = FloorScene()
            scene.render()
            print(json.dumps({"video": str(scene.renderer.file_writer.final_file_path), "duration": scene.renderer.time}))
        return
    ch = scenes.get_chapter(chapter_key)
    ex = Example.load(example_path)
    opts = _manim_options(settings, media_dir, ch.slug)
    if stills_dir:
        opts["dry_run"] = True
    narrator = None
    if settings.voice and not stills_dir:
        from narration import voice
        narrator = voice.Narrator(settings.voice, settings.voice_rate)
    with tempconfig(opts):
        from manim import config
        stills = StillsRequest(stills_dir, set(at.split(",")) if at else None) if stills_dir else None
        cls = ch.load()
        if settings.check:   # the layout audit looks at every moment of this very render (a few % more time)
            from scenes import audit
            cls = audit.audited(cls, audit.Recorder(config.pixel_height, ch.slug), tolerant=True)
        scene = cls(example=ex, theme=get_theme(settings.theme), stills=stills,
                    model=settings.model, narrator=narrator, next_chapter=next_chapter)
        frames = ThumbnailFrames(scene) if not stills_dir and settings.fmt != "gif" else None
        scene.render()
        layout = (audit.report_summary(scene.audit_report, config.pixel_height) if settings.check else None)
        if stills_dir:
            print(json.dumps({"stills": [str(p) for p in scene.saved_stills], "steps": scene.timeline,
                              "key_moments": scene.key_moments, "layout": layout}))
        else:
            movie = Path(scene.renderer.file_writer.final_file_path)
            if frames is not None:
                frames.save(scene, movie)
            if layout is not None:   # kept with the chapter (and its cache) in its steps.json
                steps = movie.with_suffix(".steps.json")
                steps.write_text(json.dumps({**json.loads(steps.read_text()), "layout": layout}, indent=1,
                                            ensure_ascii=False))
            print(json.dumps({"video": str(movie), "duration": scene.renderer.time}))


class ThumbnailFrames:
    """The thumbnails' pictures, drawn at 1280x720 whatever the video's quality (a 480p frame scaled up is
    soft), at key moments: the end state of a step, never mid-fade. Saved beside the movie as
    <movie>.thumbframe.png (the chapter's: its step 3/5 of the way through) and, for the chapter that
    holds THUMBNAIL_MOMENT, <movie>.thumbframe-main.png (the course's)."""

    def __init__(self, scene):
        self.frames: dict[str, "np.ndarray"] = {}
        draw_moment = scene.key_moment

        def key_moment(step_id: str):   # wraps the scene's own: the scene draws, then we draw our copy
            draw_moment(step_id)
            self.frames[step_id] = self.draw(scene)
        scene.key_moment = key_moment

    @staticmethod
    def draw(scene) -> "np.ndarray":
        from manim import Camera, config
        w, h = THUMB_SIZE
        cam = Camera(pixel_width=w, pixel_height=h, frame_width=config.frame_width,
                     frame_height=config.frame_height, background_color=scene.camera.background_color,
                     background_opacity=1)
        cam.capture_mobjects(scene.mobjects)
        return np.array(cam.pixel_array)

    @staticmethod
    def chapter_moment(steps: list[dict], moments) -> str | None:
        ids = [st["id"] for st in steps if st["id"] in moments]
        return ids[len(ids) * 3 // 5] if ids else None

    def save(self, scene, movie: Path):
        from PIL import Image
        choices = {".thumbframe.png": self.chapter_moment(scene.timeline, self.frames)}
        if scene.slug == THUMBNAIL_MOMENT[0]:
            choices[".thumbframe-main.png"] = THUMBNAIL_MOMENT[1]
        for suffix, moment in choices.items():
            if moment in self.frames:
                Image.fromarray(self.frames[moment]).convert("RGB").save(movie.with_suffix(suffix))



def main(argv: list[str] | None = None):
    ap = argparse.ArgumentParser(prog="python -m pipeline.worker", description=__doc__.splitlines()[0])
    ap.add_argument("--chapter", required=True, help="number, slug or module of the chapter (or 'floor')")
    ap.add_argument("--example", required=True, help="path of the example.json to draw")
    ap.add_argument("--settings", required=True, help="pipeline.settings.RenderSettings as JSON")
    ap.add_argument("--media-dir", required=True, help="Manim's media folder for this chapter")
    ap.add_argument("--stills-dir", help="write stills of the key moments here instead of a video")
    ap.add_argument("--at", default="", help="comma-separated step ids of the stills (default: all)")
    ap.add_argument("--next-chapter", type=int, help="the chapter that follows in the run (announced at the end)")
    args = ap.parse_args(argv)
    settings = RenderSettings(**json.loads(args.settings))
    render(args.chapter, args.example, settings, args.media_dir, args.stills_dir, args.at, args.next_chapter)


if __name__ == "__main__":
    main()
