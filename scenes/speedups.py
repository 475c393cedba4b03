"""Faster output, the same pictures: three changes to how Manim writes files, none to what it draws.

- Tex: every formula is compiled once per machine, not once per chapter process. Each chapter renders into a
  fresh media folder, so Manim's own Tex cache (inside it) was always cold: a chapter spent up to a sixth of
  its time in latex and dvisvgm. The SVGs are kept in a cache shared by runs ($TA_TEX_CACHE, else
  ~/.cache/transformer-anim/tex/<manim version>). Manim still compiles in the chapter's own Tex folder (its
  clean-up deletes every other file there, so a shared folder would race); the finished SVG is then copied
  into the cache under a temporary name and renamed, so a reader never sees half a file, and a cached SVG
  is copied back into the chapter's folder before Manim reads it.
- Repeated frames: a still stretch (a wait, a step waiting for its voice) reaches the encoder as one frame
  and a repeat count, and Manim converted that frame from RGBA to YUV once per repeat. Here it is converted
  once and the converted frame is sent `repeat` times.
- Sound: Manim encodes a chapter's sound to AAC with FFmpeg's default coder and lets it upmix to stereo; here
  it keeps the narration's one channel (the upmix cost 3 dB of loudness), uses the "fast" coder (three
  times quicker, no worse on our speech) and measures the true peak of what it wrote: AAC can push a peak
  over -1 dBTP, and then the sound is limited a little more and encoded again (narration.audio.encode_under_ceiling;
  pipeline.assemble.join_videos encodes the course's sound the same way).

Imported by scenes/base.py next to fastcopy, so every chapter process gets it.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from fractions import Fraction
from pathlib import Path

import av
import manim
from manim.mobject.text import tex_mobject
from manim.scene import scene_file_writer
from manim.scene.video_segment_encoder import VideoSegmentEncoder
from manim.utils import tex_file_writing

from narration.audio import LOSSY_CODECS, encode_mono, encode_under_ceiling, read_audio


def tex_cache_dir() -> Path:
    env = os.environ.get("TA_TEX_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "transformer-anim" / "tex" / manim.__version__


_compile = tex_file_writing.tex_to_svg_file


def tex_to_svg_file(expression: str, environment: str | None = None, tex_template=None) -> Path:
    """Manim's tex_to_svg_file, looked up first in the shared cache (same name: Manim's hash of the whole
    .tex source, preamble included). A hit is copied into the chapter's own Tex folder and read from there:
    Manim parses an SVG by writing a modified copy beside it (<name>_.svg) and deleting it again, and two
    processes doing that beside one shared file would delete each other's copy."""
    tex_file = tex_file_writing.generate_tex_file(expression, environment, tex_template)
    local = tex_file.with_suffix(".svg")
    if local.is_file():
        return local
    cached = tex_cache_dir() / local.name
    if cached.is_file():
        try:
            _copy_atomic(cached, local)
            return local
        except OSError:
            pass
    svg = _compile(expression, environment, tex_template)
    try:
        _copy_atomic(svg, cached)
    except OSError:   # a read-only or full cache only costs speed
        pass
    return svg


def _copy_atomic(src: Path, dst: Path) -> None:
    """Copy under a temporary name, then rename: a reader never sees half a file."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dst.parent, prefix="." + dst.name, suffix=".tmp")
    os.close(fd)
    try:
        shutil.copyfile(src, tmp)
        os.replace(tmp, dst)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_frame(self: VideoSegmentEncoder, pixels, *, repeat: int = 1) -> None:
    """VideoSegmentEncoder.write_frame with one colour conversion for all repeats of a frame."""
    self._validate_frame(pixels, repeat)
    time_base = Fraction(self.spec.frame_rate.denominator, self.spec.frame_rate.numerator)
    try:
        frame = av.VideoFrame.from_ndarray(pixels, format="rgba")
        if repeat > 1:
            frame = frame.reformat(format=self.spec.pixel_format)
        frame.time_base = time_base
        for _ in range(repeat):
            frame.pts = self._next_pts
            self._next_pts += 1
            for packet in self._stream.encode(frame):
                self._container.mux(packet)
    except BaseException as error:
        raise self._operation_error("encode", error) from error


def _convert_audio(input_path, output_path, codec_name: str) -> None:
    """scene_file_writer.convert_audio for the chapter's sound track: one channel (Manim let FFmpeg pick
    stereo, and its upmix put the mono narration 3 dB under the loudness it was normalized to), the fast AAC
    coder, and true peaks measured after encoding and brought back under -1 dBTP if the codec pushed them
    over (narration.audio.encode_under_ceiling). A lossless conversion is left to Manim."""
    sound = read_audio(input_path) if codec_name in LOSSY_CODECS else None
    if sound is None:
        return _manim_convert_audio(input_path, output_path, codec_name)
    samples, rate = sound

    def write(x):
        with av.open(str(output_path), "w") as out:
            for packet in encode_mono(out, x, rate, codec_name):
                out.mux(packet)

    encode_under_ceiling(samples, rate, write, lambda: read_audio(output_path))


_manim_convert_audio = scene_file_writer.convert_audio
_manim_write_frame = VideoSegmentEncoder.write_frame   # kept for the test that compares the two
tex_mobject.tex_to_svg_file = tex_to_svg_file
VideoSegmentEncoder.write_frame = _write_frame
scene_file_writer.convert_audio = _convert_audio
