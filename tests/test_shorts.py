"""Shorts (scenes/shorts, pipeline/shorts.py, `render.py short`).

Fast: every topic for the default, a 12-token and a char-mode Chinese example in Manim's dry-run mode, in
portrait: everything on screen inside the safe zone at every key moment, the sentence's tokens on screen,
and the numbers of the topic read back from the strings drawn and compared with the record formatted here
(not with format_number). Slow: real draft renders (540x960) read back from the files: 9:16 frames, 15-60 s,
the sound at -16 LUFS (pyloudnorm) with a true peak under -1 dBTP (tests/bs1770_peak.py), nothing drawn in
the margins, the top tenth or the bottom fifth, and the captions in the picture, read with tesseract and
matched to the .srt cues.
"""
from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from manim import tempconfig

from conftest import LAYOUT_CONFIGS
from mathcore import build_example
from scenes.shorts import TOPICS, get_topic
from scenes.audit import Recorder, audited, format_table
from scenes.shorts.base import SAFE, portrait_options
from scenes.theme import DARK

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ("default", "twelve-tokens", "chinese-char")
MINUS = "\u2212"


def shown(v: float, dec: int) -> str:
    """A number as the screen should show it, written here independently of mathcore.display."""
    if math.isinf(v):
        return ("−" if v < 0 else "") + "∞"
    s = f"{v:.{dec}f}"
    if float(s) == 0:
        s = s.lstrip("-")
    return s.replace("-", MINUS)


# ---------------------------------------------------------------- dry runs (fast)

_SCENES: dict = {}


def dry_short(topic: str, config: str):
    """The short built in dry-run mode, with what was on screen (top-level boxes) at each key moment."""
    key = (topic, config)
    if key in _SCENES:
        return _SCENES[key]
    ex = build_example(LAYOUT_CONFIGS[config])
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    opts = dict(portrait_options("l"), dry_run=True, disable_caching=True, verbosity="ERROR", progress_bar="none",
                media_dir=str(ROOT / "media" / "test-cache" / f"shorts-{worker}"))
    with tempconfig(opts):
        # built through the layout audit (scenes/audit.py), so this one dry run also checks every moment
        scene = audited(get_topic(topic).load(), Recorder(opts["pixel_height"], f"short-{topic}"))(example=ex,
                                                                                                  theme=DARK)
        scene.on_screen = {}
        own = scene.key_moment

        def key_moment(step_id):
            own(step_id)
            boxes = []
            for m in scene.mobjects:
                if m is scene.caption_holder or not any(len(x.points) for x in m.get_family()):
                    continue
                boxes.append((type(m).__name__, m.get_left()[0], m.get_right()[0], m.get_bottom()[1], m.get_top()[1]))
            scene.on_screen[step_id] = boxes
        scene.key_moment = key_moment
        scene.render()
    _SCENES[key] = (scene, ex)
    return scene, ex


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("topic", [t.name for t in TOPICS])
def test_layout_audit_finds_nothing_in_portrait(topic, config):
    """render.py check's audit, in the 9:16 frame at 540x960: no overlapping, off-frame, too small (9 px on
    the short side, 18 px at 1080 wide) or faint text at any moment, burned-in captions included."""
    scene, _ = dry_short(topic, config)
    report = scene.audit_report
    assert report.moments > 10 and report.texts > 0
    assert not report.findings, format_table([report])


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("topic", [t.name for t in TOPICS])
def test_safe_zone_and_sentence(topic, config):
    scene, ex = dry_short(topic, config)
    ids = [st["id"] for st in scene.timeline]
    assert ids[0] == "hook" and ids[-1] == "end"
    tol = 0.02
    for step_id, boxes in scene.on_screen.items():
        assert boxes, f"nothing on screen at {step_id}"
        for name, left, right, bottom, top in boxes:
            assert left >= SAFE.left - tol and right <= SAFE.right + tol, (topic, step_id, name, left, right)
            assert bottom >= SAFE.bottom - tol and top <= SAFE.top + tol, (topic, step_id, name, bottom, top)
    for page in scene.caption_pages:
        g = page.group
        assert g.get_left()[0] >= SAFE.left - tol and g.get_right()[0] <= SAFE.right + tol, page.text
        assert g.get_bottom()[1] >= SAFE.bottom - tol, page.text
        assert len(g[1]) <= 2, f"a caption page of {len(g[1])} lines: {page.text}"
    # the hook's sentence: each chip is the token at its index, the first, last and focus ones always there,
    # never drawn below the theme's minimum size (elided with a ⋯ chip instead)
    row = scene.exposed["sentence"]
    tokens = ex.tokens["target_input" if topic in ("mask", "next-word") else "source"]
    for chip, i in zip(row.chips, row.shown):
        assert chip.label.full_text == (tokens[i] if i is not None else "⋯")
    assert {0, len(tokens) - 1} <= set(row.shown)
    assert row.min_font_size_shown >= DARK.size_min - 1e-6
    # the hook in the first two seconds
    hook = scene.timeline[0]
    assert hook["start"] == 0 and scene.caption_pages[0].start < 0.5


@pytest.mark.parametrize("config", CONFIGS)
def test_numbers_on_screen(config):
    """Each topic's numbers, read off the strings drawn, are the record's at the example's decimals."""
    dec = LAYOUT_CONFIGS[config].decimals
    # attention: the focus row's scaled scores and its weights
    scene, ex = dry_short("attention", config)
    r = min(2, max(0, len(ex.tokens["source"]) - 2))     # the third token (or the last but one)
    scaled = ex.value("encoder.0.self_attn.head1.scaled")[r]
    weights = ex.value("encoder.0.self_attn.head1.weights")[r]
    S = scene.exposed["scores"]
    assert S.cells and all(c.text.drawn_text == shown(scaled[i], dec) for (i, _), c in S.cells.items())
    bars = scene.exposed["bars"]
    assert bars.value_labels and all(t.drawn_text == shown(weights[k], dec) for k, t in bars.value_labels.items())
    assert any(shown(v, dec) in st["narration"] for st in scene.timeline for v in scaled), "the voice says a score"
    # positional: E·√d, PE and X of the focus position
    scene, ex = dry_short("positional", config)
    p = min(2, max(0, len(ex.tokens["source"]) - 2))
    for m, sid in zip(scene.exposed["sum"], ("source.embedding_scaled", "source.positional", "source.input")):
        row = ex.value(sid)[p]
        assert m.cells and all(c.text.drawn_text == shown(row[j], dec) for (_, j), c in m.cells.items()), sid
    # mask: −∞ above the diagonal, exact zeros after softmax
    scene, ex = dry_short("mask", config)
    masked = ex.value("decoder.0.self_attn.head1.masked")
    A = ex.value("decoder.0.self_attn.head1.weights")
    M, W = scene.exposed["masked"], scene.exposed["weights"]
    assert all(c.text.drawn_text == shown(masked[i, j], dec) for (i, j), c in M.cells.items())
    assert any(c.text.drawn_text == "−∞" for c in M.cells.values())
    assert all(c.text.drawn_text == shown(A[i, j], dec) for (i, j), c in W.cells.items())
    # next word: the focus position's probabilities, and each generated word's probability
    scene, ex = dry_short("next-word", config)
    m = len(ex.tokens["target_input"])
    probs = ex.value("output.probs")[min(2, max(0, m - 2))]
    bars = scene.exposed["bars"]
    assert all(t.drawn_text == shown(probs[k], dec) for k, t in bars.value_labels.items())
    gen = scene.exposed["generated"]
    labels = [t.drawn_text for t in scene.exposed["generated_probs"]]
    expect = [shown(ex.value(f"generate.{k}.probs")[ex.vocab.index(ex.tokens["generated"][k])], dec)
              for k in gen.shown if k is not None]
    assert labels == expect


PX = 240          # pixels a unit when the test draws caption words (1080 across the 4.5-unit frame)


def _ink_columns(mobs, shift_y: float) -> tuple[float, float]:
    """The leftmost and rightmost column with ink when mobs (copies, white) are drawn by Manim's Camera on
    black, in frame units."""
    from manim import Camera, VGroup
    cam = Camera(pixel_width=int(4.5 * PX), pixel_height=PX, frame_width=4.5, frame_height=1.0,
                 background_color="#000000")
    g = VGroup(*(m.copy() for m in mobs)).set_fill("#ffffff", opacity=1.0).set_stroke(width=0)
    g.shift(shift_y * np.array([0.0, 1.0, 0.0]))
    cam.capture_mobjects([g])
    cols = np.flatnonzero((np.asarray(cam.pixel_array)[:, :, :3].max(axis=2) > 96).any(axis=0))
    assert len(cols), "a caption word drew no ink"
    return (cols[0] - 4.5 * PX / 2) / PX, (cols[-1] + 1 - 4.5 * PX / 2) / PX


def _gaps(spans) -> list[float]:
    return [b[0] - a[1] for a, b in zip(spans, spans[1:])]


@pytest.mark.parametrize("topic,config", [(t.name, "default") for t in TOPICS] + [("attention", "chinese-char")])
def test_caption_word_spacing_is_the_fonts(topic, config):
    """Each caption word is its own mobject (to be lit when said), so the renderer spaces the words itself.
    The clear space between two words' ink, read off pixels, must be what Pango leaves when it sets the
    whole line as one text (around a number as around a word): a gap between ink boxes would be too
    narrow after a glyph with a wide side bearing (the tabular "1": "0.31of")."""
    from scenes.components.text import make_text
    scene, _ = dry_short(topic, config)
    checked, numbers = 0, 0
    for page in scene.caption_pages:
        for row in page.group[1]:
            words = [m.drawn_text for m in row]
            if len(words) < 2:
                continue
            y = -row.get_center()[1]
            mine = _gaps([_ink_columns([m], y) for m in row])
            line = make_text(" ".join(words), DARK.font, 26)
            glyphs = [m for m in line.submobjects if len(m.points)]
            counts = [make_text(w, DARK.font, 26).glyph_count for w in words]
            assert sum(counts) == len(glyphs), words     # Latin narration: one glyph run per word
            line.move_to([0, 0, 0])
            k, spans = 0, []
            for c in counts:
                spans.append(_ink_columns(glyphs[k:k + c], 0.0))
                k += c
            pango = _gaps(spans)
            for i, (g, r) in enumerate(zip(mine, pango)):
                assert abs(g - r) <= 2.5 / PX + 0.004, (f"{words[i]!r} {words[i + 1]!r}: {g:.3f} units apart on "
                                                        f"screen, {r:.3f} as the font sets them", words)
                assert g >= 0.05, (words[i], words[i + 1], g)
            checked += 1
            numbers += any(re.fullmatch(r"[\d.,\u2212-]*\d[\d.,]*", w) for w in words[:-1])
    assert checked >= 10, checked
    if topic == "attention":     # its softmax step says the weight mid-line: “play” gives 0.31 of …
        assert numbers >= 1


def test_unknown_topic_one_sentence():
    res = subprocess.run([sys.executable, "render.py", "short", "--topic", "dragons"], cwd=ROOT,
                         capture_output=True, text=True)
    assert res.returncode != 0
    assert "Traceback" not in res.stderr
    line = res.stderr.strip()
    assert len(line.splitlines()) == 1 and all(t.name in line for t in TOPICS), line


# ---------------------------------------------------------------- real renders (slow, shared)

RENDERS = {   # what CI renders at draft size: every topic of the default, one topic of the other two
    "default": ("all", LAYOUT_CONFIGS["default"]),
    "twelve-tokens": ("attention", LAYOUT_CONFIGS["twelve-tokens"]),
    "chinese-char": ("next-word", LAYOUT_CONFIGS["chinese-char"]),
}


def _cli_args(cfg) -> list[str]:
    args = ["-s", cfg.source, "-t", cfg.target, "--tokenizer", cfg.tokenizer]
    if cfg.corpus != type(cfg)().corpus:
        return args + ["--corpus", "CORPUS"]
    return args


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    out = {}
    for name, (topic, cfg) in RENDERS.items():
        folder = tmp_path_factory.mktemp(f"short-{name}")
        args = _cli_args(cfg)
        if "CORPUS" in args:
            corpus = folder.parent / f"{name}-corpus.txt"
            corpus.write_text("\n".join(cfg.corpus), encoding="utf-8")
            args[args.index("CORPUS")] = str(corpus)
        res = subprocess.run([sys.executable, "render.py", "short", "--topic", topic, "-q", "l", "--out", str(folder),
                              *args], cwd=ROOT, capture_output=True, text=True, timeout=900)
        assert res.returncode == 0, res.stderr
        for video in sorted(folder.glob("short-*.mp4")):
            out[(name, video.stem)] = video
    return out


def _frames(video: Path, times: list[float]):
    import av
    times = sorted(times)
    got = {}
    with av.open(str(video)) as c:
        s = c.streams.video[0]
        for f in c.decode(s):
            t = float(f.pts * s.time_base)
            while times and t >= times[0] - 1e-6:
                got[times.pop(0)] = f.to_ndarray(format="rgb24")
            if not times:
                break
    return got


def _srt(path: Path) -> list[tuple[float, float, str]]:
    def sec(s):
        h, m, rest = s.split(":")
        return int(h) * 3600 + int(m) * 60 + float(rest.replace(",", "."))
    cues = []
    for block in path.read_text(encoding="utf-8").strip().split("\n\n"):
        lines = block.splitlines()
        a, b = lines[1].split(" --> ")
        cues.append((sec(a), sec(b), " ".join(lines[2:]).replace("\u200b", "")))
    return cues


def _ocr(img: np.ndarray) -> str:
    from PIL import Image
    if shutil.which("tesseract") is None:
        pytest.fail("tesseract is not installed (scripts/bootstrap.sh installs tesseract-ocr)")
    pic = Image.fromarray(img).convert("L").resize((img.shape[1] * 2, img.shape[0] * 2))
    res = subprocess.run(["tesseract", "stdin", "stdout", "--psm", "6", "-l", "eng"], input=_png(pic),
                         capture_output=True)
    return res.stdout.decode("utf-8", "replace")


def _png(pic) -> bytes:
    import io
    buf = io.BytesIO()
    pic.save(buf, format="PNG")
    return buf.getvalue()


def _words(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z]+", text.lower()) if len(w) >= 3]


@pytest.mark.slow
def test_renders_are_vertical_narrated_and_captioned(rendered):
    import av
    import pyloudnorm
    from bs1770_peak import true_peak_dbtp
    from PIL import Image
    assert len(rendered) == len(TOPICS) + 2, sorted(rendered)
    for (name, stem), video in rendered.items():
        folder = video.parent
        for ext in (".srt", ".vtt", ".cover.png"):
            assert (folder / f"{stem}{ext}").exists(), (name, stem, ext)
        assert Image.open(folder / f"{stem}.cover.png").size == (1080, 1920)
        assert (folder / f"{stem}.vtt").read_text(encoding="utf-8").startswith("WEBVTT")
        with av.open(str(video)) as c:
            vs = c.streams.video[0]
            w, h = vs.codec_context.width, vs.codec_context.height
            duration = float(c.duration) / av.time_base
            assert c.streams.audio, f"{stem} of {name} has no sound"
            rate = c.streams.audio[0].codec_context.sample_rate
            sound = np.concatenate([f.to_ndarray().mean(axis=0) for f in c.decode(c.streams.audio[0])])
        assert (w, h) == (540, 960) and w * 16 == h * 9
        assert 15.0 <= duration <= 60.0, (name, stem, duration)
        lufs = pyloudnorm.Meter(rate).integrated_loudness(sound.astype(np.float64))
        assert abs(lufs - (-16.0)) <= 1.0, (name, stem, lufs)
        assert true_peak_dbtp(sound) <= -1.0, (name, stem)
        # the captions, read back from the picture, are the .srt's; nothing outside the safe zone
        cues = _srt(folder / f"{stem}.srt")
        assert cues and cues[0][0] < 0.5
        frames = _frames(video, [(a + b) / 2 for a, b, _ in cues] + [1.9])
        bg = frames[1.9][2, 2].astype(int)
        matched = 0
        for (a, b, text), t in zip(cues, [(a + b) / 2 for a, b, _ in cues]):
            img = frames[t]
            top, bottom, side = int(h * 0.1), int(h * 0.8), int(w * 0.06)
            for part in (img[:top], img[bottom:], img[:, :side], img[:, w - side:]):
                assert np.abs(part.astype(int) - bg).max() <= 24, f"drawn outside the safe zone at {t:.1f} s"
            band = img[int(h * 0.6):bottom, side:w - side]
            seen = _ocr(band)
            read = _words(seen)
            flat = "".join(re.findall(r"[a-z]+", seen.lower()))       # tesseract may run two words together
            cue_flat = "".join(re.findall(r"[a-z]+", text.lower()))
            said = set(_words(text))
            if said:
                hits = [x for x in said if x in flat]
                foreign = [x for x in read if x not in cue_flat]
                assert len(hits) >= min(2, len(said)) and len(foreign) <= 0.4 * len(read), (stem, text, read)
                matched += 1
        assert matched >= len(cues) // 2 + 1, (name, stem)
        # the hook is on screen before two seconds
        hook = json.loads((folder / f"{stem}.steps.json").read_text())["steps"][0]
        top_half = frames[1.9][int(h * 0.1):int(h * 0.5)]
        assert set(_words(_ocr(top_half))) & set(_words(hook["narration"])), f"no hook on screen in {stem}"


@pytest.mark.slow
def test_check_command_covers_the_shorts(tmp_path):
    out = tmp_path / "layout.json"
    r = subprocess.run([sys.executable, "render.py", "check", "2", "--shorts", "--json", str(out), "-j", "1"],
                       cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    names = [c["chapter"] for c in json.loads(out.read_text())["chapters"]]
    assert names == ["ch02-embedding"] + [t.slug for t in TOPICS]
