"""scenes/speedups.py and the render's scheduling: faster, and the same output."""
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from manim import MathTex, tempconfig

from pipeline import local, settings
import scenes
from scenes import speedups


def test_a_formula_is_compiled_once_per_machine(tmp_path, monkeypatch):
    """A chapter process starts with an empty Tex folder of its own; the second one finds the SVG in the
    shared cache and runs no latex, and draws the same formula."""
    cache = tmp_path / "tex-cache"
    monkeypatch.setenv("TA_TEX_CACHE", str(cache))
    with tempconfig({"media_dir": str(tmp_path / "first")}):
        first = MathTex(r"\sqrt{d_k} \cdot W_{Q_{%d}}" % 7)
    svgs = list(cache.glob("*.svg"))
    assert len(svgs) == 1 and not list(cache.glob("*.tmp"))

    def no_latex(*args, **kwargs):
        raise AssertionError("latex ran although the formula is in the shared cache")

    monkeypatch.setattr(speedups, "_compile", no_latex)
    with tempconfig({"media_dir": str(tmp_path / "second")}):
        second = MathTex(r"\sqrt{d_k} \cdot W_{Q_{%d}}" % 7)
    assert np.allclose(first.get_all_points(), second.get_all_points())
    # read from the chapter's own copy: Manim writes and deletes <name>_.svg beside the file it parses, which
    # two processes sharing the cached file would race on
    assert (tmp_path / "second" / "Tex" / svgs[0].name).is_file()
    with tempconfig({"media_dir": str(tmp_path / "third")}), pytest.raises(AssertionError, match="latex ran"):
        MathTex(r"\sqrt{d_k} \cdot W_{Q_{%d}}" % 8)   # a new formula is compiled


def _encode(tmp_path: Path, name: str, writes: list[tuple[np.ndarray, int]], write_frame) -> list[np.ndarray]:
    from manim._config.video_encoder import VideoEncoderSpec
    from manim.scene.video_segment_encoder import VideoSegmentEncoder
    spec = VideoEncoderSpec("mp4", "libx264", "yuv420p", 64, 48, Fraction(15),
                            tuple(sorted(settings.X264_OPTIONS.items())))
    enc = VideoSegmentEncoder(target=tmp_path / name, spec=spec)
    for pixels, repeat in writes:
        write_frame(enc, pixels, repeat=repeat)
    enc.finish()
    with av.open(str(tmp_path / name)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def test_a_repeated_frame_is_converted_once_and_encodes_the_same(tmp_path):
    rng = np.random.default_rng(0)
    a, b = (np.ascontiguousarray(rng.integers(0, 256, (48, 64, 4), dtype=np.uint8)) for _ in range(2))
    writes = [(a, 1), (b, 4), (a, 2)]
    ours = _encode(tmp_path, "ours.mp4", writes, speedups._write_frame)
    manims = _encode(tmp_path, "manim.mp4", writes, speedups._manim_write_frame)
    assert len(ours) == len(manims) == 7
    assert all(np.array_equal(x, y) for x, y in zip(ours, manims))


def test_the_longest_chapters_start_first(monkeypatch):
    """Two jobs: the chapters start in order of their cost, and the progress lists them in course order."""
    started = []

    class Done:
        returncode, stdout = 0, None

        def poll(self):
            return 0

    class Stdout:
        def __init__(self, slug):
            self.slug = slug

        def read(self):
            return '{"duration": 1.0}\n'

    def starter(ch):
        def start():
            started.append(ch.number)
            proc = Done()
            proc.stdout = Stdout(ch.slug)
            return proc
        return start

    chapters = scenes.CHAPTERS
    monkeypatch.setattr(local.time, "sleep", lambda s: None)
    results = local._run_all([(ch, starter(ch)) for ch in chapters], 2, False)
    assert set(results) == {ch.slug for ch in chapters}
    costs = [next(c.cost for c in chapters if c.number == n) for n in started]
    assert costs == sorted(costs, reverse=True) and started[0] == max(chapters, key=lambda c: c.cost).number
