"""Hostile input, rendered: the sentences of issue 12 through chapters 1, 3, 4, 9 and 10 in dry-run mode.

At every key moment of every chapter built here: nothing is off-frame, every piece of text made by the text
factory (scenes/components/text.py, which marks what it makes with drawn_text and glyph_count) has glyphs,
no Text was made around it, and every number of a NumericMatrix on screen is at least 10 px tall at
854×480. Over the chapter, every token of the sentences it shows is drawn (a label cut with an ellipsis
counts by its full_text). And the build raises nothing.

Cost. A dry run of one chapter costs 3-15 s of CPU, so the ten sentences are not ten examples times five
chapters (fifty dry runs, about ten minutes). They share examples, and each example runs the chapters
where its hazard lives:
- Arabic (source) and Hebrew (target), with the emoji, LaTeX-specials and Pango-markup sentences as corpus
  lines (the tokenizer drops emoji and symbols, so a corpus line in chapter 1 is where they are drawn
  raw): chapters 1, 3, 9, 10, every component that draws a token (chips, vocabulary grid, sentence line,
  matrix labels, heatmap labels, bars' labels, headings).
  Chapter 4 is left out here: its labels are NumericMatrix labels as in chapters 3 and 9.
- Devanagari (source) and Thai (target); mixed CJK and Latin with the character tokenizer: chapter 1, which
  draws both sentences as chips, the source as the one-hot matrix's row labels, the vocabulary grid and
  the corpus lines: every way a word meets the factory (word_text, fit_label, flat_text). Their shaping
  does not depend on the component; the right-to-left example checks the other components.
- the 58-character word: chapters 1, 3, 4, 9, 10 (layout is what it breaks).
- 12 words of 15 characters: chapters 1 (chips, vocabulary) and 4 (the 12 × 12 attention matrix with its
  labels); chapter 3's label room is the 58-character word's case.
Thirteen dry runs: about 100 s of CPU in all, 60 s of wall time with two workers on two cores
(measure with --durations).
"""
import math
from functools import lru_cache

import pytest
from manim import Text, config

from mathcore import Config, build_example
from scene_utils import construct_chapter, mobjects_outside_frame
from scenes.base import ChapterScene
from scenes.components.matrix import NumericMatrix

pytestmark = pytest.mark.slow

MIN_DIGIT_PX = 10          # rendered digit height at 854×480

EMOJI = "I love 😀 and tea ☕ with you ❤"
ARABIC = "مرحبا بالعالم الجميل"
HEBREW = "שלום עולם יפה"
DEVANAGARI = "नमस्ते दुनिया सुंदर"
THAI = "สวัสดี ครับ โลก"
CJK_LATIN = "我爱AI模型"
LONG_WORD = "pneumonoultramicroscopicsilicovolcanoconiosis" + "x" * 13
assert len(LONG_WORD) == 58
FIFTEEN = ["internationalis", "extraordinarily", "counterintuitiv", "misunderstandin", "incomprehensibl",
           "uncharacteristi", "disproportionat", "electromagnetis", "photosynthesiss", "telecommunicati",
           "institutionalis", "indistinguishab"]
assert all(len(w) == 15 for w in FIFTEEN)
LATEX = r"cost \ $ & % # _ { } ~ ^ now"
MARKUP = "<b>x</b> &amp; more"

EXAMPLES = {
    "rtl-emoji-injection": Config(corpus=(ARABIC, HEBREW, EMOJI, LATEX, MARKUP), source=ARABIC, target=HEBREW),
    "devanagari-thai": Config(corpus=(DEVANAGARI, THAI), source=DEVANAGARI, target=THAI),
    "cjk-latin-char": Config(corpus=(CJK_LATIN, "hello世界"), source=CJK_LATIN, target="hello世界",
                             tokenizer="char"),
    "58-char-word": Config(source=f"the {LONG_WORD} storm", target="you win"),
    "12x15-char-words": Config(source=" ".join(FIFTEEN), target="you win"),
}
CHAPTERS = {
    "rtl-emoji-injection": (1, 3, 9, 10),
    "devanagari-thai": (1,),
    "cjk-latin-char": (1,),
    "58-char-word": (1, 3, 4, 9, 10),
    "12x15-char-words": (1, 4),
}
# the token sequences a chapter must draw (of a long one, the tokens an elided matrix keeps: the first
# ones and the last)
SHOWS = {1: ("source", "target_input"), 3: ("source",), 4: ("source",), 9: ("source", "target_input"),
         10: ("target_input",)}
CASES = [(name, ch) for name in EXAMPLES for ch in CHAPTERS[name]]


@lru_cache(maxsize=None)
def example(name: str):
    return build_example(EXAMPLES[name])


def inspect(scene, moment: str) -> dict:
    """What is wrong on screen now (lists of readable descriptions), and the text drawn."""
    px = config.pixel_height / config.frame_height
    found = {"off-frame": [], "no glyphs": [], "unmarked Text": [], "small numbers": [], "drawn": set()}
    for m in mobjects_outside_frame(scene):
        found["off-frame"].append(f"{moment}: {type(m).__name__} spans x {m.get_left()[0]:.2f}..{m.get_right()[0]:.2f},"
                                  f" y {m.get_bottom()[1]:.2f}..{m.get_top()[1]:.2f}")
    seen = set()
    for top in scene.mobjects:
        for m in top.get_family():
            if id(m) in seen:
                continue
            seen.add(id(m))
            text = getattr(m, "drawn_text", None)
            if text is not None:
                found["drawn"].add(getattr(m, "full_text", text))
                if text.strip() and (not m.glyph_count or max(m.width, m.height) <= 1e-6):
                    found["no glyphs"].append(f"{moment}: {text!r}")
            elif isinstance(m, Text):
                found["unmarked Text"].append(f"{moment}: {m.original_text!r}")
            if isinstance(m, NumericMatrix):
                for cell in m.cells.values():
                    if math.isfinite(cell.value) and cell.text.get_fill_opacity() > 0:
                        h = cell.text.height * px
                        if h < MIN_DIGIT_PX - 1e-6:
                            found["small numbers"].append(f"{moment}: {cell.value:.2f} is {h:.1f} px tall")
                            break
    return found


@pytest.mark.parametrize("name, chapter", CASES, ids=[f"{n}-ch{c:02d}" for n, c in CASES])
def test_hostile_sentence_renders(name, chapter, monkeypatch):
    ex = example(name)
    reports = []
    key_moment = ChapterScene.key_moment

    def checked_key_moment(self, step_id):
        reports.append(inspect(self, step_id))
        return key_moment(self, step_id)

    monkeypatch.setattr(ChapterScene, "key_moment", checked_key_moment)
    scene = construct_chapter(chapter, ex)     # raises nothing
    assert reports, "the chapter has key moments"
    reports.append(inspect(scene, "end"))
    for kind in ("off-frame", "no glyphs", "unmarked Text", "small numbers"):
        problems = [p for r in reports for p in r[kind]]
        assert not problems, f"{kind}: " + "; ".join(problems[:6])
    drawn = set().union(*(r["drawn"] for r in reports))
    for seq in SHOWS[chapter]:
        tokens = list(ex.tokens[seq])
        must = tokens if len(tokens) <= 8 else tokens[:4] + tokens[-1:]
        missing = [t for t in must if t not in drawn]
        assert not missing, f"{seq} tokens never drawn as themselves: {missing}"
