"""Rendering a course: one process per chapter, cached by content, assembled into a run folder.

Orchestration only: no math (mathcore) and no drawing (scenes). Nothing appears under its final name
until it is complete: workers render into <run>/.work/ and files are moved into place with os.replace,
the chapter's cache key last, so an interrupted run re-renders exactly the chapters that did not finish.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import click
import numpy as np

import exports
import publish
import runctl
from mathcore import Example

ROOT = Path(__file__).resolve().parent
QUALITIES = {  # Manim's presets, plus a tiny draft for tests and quick looks: the one quality table
    "l": "low_quality", "m": "medium_quality", "h": "high_quality", "p": "production_quality",
    "k": "fourk_quality", "draft": None,
}
FRAME_RATES = {"l": 15, "m": 30, "h": 60, "p": 60, "k": 60, "draft": 5}
DRAFT = {"pixel_width": 256, "pixel_height": 144, "frame_rate": FRAME_RATES["draft"]}
FORMATS = ("mp4", "webm", "gif", "mov")
# x264 for mp4 and mov: the "veryfast" preset at CRF 21 measured the same PSNR as Manim's default (medium,
# CRF 23) on our frames, 4 % larger, with a third less encoding time
X264_OPTIONS = {"preset": "veryfast", "crf": "21"}


def example_folder(ex: Example) -> Path:
    """media/runs/<sentence>-<hash>: one per example (the hash covers every option and number)."""
    digest = hashlib.sha256(ex.to_json().encode()).hexdigest()[:8]
    return Path("media") / "runs" / f"{exports.slugify(ex.config.source)}-{digest}"


def code_version() -> str:
    """Changes whenever the drawing, the math, the timing or the voice changes, so cached renders are redone."""
    h = hashlib.sha256()
    for p in sorted([*ROOT.glob("scenes/**/*.py"), *ROOT.glob("mathcore/*.py"), ROOT / "captions.py",
                     ROOT / "voice.py"]):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


@dataclass(frozen=True)
class RenderSettings:
    quality: str = "l"
    fps: int | None = None
    theme: str = "dark"
    transparent: bool = False
    fmt: str = "mp4"
    verbose: bool = False
    code: str = ""          # version of the drawing code: part of the cache key
    model: str = "gpt3-175b"  # the preset the scale chapters describe
    voice: str | None = "joe"  # the narrating voice (voice.VOICES), or None for a silent course
    voice_rate: float = 1.0    # speaking speed: 2 is twice as fast

    def tag(self) -> str:
        """The run's sub-folder name: what makes two renders of the same sentence differ on disk, so a
        draft and a 1080p60 render (or dark and light) can run at once and both be kept."""
        if self.quality == "draft":
            size, fps = "draft", None
        else:
            size, fps = {"l": (480, 15), "m": (720, 30), "h": (1080, 60), "p": (1440, 60), "k": (2160, 60)}[self.quality]
            size = f"{size}p{self.fps or fps}"
        parts = [size if self.quality != "draft" or not self.fps else f"draft{self.fps}", self.theme]
        if self.transparent:
            parts.append("transparent")
        if self.fmt not in ("mp4", "png"):
            parts.append(self.fmt)
        if self.model != RenderSettings.model:
            parts.append(self.model)
        if self.fmt != "png":   # stills are silent whatever the voice
            if self.voice is None:
                parts.append("silent")
            elif self.voice != RenderSettings.voice or self.voice_rate != 1.0:
                parts.append(f"{self.voice}{self.voice_rate:g}x")
        return "-".join(parts)

    def key(self, example_json: str, slug: str) -> str:
        s = dataclasses.asdict(self)
        s.pop("verbose")
        blob = json.dumps(s, sort_keys=True) + slug + example_json
        return hashlib.sha256(blob.encode()).hexdigest()[:20]


# ---------------------------------------------------------------- one chapter in one process

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


def worker_command(chapter: str, example_path: Path, settings: RenderSettings, media_dir: Path,
                   stills_dir: Path | None = None, at: set[str] | None = None,
                   next_chapter: int | None = None) -> list[str]:
    """The command line of one chapter's process (worker.py): the one way every renderer starts a chapter.
    next_chapter: the number of the chapter that follows it in the run (its closing line may announce it)."""
    cmd = [sys.executable, str(ROOT / "worker.py"), "--chapter", chapter, "--example", str(example_path),
           "--settings", json.dumps(dataclasses.asdict(settings)), "--media-dir", str(media_dir)]
    if next_chapter is not None:
        cmd += ["--next-chapter", str(next_chapter)]
    if stills_dir is not None:
        cmd += ["--stills-dir", str(stills_dir), "--at", ",".join(sorted(at or ()))]
    return cmd


def worker(chapter_key: str, example_path: str, settings: RenderSettings, media_dir: str,
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
        import voice
        narrator = voice.Narrator(settings.voice, settings.voice_rate)
    with tempconfig(opts):
        stills = StillsRequest(stills_dir, set(at.split(",")) if at else None) if stills_dir else None
        scene = ch.load()(example=ex, theme=get_theme(settings.theme), stills=stills,
                          model=settings.model, narrator=narrator, next_chapter=next_chapter)
        frames = ThumbnailFrames(scene) if not stills_dir and settings.fmt != "gif" else None
        scene.render()
        if stills_dir:
            print(json.dumps({"stills": [str(p) for p in scene.saved_stills], "steps": scene.timeline,
                              "key_moments": scene.key_moments}))
        else:
            movie = Path(scene.renderer.file_writer.final_file_path)
            if frames is not None:
                frames.save(scene, movie)
            print(json.dumps({"video": str(movie), "duration": scene.renderer.time}))


THUMBNAIL_MOMENT = ("ch04-self-attention", "encoder.0.self_attn.head1.weights")   # the course's thumbnail


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
        w, h = exports.THUMB_SIZE
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


def _spawn(ch, example_path: Path, settings: RenderSettings, media_dir: Path, log: Path,
           stills_dir: Path | None = None, at: set[str] | None = None,
           next_chapter: int | None = None) -> subprocess.Popen:
    cmd = worker_command(ch.slug, example_path, settings, media_dir, stills_dir, at, next_chapter)
    shutil.rmtree(media_dir, ignore_errors=True)   # what a killed run left half-done is not this render's
    log.parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    with open(log, "w") as fh:   # the worker writes to its own copy of the descriptor
        proc = runctl.spawn(cmd, stdout=subprocess.PIPE, stderr=fh, text=True, cwd=ROOT, env=env)
    proc.log, proc.media_dir = log, media_dir
    return proc


def _run_all(jobs_list: list[tuple], jobs: int, verbose: bool, on_done=None) -> dict:
    """Run (chapter, start-callable) jobs at most `jobs` at a time, with one progress line per chapter.

    on_done(ch, info), if given, runs as soon as a chapter succeeds (to move its files into place, so a stop
    or a sibling's failure keeps it). Whatever ends the loop early (Ctrl-C, SIGTERM, an error) stops the
    workers still running, and their process groups, before it propagates (runctl.stop)."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = Console()
    if not console.is_terminal:   # a log file or CI: rich assumes 80 columns and would cut off time and status
        console = Console(width=max(console.width, 120))
    results, failures = {}, []
    pending = sorted(jobs_list, key=lambda job: -job[0].cost)   # the longest start first
    running: dict = {}
    columns = (SpinnerColumn(), TextColumn("{task.description:<44}"), BarColumn(bar_width=24), TimeElapsedColumn(),
               TextColumn("{task.fields[status]}"))
    with runctl.signals_deferred(), Progress(*columns, transient=False, console=console) as progress:
        tasks = {ch.slug: progress.add_task(f"{ch.number:>2} {ch.title}", total=1, status="waiting", start=False)
                 for ch, _ in jobs_list}
        try:
            while pending or running:
                runctl.check_stop()   # the one place a SIGINT or SIGTERM raises (see runctl.signals_deferred)
                while pending and len(running) < jobs:
                    ch, start = pending.pop(0)
                    progress.start_task(tasks[ch.slug])
                    progress.update(tasks[ch.slug], status="rendering", total=None)
                    running[ch.slug] = (ch, start(), time.time())
                for slug, (ch, proc, t0) in list(running.items()):
                    if proc.poll() is None:
                        continue
                    out = proc.stdout.read() if proc.stdout else ""
                    del running[slug]
                    if proc.returncode != 0:
                        failures.append((ch, proc))
                        progress.update(tasks[slug], total=1, completed=0, status="[red]failed")
                        continue
                    info = json.loads(out.strip().splitlines()[-1])
                    info["render_seconds"] = time.time() - t0
                    results[slug] = info
                    if on_done is not None:
                        on_done(ch, info)
                    status = (f"{info['duration']:.1f} s of video" if "duration" in info
                              else f"{len(info.get('stills', []))} stills")
                    progress.update(tasks[slug], total=1, completed=1, status=f"done: {status}")
                time.sleep(0.2)
        except BaseException as e:
            runctl.stop([proc for _, proc, _ in running.values()], first=getattr(e, "signum", None))
            raise
    if failures:
        names = ", ".join(f"{c.number} ({c.title})" for c, _ in failures)
        full = [proc for _, proc in failures if runctl.disk_full(getattr(proc, "log", None))]
        for proc in full:   # its half-written frames would only hold on to the space a rerun needs
            shutil.rmtree(proc.media_dir, ignore_errors=True)
        if full:
            raise click.ClickException(f"The disk is full: chapter {names} could not be written in "
                                       f"{full[0].log.parent.parent}. Free some space (or choose another --out), "
                                       "then rerun the same command; finished chapters are kept.")
        raise click.ClickException(f"Chapter {names} failed to render; see the log in the run folder's .work/ "
                                   "(or rerun with -v).")
    return results


# ---------------------------------------------------------------- the course

def render_course(ex: Example, chapters: list, folder: Path, settings: RenderSettings, jobs: int,
                  force: bool = False) -> Path:
    t0 = time.time()
    example_json = ex.to_json()
    exports.write_atomic(folder / "example.json", example_json)
    work = folder / ".work"
    ext = settings.fmt
    todo = []
    follows = following_chapters(chapters)
    for ch in chapters:
        key = chapter_key(settings, example_json, ch.slug, follows[ch.slug])
        key_file = folder / f".{ch.slug}.key"
        done = (folder / f"{ch.slug}.{ext}").exists() and (folder / f"{ch.slug}.steps.json").exists()
        if not force and done and key_file.exists() and key_file.read_text() == key:
            continue
        key_file.unlink(missing_ok=True)
        media = work / f"{ch.slug}-{key[:8]}"
        todo.append((ch, key, media))

    def starter(ch, media):
        return lambda: _spawn(ch, folder / "example.json", settings, media, work / f"{ch.slug}.log",
                              next_chapter=follows[ch.slug])

    where = {ch.slug: (key, media) for ch, key, media in todo}

    def land(ch, info):   # in place the moment it finishes, so a stop or a sibling's failure keeps it
        key, media = where[ch.slug]
        land_chapter(folder, ch.slug, ext, key, Path(info["video"]),
                     {"render_seconds": round(info["render_seconds"], 1), "render_jobs": min(jobs, len(todo))})
        shutil.rmtree(media, ignore_errors=True)

    if todo:
        _run_all([(ch, starter(ch, media)) for ch, _, media in todo], jobs, settings.verbose, on_done=land)
    else:
        click.echo("Every chapter is up to date; nothing to render.")
    _remove_if_empty(work)
    return assemble(ex, chapters, folder, settings, wall_seconds=(time.time() - t0) if todo else None)


def chapter_key(settings: RenderSettings, example_json: str, slug: str, next_chapter: int | None) -> str:
    """A chapter's cache key: its look, its example, and whether its closing line announces the next."""
    return settings.key(example_json, slug + (f"+{next_chapter}" if next_chapter else ""))


def following_chapters(chapters: list) -> dict[str, int | None]:
    """For each chapter of a run, the number of the next chapter when the run goes on to it (its closing
    line may then announce it), else None."""
    numbers = {ch.number for ch in chapters}
    return {ch.slug: ch.number + 1 if ch.number + 1 in numbers else None for ch in chapters}


def land_chapter(folder: Path, slug: str, ext: str, key: str, movie: Path, extra: dict | None = None):
    """Move a rendered chapter (its video and steps.json, beside each other) into the run folder, then write
    its cache key, last: a chapter counts as finished only once its key is there."""
    steps_file = movie.with_suffix(".steps.json")
    if extra and steps_file.exists():    # e.g. how long it took, for `list` and the README's speed table
        data = json.loads(steps_file.read_text())
        data.update(extra)
        exports.write_atomic(steps_file, json.dumps(data, indent=1, ensure_ascii=False))
    frames = [(movie.with_suffix(s), f".{slug}{s}") for s in (".thumbframe.png", ".thumbframe-main.png")]
    for src, dst in (*frames, (steps_file, f"{slug}.steps.json"), (movie, f"{slug}.{ext}")):
        if src.exists():
            os.replace(src, folder / dst)
    exports.write_atomic(folder / f".{slug}.key", key)


def _remove_if_empty(folder: Path):
    try:
        folder.rmdir()
    except OSError:
        pass


def assemble(ex: Example, chapters: list, folder: Path, settings: RenderSettings,
             wall_seconds: float | None = None) -> Path:
    """Join the chapter videos (and their sound) and write, for the course and for each chapter, what a
    creator uploads: captions (.srt, .vtt), chapters.txt, description.txt, thumbnails, narration.md,
    course.json and manifest.json."""
    ext = settings.fmt
    course_chapters, t, durations = [], 0.0, {}
    for ch in chapters:
        video = folder / f"{ch.slug}.{ext}"
        steps = json.loads((folder / f"{ch.slug}.steps.json").read_text())
        dur = exports.video_duration(video) if ext != "gif" else steps["duration"]
        durations[video.name] = dur
        course_chapters.append({"number": ch.number, "slug": ch.slug, "title": ch.title, "start": t,
                                "duration": dur, "steps": steps["steps"], "key_moments": steps["key_moments"],
                                "render_seconds": steps.get("render_seconds"),
                                "render_jobs": steps.get("render_jobs")})
        t += dur
    course_video = folder / f"course.{ext}"
    if ext == "gif":
        course_video = folder / f"{chapters[0].slug}.gif"   # GIFs are not joined; each chapter stands alone
    else:   # the thumbnails (from the chapter videos) are drawn on the other core while the join runs
        with ThreadPoolExecutor(1) as pool:
            thumbnails = pool.submit(_write_thumbnails, folder, course_chapters, settings)
            exports.join_videos([folder / f"{ch.slug}.{ext}" for ch in chapters], course_video)
            thumbnails.result()
        durations[course_video.name] = exports.video_duration(course_video)
    _write_captions(folder, course_chapters)
    exports.write_atomic(folder / "chapters.txt", exports.chapters_txt(course_chapters))
    exports.write_atomic(folder / "description.txt",
                         exports.description_txt(course_chapters, ex, t, settings.voice))
    exports.write_atomic(folder / "narration.md", exports.narration_md(course_chapters, ex))
    exports.write_atomic(folder / "course.json", json.dumps(
        {"voice": settings.voice, "voice_rate": settings.voice_rate if settings.voice else None,
         "duration": round(t, 3), "render_wall_seconds": None if wall_seconds is None else round(wall_seconds, 1),
         "look": settings.tag(),
         "settings": {k: v for k, v in dataclasses.asdict(settings).items() if k not in ("verbose", "code")},
         "chapters": [{k: c[k] for k in ("number", "slug", "title", "start", "duration", "render_seconds",
                                         "render_jobs")} for c in course_chapters]},
        indent=1, ensure_ascii=False) + "\n")
    if ext in publish.VIDEO_EXTS:   # index.html: the course as a web page (a GIF run has no <video> to play)
        try:
            publish.write_page(folder)
        except publish.PageError as e:
            raise click.ClickException(str(e)) from None
    exports.write_atomic(folder / "manifest.json", exports.manifest(folder, durations))
    return course_video


def _write_captions(folder: Path, course_chapters: list[dict]):
    """<chapter>.srt/.vtt (times from the chapter's start) and course.srt/.vtt (from the course's)."""
    import captions
    for c in course_chapters:
        cues = exports.chapter_captions(c)
        exports.write_atomic(folder / f"{c['slug']}.srt", captions.to_srt(cues))
        exports.write_atomic(folder / f"{c['slug']}.vtt", captions.to_vtt(cues))
    cues = exports.course_captions(course_chapters)
    exports.write_atomic(folder / "course.srt", captions.to_srt(cues))
    exports.write_atomic(folder / "course.vtt", captions.to_vtt(cues))


def _write_thumbnails(folder: Path, course_chapters: list[dict], settings: RenderSettings):
    """thumbnail.png (chapter 4's attention weights, else the middle chapter's picture) and one
    <chapter>.thumbnail.png per chapter, from the 1280x720 frames the chapters drew (ThumbnailFrames)."""
    from PIL import Image
    from scenes.theme import get_theme
    theme = get_theme(settings.theme)

    def frame(slug: str, suffix: str = ".thumbframe.png"):
        path = folder / f".{slug}{suffix}"
        return Image.open(path) if path.exists() else None

    for c in course_chapters:
        pic = frame(c["slug"])
        if pic is None:
            continue    # rendered before thumbnails were drawn as stills: rerender with --force for one
        png = exports.thumbnail_png(pic, c["title"], f"Chapter {c['number']} · {exports.COURSE_TITLE}",
                                    theme.background, theme.highlight)
        exports.write_atomic(folder / f"{c['slug']}.thumbnail.png", png)
    by_slug = {c["slug"]: c for c in course_chapters}
    slug, _ = THUMBNAIL_MOMENT
    main = by_slug.get(slug)
    pic = frame(slug, ".thumbframe-main.png") if main else None
    if pic is None:
        main = course_chapters[len(course_chapters) // 2]
        pic = frame(main["slug"])
    if pic is None:
        return
    kicker = ("Attention, with every number real" if main["slug"] == slug else
              f"Chapter {main['number']}: {main['title']}, with every number real")
    png = exports.thumbnail_png(pic, exports.COURSE_TITLE, kicker, theme.background, theme.highlight)
    exports.write_atomic(folder / "thumbnail.png", png)


# ---------------------------------------------------------------- stills and the blog post

def render_stills(ex: Example, chapters: list, stills_dir: Path, settings: RenderSettings,
                  at: set[str] | None, jobs: int) -> tuple[list[Path], dict]:
    folder = stills_dir.parent
    exports.write_atomic(folder / "example.json", ex.to_json())
    work = folder / ".work"
    jobs_list = [(ch, (lambda ch=ch: _spawn(ch, folder / "example.json", settings, work / f"stills-{ch.slug}",
                                            work / f"stills-{ch.slug}.log", stills_dir, at)))
                 for ch in chapters]
    results = _run_all(jobs_list, jobs, settings.verbose)
    shutil.rmtree(work, ignore_errors=True)
    return [Path(p) for ch in chapters for p in results[ch.slug]["stills"]], results


KEY_MOMENTS_FILE = ROOT / "scenes" / "key_moments.json"   # written by scripts/key_moments.py


def list_key_moments(ex: Example, chapters: list, folder: Path, settings: RenderSettings,
                     jobs: int) -> dict[str, list[tuple[str, str]]]:
    """Each chapter's key moments (id, heading), in playing order, from a dry run that saves no still."""
    _, results = render_stills(ex, chapters, folder / "stills", settings, {"-"}, jobs)
    return {ch.slug: [(m, st.get("heading") or ch.title)
                      for st, moments in post_sections(results[ch.slug]["steps"], results[ch.slug]["key_moments"])
                      for m in moments]
            for ch in chapters}


class UnknownMomentError(ValueError):
    """A --at id that no chosen chapter has; the message names the closest ids."""


def check_moments(ex: Example, chapters: list, at: set[str]) -> None:
    """Fail at once, before any rendering, on a --at id that none of the chapters can have: the ids of the
    default example's key moments (scenes/key_moments.json) and, for this example, every record id and
    its worked-moment variant. Raises UnknownMomentError naming the closest ids."""
    import difflib
    registry = json.loads(KEY_MOMENTS_FILE.read_text())
    known = {m for ch in chapters for m, _ in registry.get(ch.slug, [])}
    suffixes = {m[len(r):] for m in known for r in (s.id for s in ex.steps) if m.startswith(r + "-")}
    known |= {s.id + suf for s in ex.steps for suf in suffixes | {""}}
    for a in sorted(at):
        if a not in known:
            close = difflib.get_close_matches(a, sorted(known), n=3, cutoff=0.6)
            chapters_named = ", ".join(str(ch.number) for ch in chapters)
            hint = f"did you mean {' or '.join(close)}?" if close else "no id is close to it."
            raise UnknownMomentError(
                f"No key moment '{a}' in chapter{'s' * (len(chapters) > 1)} {chapters_named}: {hint} "
                f"List them with `render.py stills {chapters[0].number} --list`.")


def write_post(ex: Example, chapters: list, folder: Path, settings: RenderSettings, jobs: int) -> Path:
    """post.md: per chapter, its steps in the order the video plays them, each with its heading, its
    narration, the stills of the moments it holds and its numbers as a table."""
    stills, results = render_stills(ex, chapters, folder / "stills", settings, None, jobs)
    by_name = {p.name: p for p in stills}
    parts = [f"# {exports.COURSE_TITLE}\n",
             f"Every number below is a real value computed by a small transformer (d_model {ex.config.d_model}, "
             f"{ex.config.n_heads} head{'s' * (ex.config.n_heads > 1)}) on the sentence *{exports.md_text(exports.as_typed(ex.config.source))}*. "
             "The data: [example.json](example.json).\n"]
    for ch in chapters:
        parts.append(f"\n## {ch.number}. {exports.md_text(ch.title)}\n")
        for step, moments in post_sections(results[ch.slug]["steps"], results[ch.slug]["key_moments"]):
            record = ex.step(step["id"]) if ex.has(step["id"]) else None
            heading = step.get("heading") or (record.title if record else ch.title)
            parts.append(f"### {exports.md_text(heading)}\n\n{exports.md_text(step['narration'])}\n")
            for m in moments:
                name = f"{ch.slug}-{m}.png"
                if name in by_name:
                    parts.append(f"![{exports.md_text(heading)}](stills/{name})\n")
            if record is not None:
                parts.append(exports.data_markdown_step(ex, record))
    return exports.write_atomic(folder / "post.md", "\n".join(parts))


def post_sections(steps: list[dict], key_moments: dict[str, float]) -> list[tuple[dict, list[str]]]:
    """Each step of a chapter's timeline, in playing order, with the key moments it holds in time order: a
    step's own moment, and the moments inside it (a worked entry, say) whose time lies within the step."""
    out = [(st, []) for st in steps]
    for moment, t in sorted(key_moments.items(), key=lambda kv: kv[1]):
        own = [i for i, st in enumerate(steps) if st["id"] == moment]
        inside = [i for i, st in enumerate(steps) if st["start"] - 1e-6 <= t <= st["end"] + 1e-6]
        for i in own or inside[-1:]:
            out[i][1].append(moment)
    return out


# ---------------------------------------------------------------- benchmark

def _timed_worker(ch_key: str, example_path: Path, settings: RenderSettings, media: Path, env_extra=None) -> tuple[float, dict]:
    cmd = worker_command(ch_key, example_path, settings, media)
    t0 = time.perf_counter()
    proc = runctl.spawn(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                        env=dict(os.environ, **(env_extra or {})))
    try:
        stdout, stderr = proc.communicate()
    except BaseException as e:   # Ctrl-C, SIGTERM: the worker and its group stop with the command
        runctl.stop([proc], first=getattr(e, "signum", None))
        raise
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        if "No space left on device" in stderr:
            raise click.ClickException(f"The disk is full: the benchmark render of {ch_key} could not be written "
                                       f"in {media}. Free some space (or choose another --out).")
        raise click.ClickException(f"Benchmark render of {ch_key} failed: {stderr.strip().splitlines()[-1:]}")
    return elapsed, json.loads(stdout.strip().splitlines()[-1])


def bench(ex: Example, chapters: list, folder: Path, qualities: list[str], echo=click.echo) -> list[dict]:
    """Per chapter and quality: render time, frames per second, and the ratio to Manim's floor (one moving
    dot for the same length at the same quality, rendered in the same run); then the set with 1 and 2 jobs."""
    exports.write_atomic(folder / "example.json", ex.to_json())
    rows = []
    for q in qualities:
        settings = RenderSettings(quality=q, code="bench", voice=None)   # the drawing's speed, silent
        fps = FRAME_RATES[q]
        for ch in chapters:
            t_ch, info = _timed_worker(ch.slug, folder / "example.json", settings, folder / ".bench" / f"{ch.slug}-{q}")
            dur = info["duration"]
            t_floor, _ = _timed_worker("floor", folder / "example.json", settings, folder / ".bench" / f"floor-{q}",
                                       {"TA_FLOOR_SECONDS": f"{dur:.3f}"})
            row = {"chapter": ch.slug, "quality": q, "video_s": dur, "render_s": t_ch,
                   "fps": dur * fps / t_ch, "floor_s": t_floor, "ratio_to_floor": t_ch / t_floor,
                   "render_over_duration": t_ch / dur}
            rows.append(row)
            echo(f"{ch.slug:<24} {QUALITIES[q] or q:<16} video {dur:6.1f} s  render {t_ch:6.1f} s  "
                 f"{row['fps']:6.1f} frames/s  floor {t_floor:6.1f} s  x{row['ratio_to_floor']:.2f} floor  "
                 f"{row['render_over_duration']:.2f} x duration")
    settings = RenderSettings(quality=qualities[0], code="bench", voice=None)
    walls = {}
    for jobs in (1, 2):
        t0 = time.perf_counter()
        todo = [(ch, (lambda ch=ch: _spawn(ch, folder / "example.json", settings,
                                           folder / ".bench" / f"jobs{jobs}-{ch.slug}",
                                           folder / ".bench" / f"jobs{jobs}-{ch.slug}.log")))
                for ch in chapters]
        _run_all(todo, jobs, False)
        walls[jobs] = time.perf_counter() - t0
    echo(f"whole set at {qualities[0]}: --jobs 1 {walls[1]:.1f} s, --jobs 2 {walls[2]:.1f} s, "
         f"speed-up x{walls[1] / walls[2]:.2f}")
    shutil.rmtree(folder / ".bench", ignore_errors=True)
    return rows
