"""Assembly: the finished chapters of a run folder become the course. The chapter videos (and their sound)
are joined into one, and for the course and for each chapter the run folder gets what a creator uploads:
captions (narration.captions), chapters.txt, description.txt and narration.md (publish.description),
thumbnails (publish.thumbnail), course.json, the course page (publish.page) and manifest.json."""
from __future__ import annotations

import dataclasses
import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from mathcore import Example
from mathcore.files import write_atomic
from narration import audio, captions
from pipeline.settings import RenderSettings
from publish import page
from publish.description import chapters_txt, description_txt, narration_md
from publish.manifest import manifest
from publish.text import COURSE_TITLE
from publish.thumbnail import THUMBNAIL_MOMENT, thumbnail_png


def assemble_course(ex: Example, chapters: list, folder: Path, settings: RenderSettings,
             wall_seconds: float | None = None) -> Path:
    """Join the chapter videos (and their sound) and write, for the course and for each chapter, what a
    creator uploads: captions (.srt, .vtt), chapters.txt, description.txt, thumbnails, narration.md,
    course.json and manifest.json."""
    ext = settings.fmt
    course_chapters, t, durations = [], 0.0, {}
    for ch in chapters:
        video = folder / f"{ch.slug}.{ext}"
        steps = json.loads((folder / f"{ch.slug}.steps.json").read_text())
        dur = video_duration(video) if ext != "gif" else steps["duration"]
        durations[video.name] = dur
        course_chapters.append({"number": ch.number, "slug": ch.slug, "title": ch.title, "start": t,
                                "duration": dur, "steps": steps["steps"], "key_moments": steps["key_moments"],
                                "render_seconds": steps.get("render_seconds"),
                                "render_jobs": steps.get("render_jobs"),
                                "layout_findings": (len(steps["layout"]["findings"]) if steps.get("layout")
                                                    else None)})
        t += dur
    course_video = folder / f"course.{ext}"
    if ext == "gif":
        course_video = folder / f"{chapters[0].slug}.gif"   # GIFs are not joined; each chapter stands alone
    else:   # the thumbnails (from the chapter videos) are drawn on the other core while the join runs
        with ThreadPoolExecutor(1) as pool:
            thumbnails = pool.submit(_write_thumbnails, folder, course_chapters, settings)
            join_videos([folder / f"{ch.slug}.{ext}" for ch in chapters], course_video)
            thumbnails.result()
        durations[course_video.name] = video_duration(course_video)
    _write_captions(folder, course_chapters)
    write_atomic(folder / "chapters.txt", chapters_txt(course_chapters))
    write_atomic(folder / "description.txt",
                         description_txt(course_chapters, ex, t, settings.voice))
    write_atomic(folder / "narration.md", narration_md(course_chapters, ex))
    write_atomic(folder / "course.json", json.dumps(
        {"voice": settings.voice, "voice_rate": settings.voice_rate if settings.voice else None,
         "duration": round(t, 3), "render_wall_seconds": None if wall_seconds is None else round(wall_seconds, 1),
         "look": settings.tag(),
         "settings": {k: v for k, v in dataclasses.asdict(settings).items() if k not in ("verbose", "code")},
         "chapters": [{k: c[k] for k in ("number", "slug", "title", "start", "duration", "render_seconds",
                                         "render_jobs", "layout_findings")} for c in course_chapters]},
        indent=1, ensure_ascii=False) + "\n")
    if ext in page.VIDEO_EXTS:   # index.html: the course as a web page (a GIF run has no <video> to play)
        page.write_page(folder)
    write_atomic(folder / "manifest.json", manifest(folder, durations))
    return course_video


def _write_captions(folder: Path, course_chapters: list[dict]):
    """<chapter>.srt/.vtt (times from the chapter's start) and course.srt/.vtt (from the course's)."""
    for c in course_chapters:
        cues = captions.chapter_cues(c["steps"])
        write_atomic(folder / f"{c['slug']}.srt", captions.to_srt(cues))
        write_atomic(folder / f"{c['slug']}.vtt", captions.to_vtt(cues))
    cues = captions.course_cues(course_chapters)
    write_atomic(folder / "course.srt", captions.to_srt(cues))
    write_atomic(folder / "course.vtt", captions.to_vtt(cues))


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
        png = thumbnail_png(pic, c["title"], f"Chapter {c['number']} · {COURSE_TITLE}",
                                    theme.background, theme.highlight)
        write_atomic(folder / f"{c['slug']}.thumbnail.png", png)
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
    png = thumbnail_png(pic, COURSE_TITLE, kicker, theme.background, theme.highlight)
    write_atomic(folder / "thumbnail.png", png)


# ---------------------------------------------------------------- joining the chapter videos

def video_duration(path: Path) -> float:
    import av
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        if s.duration is not None and s.time_base is not None:
            return float(s.duration * s.time_base)
        return float(c.duration or 0) / 1_000_000


def join_videos(inputs: list[Path], output: Path) -> Path:
    """Concatenate videos of identical encoding into one: the video is remuxed without re-encoding (PyAV);
    the sound, when the chapters have any, is decoded, each chapter's padded or cut to exactly its video's
    length (so every chapter starts in sync), and encoded once for the whole course."""
    import av
    if not inputs:
        raise ValueError("nothing to join")
    tmp = output.with_name("." + output.name + ".part" + output.suffix)
    try:
        with av.open(str(inputs[0])) as first:
            ref = first.streams.video[0]
            ref_key = (ref.codec_context.name, ref.codec_context.width, ref.codec_context.height, ref.time_base)
        sound = _joined_audio(inputs)
        if sound is None:
            _join_into(inputs, tmp, output, ref_key, None, 0)
        else:   # a lossy codec can push true peaks over the ceiling: measured, and redone if it did
            samples, rate = sound
            audio.encode_under_ceiling(samples, rate, lambda x: _join_into(inputs, tmp, output, ref_key, x, rate),
                                       lambda: audio.read_audio(tmp))
        os.replace(tmp, output)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return output


def _join_into(inputs: list[Path], tmp: Path, output: Path, ref_key: tuple, samples: np.ndarray | None,
               rate: int):
    """Write the joined video to tmp: the chapters' frames remuxed, and the samples (if any) encoded as the
    course's one sound stream, interleaved by time."""
    import av
    with av.open(str(tmp), "w", format=_container_format(output)) as out:
        with av.open(str(inputs[0])) as first:
            out_stream = out.add_stream_from_template(first.streams.video[0])
        codec = "libopus" if output.suffix == ".webm" else "aac"
        audio_packets = audio.encode_mono(out, samples, rate, codec) if samples is not None else []
        pending = iter(audio_packets)
        next_audio = next(pending, None)
        offset = 0
        for path in inputs:
            with av.open(str(path)) as inp:
                s = inp.streams.video[0]
                key = (s.codec_context.name, s.codec_context.width, s.codec_context.height, s.time_base)
                if key != ref_key:
                    raise ValueError(f"{path.name} is encoded differently from {inputs[0].name}; render all "
                                     "chapters with the same quality and format to join them")
                end = offset
                for pkt in inp.demux(s):
                    if pkt.dts is None and pkt.pts is None:
                        continue  # the flushing packet
                    if pkt.pts is not None:
                        pkt.pts += offset
                        end = max(end, pkt.pts + (pkt.duration or 0))
                    if pkt.dts is not None:
                        pkt.dts += offset
                    # interleave: the sound up to this frame's time goes first
                    t = float((pkt.dts if pkt.dts is not None else pkt.pts) * s.time_base)
                    while next_audio is not None and float(next_audio.pts * next_audio.time_base) <= t:
                        out.mux(next_audio)
                        next_audio = next(pending, None)
                    pkt.stream = out_stream
                    out.mux(pkt)
                if s.duration is not None:
                    end = max(end, offset + s.duration)
                offset = end
        while next_audio is not None:
            out.mux(next_audio)
            next_audio = next(pending, None)


def _joined_audio(inputs: list[Path]) -> tuple[np.ndarray, int] | None:
    sounds = [audio.read_audio(p) for p in inputs]
    if all(s is None for s in sounds):
        return None
    rate = next(s[1] for s in sounds if s is not None)
    parts = []
    for path, sound in zip(inputs, sounds):
        n = int(round(video_duration(path) * rate))
        samples = np.zeros(n, dtype=np.float32)
        if sound is not None:
            a, r = sound
            if r != rate:
                from scipy.signal import resample_poly
                a = resample_poly(a, rate, r).astype(np.float32)
            samples[:min(n, a.size)] = a[:n]
        parts.append(samples)
    # each AAC pass lets true peaks overshoot (join_videos measures the result): keep the clips' margin
    return audio.limit_true_peak(np.concatenate(parts), rate, audio.MAX_TRUE_PEAK_DB - audio.PEAK_MARGIN), rate


def _container_format(path: Path) -> str | None:
    return {".mp4": "mp4", ".mov": "mov", ".webm": "webm"}.get(path.suffix)
