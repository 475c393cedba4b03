"""Captions people can read: the cue rules as properties, for random narrations with numbers, long words
and CJK, timed by reading speed or by a voice's sentences."""
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from narration import captions
from narration.captions import MAX_CPS, MAX_CUE, MAX_LINE, MIN_CUE


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
    # word for word: nothing dropped, nothing added
    shown = " ".join(line for c in cues for line in c.lines)
    assert re.sub(r"\s", "", shown) == re.sub(r"\s", "", text)
    # the rule for words: a word that fits a line is never split; a word longer than a line is cut every
    # 42 characters, each cut piece filling a line of its own and the rest starting the next line
    tokens = [w for c in cues for line in c.lines for w in line.split(" ")]
    assert tokens == _pieces(text), (tokens, _pieces(text))


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


def _nonspace(s: str) -> int:
    return len(re.sub(r"\s", "", s))


@settings(max_examples=200, deadline=None)
@given(narrations, st.floats(8, 18), st.floats(0.15, 0.5), st.floats(1.0, 4.0))
def test_every_cue_is_shown_while_its_sentences_are_said(text, cps, gap, tail):
    """Sentences said at 8 to 18 characters a second with pauses between them, in a step that lasts at least
    a cue's minimum (1 s) past the last one. A cue appears no earlier than the start of the first sentence
    whose words it shows, and is gone by the end of the last one, unless it must stay longer by the rules
    (at least 1 s, at most 20 characters a second), and then by no more than that."""
    sentences, t = [], 0.05
    for s in captions.split_sentences(text):
        d = max(0.3, len(s) / cps)
        sentences.append({"text": s, "start": t, "end": t + d})
        t += d + gap
    start = 5.0
    end = start + max(sentences[-1]["end"] + tail, captions.min_duration(text))
    cues = captions.step_cues(text, start, end, sentences)
    spans, pos = [], 0                         # each sentence's characters (without spaces) and its time
    for s in sentences:
        n = _nonspace(s["text"])
        spans.append((pos, pos + n, start + s["start"], start + s["end"]))
        pos += n
    pos = 0
    for c in cues:
        a, b = pos, pos + _nonspace(c.text)
        pos = b
        said = [sp for sp in spans if sp[0] < b and a < sp[1]]     # the sentences this cue shows words of
        first_start, last_end = said[0][2], said[-1][3]
        need = max(MIN_CUE, c.chars / MAX_CPS)
        assert c.start >= first_start - 1e-3, (c, first_start)
        assert c.start < said[0][3], (c, "appears after its first sentence is over")
        assert c.end <= max(last_end, c.start + need) + 1e-3, (c, last_end, need)


FRAME = 1 / 60    # one frame of the smoothest look (60 fps)


def test_cues_follow_hand_timed_sentences():
    """A clip whose sentence timings are given by hand, in a step from 10 s to 28 s. The first two sentences
    each fit one cue of two lines (57 and 66 characters; together they would not fit one), so each cue is its
    sentence's time exactly. The third (144 characters, 119 without spaces, said from 8.3 to 16.5 s after the
    step's start, 8.2 s) needs three cues; each gets the sentence's time in proportion to its characters
    without spaces: 44 (19 + 25), 42 (24 + 18) and 33."""
    s1 = "Every query is compared with every key, by a dot product."
    s2 = "The softmax turns each row of scores into weights that sum to one."
    s3 = ("Masked cells get minus infinity before the softmax, so their weights are exactly zero and no token "
          "ever looks ahead at the words that follow it.")
    sentences = [{"text": s1, "start": 0.6, "end": 3.8}, {"text": s2, "start": 4.1, "end": 7.9},
                 {"text": s3, "start": 8.3, "end": 16.5}]
    cues = captions.step_cues(f"{s1} {s2} {s3}", 10.0, 28.0, sentences)
    assert [c.lines for c in cues] == [
        ("Every query is compared with", "every key, by a dot product."),
        ("The softmax turns each row of", "scores into weights that sum to one."),
        ("Masked cells get minus", "infinity before the softmax,"),
        ("so their weights are exactly", "zero and no token ever"),
        ("looks ahead at the words that follow it.",),
    ]
    expected = [(10.6, 13.8), (14.1, 17.9),
                (18.3, 21.3319),       # 18.3 + 8.2 × 44/119
                (21.3319, 24.2261),    # 18.3 + 8.2 × 86/119
                (24.2261, 26.5)]
    assert len(cues) == len(expected)
    for cue, (a, b) in zip(cues, expected):
        assert abs(cue.start - a) <= FRAME and abs(cue.end - b) <= FRAME, (cue, a, b)


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
