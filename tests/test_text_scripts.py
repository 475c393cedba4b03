"""The text factory (scenes/components/text.py) draws every script, literally, or fails loudly.

Fast checks, no scene: Arabic and Hebrew words have all their glyphs, in right-to-left order within the
word; Pango markup and LaTeX specials come out as the characters typed; a character no font covers is an
UndrawableTextError naming the text and the font; long labels are cut with an ellipsis at a fixed width.
"""
import numpy as np
import pytest

from scenes.components.matrix import NumericMatrix
from scenes.components.text import (ELLIPSIS, UndrawableTextError, ellipsize, fit_label, flat_text,
                                    label_max_width, make_text)
from scenes.components.tokens import TokenChip, word_text
from scenes.theme import DARK

FONT = DARK.font
ARABIC, HEBREW = "مرحبا", "שלום"          # no lam-alef: one glyph per letter, joined or not
MARKUP, LATEX = "<b>x</b> &amp;", "\\ $ & % # _ { } ~ ^"
LONG = "pneumonoultramicroscopicsilicovolcanoconiosis" + "x" * 13     # 58 characters


def glyphs(t):
    """The glyphs of a Text, left to right on screen."""
    return sorted((m for m in t.submobjects if len(m.points)), key=lambda m: m.get_center()[0])


def one_by_one(s: str) -> int:
    return sum(make_text(c, font=FONT, font_size=24).glyph_count for c in s if not c.isspace())


@pytest.mark.parametrize("word", [ARABIC, HEBREW], ids=["arabic", "hebrew"])
def test_right_to_left_word_has_all_its_glyphs(word):
    t = make_text(word, font=FONT, font_size=24)
    assert t.glyph_count == len(glyphs(t)) == one_by_one(word) == len(word)
    # the flat copy (matrix labels, bars), the chip's word and a scene heading draw the same glyphs
    flat = flat_text(word, FONT, 24, "#ffffff")
    assert flat.glyph_count == len(word) and flat.width == pytest.approx(t.width, rel=1e-6)
    chip = TokenChip(word, DARK, 3)
    assert chip.get_label().glyph_count == len(word) and chip.get_label().width > 0.3


def test_hebrew_letters_run_right_to_left():
    """Hebrew letters do not join, so each glyph is the letter's own shape: read from the right, the glyphs'
    widths are the letters' widths in the order typed (mirrored, they would not be)."""
    t = make_text(HEBREW, font=FONT, font_size=24)
    shown = [g.width for g in reversed(glyphs(t))]
    typed = [make_text(c, font=FONT, font_size=24).width for c in HEBREW]
    assert shown == pytest.approx(typed, abs=1e-3)
    assert shown != pytest.approx(typed[::-1], abs=1e-3)


def test_arabic_word_keeps_its_first_letter_on_the_right():
    """The first letter (meem, joined to the next) is the rightmost glyph: its initial form is as wide as
    the same letter at the start of a two-letter word, also shaped right to left."""
    t = make_text(ARABIC, font=FONT, font_size=24)
    pair = make_text(ARABIC[:2], font=FONT, font_size=24)
    assert glyphs(t)[-1].width == pytest.approx(glyphs(pair)[-1].width, abs=1e-3)
    assert glyphs(t)[0].width == pytest.approx(make_text(ARABIC[-1], font=FONT, font_size=24).width, abs=0.05)


@pytest.mark.parametrize("s", [MARKUP, LATEX], ids=["pango-markup", "latex-specials"])
def test_injection_strings_come_out_literally(s):
    """Markup would draw only 'x' and '&' (2 glyphs); LaTeX would fail or eat the specials."""
    expected = sum(1 for c in s if not c.isspace())
    for mob in (make_text(s, font=FONT, font_size=24), flat_text(s, FONT, 24, "#ffffff"),
                word_text(s, FONT, 24, "#ffffff")[0]):
        assert mob.glyph_count == expected == one_by_one(s)
        assert mob.drawn_text == s


@pytest.mark.parametrize("s", ["नमस्ते", "สวัสดี", "안녕하세요", "привет", "凛冬将至", "café", "😀"])
def test_other_scripts_still_draw(s):
    t = make_text(s, font=FONT, font_size=24)
    assert t.glyph_count >= 1 and t.width > 0.2


def test_whitespace_is_a_spacer_not_an_error():
    assert flat_text("   ", FONT, 24, "#ffffff").glyph_count == 0
    assert TokenChip(" ", DARK).get_label().glyph_count == 0


@pytest.mark.parametrize("s, bad", [("word\U0010fffd", "\U0010fffd"), ("x\u0378y", "\u0378"), ("\u200b", None)],
                         ids=["private-use", "unassigned", "zero-width-only"])
def test_text_that_cannot_draw_raises_one_clear_sentence(s, bad):
    with pytest.raises(UndrawableTextError) as err:
        flat_text(s, FONT, 24, "#ffffff")
    msg = str(err.value)
    assert s in msg and FONT in msg and "\n" not in msg and msg.endswith(".")
    assert err.value.char == bad
    assert isinstance(err.value, ValueError)
    with pytest.raises(UndrawableTextError):
        TokenChip(s, DARK)


def test_long_label_is_cut_with_an_ellipsis_at_the_fixed_width():
    cap = label_max_width(20)
    label = fit_label(LONG, FONT, 20, "#ffffff", cap)
    assert label.width <= cap + 1e-6 and label.full_text == LONG
    assert label.drawn_text.endswith(ELLIPSIS) and LONG.startswith(label.drawn_text[:-1])
    assert len(label.drawn_text) > 8                      # as much of the word as fits, not a stub
    assert fit_label("storm", FONT, 20, "#ffffff", cap).drawn_text == "storm"
    # a right-to-left word: its ellipsis is at its visual end, the left
    cut = ellipsize("ا" * 3 + ARABIC * 6, FONT, 20.0, 1.5)
    t = make_text(cut, font=FONT, font_size=20)
    dots = make_text(ELLIPSIS, font=FONT, font_size=20)
    assert glyphs(t)[0].width == pytest.approx(dots.width, abs=1e-3) and t.width <= 1.5 + 1e-6


def test_long_row_label_leaves_the_numbers_alone():
    values = np.array([[0.5, -1.25], [2.0, 0.0]])
    short = NumericMatrix(values, DARK, row_labels=["a", "b"], col_labels=["a", "b"])
    long = NumericMatrix(values, DARK, row_labels=["a", LONG], col_labels=[LONG, "b"])
    assert long.row_labels[1].width <= label_max_width(20) + 1e-6
    assert long.row_labels[1].full_text == LONG
    assert long.width < short.width + label_max_width(20)
    assert long.get_cell(0, 0).text.height == pytest.approx(short.get_cell(0, 0).text.height)


def test_heatmap_and_bars_labels_draw_right_to_left_words_and_cut_long_ones():
    from scenes.components.bars import ProbabilityBars
    from scenes.components.heatmap import WeightsHeatmap
    words = [ARABIC, HEBREW, LONG]
    heat = WeightsHeatmap(np.full((3, 3), 1 / 3), DARK, cell_size=0.5, row_labels=words, col_labels=words)
    bars = ProbabilityBars(np.array([0.5, 0.3, 0.2]), DARK, labels=words, direction="right")
    for labels, size in ((heat.row_labels, 18), (heat.col_labels, 18), (bars.labels, 18)):
        assert [labels[k].glyph_count for k in (0, 1)] == [len(ARABIC), len(HEBREW)]
        assert labels[2].full_text == LONG and labels[2].drawn_text.endswith(ELLIPSIS)
        assert max(labels[2].width, labels[2].height) <= label_max_width(size) + 1e-6
