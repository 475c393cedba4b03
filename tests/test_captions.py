"""Captions people can read: the cue rules as properties, for random narrations with numbers, long words
and CJK, timed by reading speed or by a voice's sentences."""
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import captions
from captions import MAX_CPS, MAX_CUE, MAX_LINE, MIN_CUE


def _words():
    plain = st.sampled_from(["the", "softmax", "of", "each", "row", "tokens", "W_Q", "d_model", "<start>",
                             "attention", "weights", "sum", "to", "1", "and", "keys", "values", "é", "über"])
    number = st.builds(lambda v, d: f"{v:.{d}f}".replace("-", "−"), st.floats(-99, 99, allow_nan=False),
                       st.integers(0, 4))
    long_word = st.text(alphabet="abcdefghij", min_size=30, max_size=130)
    cjk = st.text(alphabet="凛冬将至我们会赢长夜守望", min_size=1, max_size=120)
    punct = st.sampled_from([",", ";", ":", ".", "?", "!"])
    word = st.one_of(plain, plain, plain, number, long_word, cjk)
    return st.lists(st.tuples(word, st.one_of(st.just(""), punct)), min_size=1, max_size=60)


narrations = _words().map(lambda ws: " ".join(w + p for w, p in ws))


def _pieces(text: str) -> list[str]:
    out = []
    for w in text.split():
        out.extend(w[i:i + MAX_LINE] for i in range(0, len(w), MAX_LINE))
    return out


def check_rules(text: str, cues, start: float, end: float):
    assert cues, "every narration has captions"
    prev_end = start
    for c in cues:
        assert 1 <= len(c.lines) <= 2 and all(0 < len(line) <= MAX_LINE for line in c.lines), c.lines
        dur = c.end - c.start
        assert MIN_CUE - 2e-3 <= dur <= MAX_CUE + 2e-3, (dur, c)
        assert c.chars / dur <= MAX_CPS + 0.05, (c.chars / dur, c)
        assert c.start >= prev_end - 1e-9, "cues never overlap"
        prev_end = c.end
    assert cues[0].start >= start - 1e-9 and cues[-1].end <= end + 1e-6
    # word for word: nothing dropped, nothing added (a word longer than a line continues on the next)
    shown = " ".join(line for c in cues for line in c.lines)
    assert re.sub(r"\s", "", shown) == re.sub(r"\s", "", text)
    assert _pieces(shown) == _pieces(text) or shown.split() != text.split()
    assert [w for w in shown.split() if len(w) <= MAX_LINE] == [w for w in _pieces(text) if len(w) <= MAX_LINE] \
        or any(len(w) > MAX_LINE for w in text.split())


def _breaks_inside_fitting_sentences(text: str, cues) -> list[str]:
    """Sentences that fit in one cue but were split across two."""
    bounds, pos = [], 0
    for c in cues:
        pos += len(re.sub(r"\s", "", "".join(c.lines)))
        bounds.append(pos)
    bad, pos = [], 0
    for s in captions.split_sentences(text):
        n = len(re.sub(r"\s", "", s))
        if len(s) <= 2 * MAX_LINE - 10 and all(len(w) <= 20 for w in s.split()):
            if any(pos < b < pos + n for b in bounds):
                bad.append(s)
        pos += n
    return bad


@settings(max_examples=150, deadline=None)
@given(narrations, st.floats(0, 30))
def test_reading_speed_cues_keep_the_rules(text, slack):
    start = 12.5
    end = start + captions.min_duration(text) + slack
    cues = captions.step_cues(text, start, end)
    check_rules(text, cues, start, end)
    assert not _breaks_inside_fitting_sentences(text, cues)


@settings(max_examples=150, deadline=None)
@given(narrations, st.floats(0.5, 1.6), st.floats(0, 3))
def test_voice_timed_cues_keep_the_rules(text, pace, tail):
    """Sentence timings as a voice gives them (about 15 characters a second times pace, with gaps)."""
    sentences, t = [], 0.02
    for s in captions.split_sentences(text):
        d = max(0.3, len(s) / (15 * pace))
        sentences.append({"text": s, "start": t, "end": t + d})
        t += d + 0.25
    start = 3.0
    end = start + max(t + 0.4, captions.min_duration(text)) + tail
    cues = captions.step_cues(text, start, end, sentences)
    check_rules(text, cues, start, end)
    assert not _breaks_inside_fitting_sentences(text, cues)


def test_voice_timing_follows_the_sentences():
    text = "The keys: what each token offers to be matched against. Then the values."
    sentences = [{"text": "The keys: what each token offers to be matched against.", "start": 0.0, "end": 3.4},
                 {"text": "Then the values.", "start": 3.65, "end": 4.9}]
    cues = captions.step_cues(text, 10.0, 16.0, sentences)
    assert [c.text for c in cues] == ["The keys: what each token offers\nto be matched against. Then the values."] \
        or cues[0].start == pytest.approx(10.0)
    assert cues[0].start == pytest.approx(10.0)


def test_a_cue_never_shows_for_half_a_minute():
    """The bug that started this: one cue per step, 32 s on screen with 90 words."""
    text = " ".join(["Every query is compared with every key by a dot product."] * 8)
    cues = captions.step_cues(text, 0.0, 32.0)
    check_rules(text, cues, 0.0, 32.0)
    assert len(cues) >= 6


def test_srt_and_vtt_keep_user_text_literal():
    cues = captions.step_cues("the tokens “<b>x</b> &amp;” and “\\ $ & % # _ { } ~ ^” stay as typed.", 0, 9)
    srt = captions.to_srt(cues)
    vtt = captions.to_vtt(cues)
    assert vtt.startswith("WEBVTT")
    assert "&lt;b&gt;x&lt;/b&gt; &amp;amp;" in vtt and "{ } ~ ^" in vtt
    assert "<\u200bb>x<\u200b/b>" in srt and "\\ $ & % # _ { } ~ ^" in srt.replace("\n", " ")
    import srt as srt_lib
    parsed = list(srt_lib.parse(srt))
    assert [p.content.replace("\u200b", "") for p in parsed] == [c.text for c in cues]
    import webvtt
    import io
    read = webvtt.from_buffer(io.StringIO(vtt))
    assert [c.start for c in read] == [captions.vtt_time(c.start) for c in cues]
