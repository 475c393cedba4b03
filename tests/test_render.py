"""render.py as a creator runs it: help and errors for every command, and one end-to-end course render."""
import json
import re

import av
import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from narration import audio as audio_mod
from pipeline import runfolder
from pipeline.assemble import video_duration
from pipeline.settings import RenderSettings
import render
import scenes

AVAILABLE = scenes.available_chapters()


def invoke(*args):
    return CliRunner().invoke(render.cli, list(args), catch_exceptions=False)


@pytest.mark.parametrize("cmd", ["list", "video", "stills", "data", "post", "batch", "bench"])
def test_every_command_has_help_with_examples(cmd):
    res = invoke(cmd, "-h")
    assert res.exit_code == 0 and "Examples:" in res.output


@pytest.mark.parametrize("args, words", [
    (["video", "99"], "Unknown chapter '99'"),
    (["video", "-q", "z"], "Invalid value for '-q'"),
    (["video", "--transparent"], "MP4 cannot be transparent"),
    (["stills", "--heads", "5"], "do not divide"),
    (["video", "--config", "/nonexistent.toml"], "Cannot read the config file"),
    (["data", "--corpus", "/nonexistent.txt"], "Cannot read the corpus file"),
    (["video", "-s", "the \U0010fffd storm", "-t", "he brings"], "no installed font covers the character"),
])
def test_bad_input(args, words):
    res = invoke(*args)
    assert res.exit_code != 0 and words in res.output and "Traceback" not in res.output


def test_unwritable_run_folder(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    res = invoke("video", "2", "--out", str(blocker / "run"))
    assert res.exit_code != 0 and "Cannot write to the folder" in res.output


def test_each_look_has_its_own_run_folder(tmp_path, monkeypatch):
    """Two renders of one sentence at different qualities or themes (even at once) never share files."""
    from mathcore import build_example
    monkeypatch.chdir(tmp_path)
    ex = build_example()
    looks = [RenderSettings(), RenderSettings(quality="h"), RenderSettings(theme="light"),
             RenderSettings(quality="h", fps=30), RenderSettings(fmt="webm", transparent=True),
             RenderSettings(model="llama3-8b"), RenderSettings(quality="draft")]
    tags = [s.tag() for s in looks]
    assert tags[:4] == ["480p15-dark", "1080p60-dark", "480p15-light", "1080p30-dark"]
    folders = {runfolder.prepare(ex, None, s) for s in looks}
    assert len(folders) == len(looks) and len({f.parent for f in folders}) == 1
    assert all(f.is_dir() and not f.is_absolute() for f in folders)
    # stills (png) share the video's folder, so a post links both
    assert RenderSettings(fmt="png").tag() == tags[0]


def test_slugify_never_makes_paths():
    assert runfolder.slugify("../../etc/passwd; rm -rf /") == "etc-passwd-rm-rf"
    assert runfolder.slugify("凛冬将至") == "sentence"
    assert runfolder.slugify("Café crème") == "cafe-creme"


def test_data_exports(tmp_path):
    res = invoke("data", "--format", "md")
    assert res.exit_code == 0 and "| when |" in res.output and "encoder.0.self_attn.head1.weights" in res.output
    res = invoke("data", "--format", "tex", "-o", str(tmp_path / "t.tex"))
    assert res.exit_code == 0 and "\\begin{tabular}" in (tmp_path / "t.tex").read_text()
    res = invoke("data", "--format", "csv", "-o", str(tmp_path / "csv"))
    assert res.exit_code == 0
    rows = (tmp_path / "csv" / "source.input.csv").read_text().splitlines()
    assert len(rows) == 7 and rows[1].startswith("when,")
    res = invoke("data", "--format", "json", "-o", str(tmp_path / "e.json"))
    assert json.loads((tmp_path / "e.json").read_text())["format"] == "transformer-anim/example"


def _seconds(stamp: str) -> float:
    parts = [int(p) for p in stamp.split(":")]
    return sum(p * 60 ** i for i, p in enumerate(reversed(parts)))


def _srt_starts(text: str) -> list[float]:
    out = []
    for m in re.finditer(r"(\d\d):(\d\d):(\d\d),(\d\d\d) -->", text):
        h, mi, s, ms = map(int, m.groups())
        out.append(h * 3600 + mi * 60 + s + ms / 1000)
    return out


@pytest.mark.slow
@pytest.mark.skipif(len(AVAILABLE) < 2, reason="needs two chapters")
def test_course_end_to_end(tmp_path):
    chapters = [str(c.number) for c in AVAILABLE[:2]]
    run = tmp_path / "run"
    res = invoke("video", *chapters, "-q", "draft", "--out", str(run), "--jobs", "2", "--no-voice")
    assert res.exit_code == 0, res.output
    course = json.loads((run / "course.json").read_text())["chapters"]
    # the joined video lasts the sum of its chapters (to a frame)
    joined = video_duration(run / "course.mp4")
    assert abs(joined - sum(c["duration"] for c in course)) < 0.25
    # chapters.txt: YouTube timestamps at each chapter's start, the first at 00:00
    lines = (run / "chapters.txt").read_text().splitlines()
    assert lines[0].startswith("00:00 ")
    for line, c in zip(lines, course):
        stamp, title = line.split(" ", 1)
        assert title == c["title"] and abs(_seconds(stamp) - int(c["start"])) < 1e-9
    # course.srt: each chapter's captions shifted to its start
    starts = _srt_starts((run / "course.srt").read_text())
    second = json.loads((run / f"{course[1]['slug']}.steps.json").read_text())["steps"]
    first_of_second = min(s for s in starts if s >= course[1]["start"] - 1e-6)
    assert abs(first_of_second - (course[1]["start"] + second[0]["start"])) < 0.002
    own = _srt_starts((run / f"{course[1]['slug']}.srt").read_text())
    assert abs(own[0] - second[0]["start"]) < 0.002
    # manifest lists every file with size and checksum
    manifest = json.loads((run / "manifest.json").read_text())["files"]
    names = {f["file"] for f in manifest}
    assert {"course.mp4", "chapters.txt", "course.srt", "example.json", "narration.md"} <= names
    assert not [p for p in run.iterdir() if p.name.startswith(".") and p.name.endswith(".part")]
    # the layout audit looked at every chapter's render, and the course counts what it found
    for c in course:
        layout = json.loads((run / f"{c['slug']}.steps.json").read_text())["layout"]
        assert layout["pixel_height"] == 144 and layout["moments"] > 5 and layout["texts"] > 20
        assert c["layout_findings"] == len(layout["findings"])
    # unchanged inputs: nothing re-rendered
    before = (run / f"{course[0]['slug']}.mp4").stat().st_mtime_ns
    res = invoke("video", *chapters, "-q", "draft", "--out", str(run), "--no-voice")
    assert "nothing to render" in res.output
    assert (run / f"{course[0]['slug']}.mp4").stat().st_mtime_ns == before


@pytest.mark.slow
@pytest.mark.skipif(not AVAILABLE, reason="needs a chapter")
def test_stills_and_post(tmp_path):
    ch = AVAILABLE[0]
    run = tmp_path / "run"
    res = invoke("stills", str(ch.number), "-q", "draft", "--out", str(run))
    assert res.exit_code == 0, res.output
    pngs = sorted((run / "stills").glob("*.png"))
    assert pngs and all(p.name.startswith(ch.slug + "-") for p in pngs)
    assert Image.open(pngs[0]).size == (256, 144)
    res = invoke("stills", str(ch.number), "-q", "draft", "--out", str(run / "x"), "--at", "no.such.step")
    assert res.exit_code != 0 and "No key moment 'no.such.step'" in res.output and "Traceback" not in res.output
    res = invoke("post", str(ch.number), "-q", "draft", "--out", str(run))
    assert res.exit_code == 0, res.output
    text = (run / "post.md").read_text()
    links = re.findall(r"\]\(([^)]+)\)", text)
    assert links and all((run / link).exists() for link in links)


def _rms_db(a: np.ndarray) -> float:
    return 20 * np.log10(np.sqrt(np.mean(a ** 2)) + 1e-12)


@pytest.mark.slow
def test_narrated_chapter_end_to_end(tmp_path, monkeypatch):
    """A draft render of a short chapter with the voice: the sound is as long as the picture, each step's
    voice starts with the step, nothing is cut off, the join keeps the sound, and the upload folder is
    complete."""
    from narration import voice
    monkeypatch.setenv("TA_VOICE_CACHE", str(tmp_path / "voice-cache"))   # a real synthesis, not a cached one
    run = tmp_path / "run"
    res = invoke("video", "2", "-q", "draft", "--out", str(run))
    assert res.exit_code == 0, res.output
    frame = 1 / 5   # draft: 5 frames per second
    steps = json.loads((run / "ch02-embedding.steps.json").read_text())["steps"]
    assert all(st.get("clip") for st in steps), "every step is narrated"
    for name in ("ch02-embedding.mp4", "course.mp4"):
        audio, rate = audio_mod.read_audio(run / name)
        assert abs(audio.size / rate - video_duration(run / name)) <= frame, name
    audio, rate = audio_mod.read_audio(run / "ch02-embedding.mp4")
    window = int(0.01 * rate)
    env = np.array([_rms_db(audio[i:i + window]) for i in range(0, audio.size - window, window)])
    loud = env > -40

    def at(t):
        return int(round(t / 0.01))

    for a, b in zip(steps, steps[1:]):
        assert b["start"] >= a["start"] + a["clip"]["duration"], "clips never overlap"
    for st in steps:
        onset = next(i for i in range(at(st["start"]) - 5, len(loud)) if loud[i]) * 0.01
        assert -0.05 <= onset - st["start"] <= 0.3, (st["id"], onset, st["start"])
        assert st["end"] - st["start"] >= st["clip"]["duration"] + 0.4 - 1e-6
        tail = audio[int((st["end"] - 0.15) * rate):int(st["end"] * rate)]
        assert _rms_db(tail) < -45, f"the voice is cut off at the end of {st['id']}"
        assert voice.spoken_form(st["narration"]) == st["clip"]["spoken"]
    # the narration's loudness, as the viewer gets it: one channel (Manim's stereo upmix cost 3 dB), in the
    # chapter and in the course
    joined, jrate = audio_mod.read_audio(run / "course.mp4")
    for name in ("ch02-embedding.mp4", "course.mp4"):
        with av.open(str(run / name)) as c:
            assert c.streams.audio[0].codec_context.layout.name == "mono", name
    # the README's figures as literals, measured independently of narration/audio.py: pyloudnorm, and the BS.1770
    # Annex 2 true-peak meter of the tests (tests/bs1770_peak.py)
    import pyloudnorm
    from bs1770_peak import true_peak_dbtp
    for name, sound in (("chapter", audio), ("course", joined)):
        lufs = pyloudnorm.Meter(rate).integrated_loudness(sound.astype(np.float64))
        assert abs(lufs - (-16.0)) <= 0.5, f"the {name} measures {lufs:.2f} LUFS, not -16"
        assert true_peak_dbtp(sound) <= -1.0, f"the {name}'s true peak is {true_peak_dbtp(sound):.2f} dBTP"
    # the joined course carries the same sound
    n = min(joined.size, audio.size)
    assert jrate == rate and np.corrcoef(joined[:n], audio[:n])[0, 1] > 0.95
    # the folder a creator uploads
    for name in ("course.srt", "course.vtt", "ch02-embedding.srt", "ch02-embedding.vtt", "description.txt",
                 "thumbnail.png", "ch02-embedding.thumbnail.png", "narration.md"):
        assert (run / name).exists(), name
    for name in ("thumbnail.png", "ch02-embedding.thumbnail.png"):
        assert Image.open(run / name).size == (1280, 720) and (run / name).stat().st_size < 2_000_000
    assert (run / "course.vtt").read_text().startswith("WEBVTT")
    assert "voice" in (run / "narration.md").read_text()
