"""Chapters 0 (overview) and 1 (tokens and vocabulary), and the token chips they are built from.

Dry runs of both chapters on every layout configuration (plus a 60+ word vocabulary): nothing off-frame,
no text under 18 points after scaling, the steps the chapter promises, and the chips, ids and one-hot cells
on screen equal to the record."""
import pytest

from conftest import BIG_CORPUS, LAYOUT_CONFIGS
from mathcore import Config, build_example
from scene_utils import construct_chapter, mobjects_outside_frame
from scenes.components import NumericMatrix, TokenChip, TokenGrid, TokenRow
from scenes.theme import DARK

CONFIGS = dict(LAYOUT_CONFIGS)
CONFIGS["big-vocab"] = Config(corpus=BIG_CORPUS, source="a mind needs books as a sword needs a whetstone",
                              target="winter is coming and the night is dark")
MIN_FONT = DARK.size_min
FRAME_W, FRAME_H = 14.222, 8.0

CH00_STEPS = ["ch00.architecture", "ch00.flow", "ch00.sizes", "ch00.map"]
CH01_STEPS = ["ch01.corpus", "ch01.tokenize", "ch01.vocab", "source.ids", "source.onehot", "ch01.shift",
              "target.ids", "ch01.summary"]

_examples: dict = {}


@pytest.fixture(scope="module")
def media_dir(tmp_path_factory):
    """Manim's text cache for this worker alone (workers writing one cache race each other)."""
    return tmp_path_factory.mktemp("media")


def example(name):
    if name not in _examples:
        _examples[name] = build_example(CONFIGS[name])
    return _examples[name]


def common_checks(scene, steps):
    assert 40 <= scene.renderer.time <= 180, f"lasts {scene.renderer.time:.1f} s"
    assert [e["id"] for e in scene.timeline] == steps
    assert not mobjects_outside_frame(scene), "something is drawn off-frame at the end"
    small = {k: round(float(v), 1) for k, v in scene.exposed["fonts_shown"].items() if v < MIN_FONT - 1e-6}
    assert not small, f"text smaller than {MIN_FONT} after scaling: {small}"


# ---------------------------------------------------------------- chapter 1
@pytest.mark.parametrize("name", list(CONFIGS))
def test_ch01_data(name, media_dir):
    ex = example(name)
    scene = construct_chapter(1, ex, tmp_path=media_dir)
    common_checks(scene, CH01_STEPS)

    # the vocabulary grid: every chip shown is its vocabulary entry with its id; the sentences' ids are shown
    grid = scene.exposed["vocab_grid"]
    for i in grid.shown_indices():
        chip = grid.get_chip(i)
        assert chip.token == ex.vocab[i] and chip.token_id == i
    used = set(ex.value("source.ids").tolist()) | set(ex.value("target.ids").tolist())
    assert used <= set(grid.shown_indices())
    if len(ex.vocab) <= 60:
        assert grid.shown_indices() == list(range(len(ex.vocab))), "a vocabulary of this size shows in full"

    # the source row: exactly the recorded tokens and ids
    row = scene.exposed["source_row"]
    assert [c.token for c in row.chips] == list(ex.tokens["source"])
    assert [c.token_id for c in row.chips] == ex.value("source.ids").tolist()

    # the one-hot matrix: every drawn cell equals the record, the ids used are all drawn
    rec = ex.step("source.onehot")
    M = scene.exposed["onehot"]
    assert isinstance(M, NumericMatrix)
    for (i, j), cell in M.cells.items():
        assert cell.value == rec.value[i, j]
    for i, j in enumerate(ex.value("source.ids")):
        if i in M.shown_row_indices():
            assert M.get_cell(i, int(j)).value == 1.0

    # the target: input (shifted right behind <start>) with its recorded ids, labels one place on
    top, bottom = scene.exposed["target_rows"]
    assert [c.token for c in top] == list(ex.tokens["target_input"])
    assert [c.token_id for c in top] == ex.value("target.ids").tolist()
    assert [c.token for c in bottom] == list(ex.tokens["target_labels"])
    assert top[0].token == "<start>" and bottom[-1].token == "<end>"

    # the vocabulary grid and the sentence under it do not overlap
    assert grid.get_bottom()[1] > row.get_top()[1]


# ---------------------------------------------------------------- chapter 0
@pytest.mark.parametrize("name", list(CONFIGS))
def test_ch00_overview(name, media_dir):
    ex = example(name)
    scene = construct_chapter(0, ex, tmp_path=media_dir)
    common_checks(scene, CH00_STEPS)
    assert [c.token for c in scene.exposed["src"].chips] == list(ex.tokens["source"])
    assert [c.token for c in scene.exposed["tgt"].chips] == list(ex.tokens["target_input"])
    assert [c.token for c in scene.exposed["pred"].chips] == list(ex.tokens["predicted"])
    # every chapter from 1 to 10 is in the legend with its registered title, and has a badge on the diagram
    import scenes
    assert [e.number for e in scene.exposed["legend"]] == [c.number for c in scenes.CHAPTERS if 1 <= c.number <= 10]
    assert {b.number for b in scene.exposed["badges"]} == set(range(1, 11))
    # the flow's narration is honest about the predictions: it carries the record's own sentence
    flow = next(e for e in scene.timeline if e["id"] == "ch00.flow")
    assert ex.step("output.predicted").narration in flow["narration"]
    sizes = next(e for e in scene.timeline if e["id"] == "ch00.sizes")
    assert f"{ex.config.d_model} numbers instead of 512" in sizes["narration"]
    assert f"{len(ex.vocab)} tokens" in sizes["narration"]


# ---------------------------------------------------------------- token chips
def inside(mob, width, height):
    return mob.width <= width + 1e-6 and mob.height <= height + 1e-6


def test_token_chip_draws_word_and_id():
    chip = TokenChip("won't", DARK, token_id=23)
    assert chip.token == "won't" and chip.token_id == 23
    assert chip.get_id_label() is not None and chip.get_id_label().get_top()[1] < chip.get_box().get_bottom()[1]
    assert chip.highlight() is chip and chip.set_accent(DARK.key) is chip
    assert TokenChip("die", DARK).get_id_label() is None
    # chips of one size share their height whatever the glyphs (descenders, CJK)
    heights = {round(TokenChip(t, DARK).get_box().height, 6) for t in ("a", "game", "凛", "Привет", "<start>")}
    assert len(heights) == 1


def test_token_row_fits_thirteen_long_tokens():
    long = ["internationalization", "extraordinarily", "counterproductive", "incomprehensibilities"] * 3 + ["x"]
    width = FRAME_W - 0.6
    row = TokenRow(long, DARK, ids=list(range(13)), max_width=width, max_height=FRAME_H - 1.5)
    assert inside(row, width, FRAME_H - 1.5)
    assert row.min_font_size_shown >= MIN_FONT
    assert len(row.lines) > 1, "thirteen long words wrap rather than shrink to nothing"
    assert [row.get_chip(i).token for i in range(13)] == long
    assert row.highlight(3) is row


@pytest.mark.parametrize("tokens", [
    ["<start>", "when", "you", "play", "the", "game", "of", "thrones", "you", "win", "or", "you", "die"],
    ["storm"],
    list("凛冬将至我们会赢长夜将至我"),
    ["café", "crème", "brûlée", "ça", "va", "привет", "мир"],
])
def test_token_row_layouts(tokens):
    width = FRAME_W - 0.6
    row = TokenRow(tokens, DARK, ids=list(range(len(tokens))), max_width=width)
    assert inside(row, width, FRAME_H)
    assert row.min_font_size_shown >= MIN_FONT
    if len(tokens) <= 13 and max(map(len, tokens)) <= 8:
        assert len(row.lines) == 1, "a sentence of short words stays on one line"
    # chips are in order, left to right, lines top to bottom
    assert [i for line in row.lines for i in line] == list(range(len(tokens)))
    for line in row.lines:
        xs = [row.get_chip(i).get_x() for i in line]
        assert xs == sorted(xs)
    for a, b in zip(row.lines, row.lines[1:]):
        assert row.get_chip(a[0]).get_box().get_bottom()[1] > row.get_chip(b[0]).get_box().get_top()[1]


def test_token_row_rejects_mismatched_ids():
    with pytest.raises(ValueError, match="one id per token"):
        TokenRow(["a", "b"], DARK, ids=[1])


def test_token_grid_holds_a_large_vocabulary_and_elides_beyond():
    words = ["<start>", "<end>"] + [f"word{k:03d}" for k in range(70)]
    grid = TokenGrid(words, DARK, max_width=13.0, max_height=5.3, keep=[40])
    assert inside(grid, 13.0, 5.3) and grid.min_font_size_shown >= MIN_FONT
    assert grid.get_chip(40).token == "word038" and grid.get_chip(40).token_id == 40
    huge = ["<start>", "<end>"] + [f"word{k:03d}" for k in range(300)]
    grid = TokenGrid(huge, DARK, max_width=13.0, max_height=5.3, keep=[250, 7])
    assert inside(grid, 13.0, 5.3) and grid.min_font_size_shown >= MIN_FONT
    assert {0, 1, 7, 250} <= set(grid.shown_indices()) and len(grid.ellipses) >= 1
    with pytest.raises(IndexError):
        grid.get_chip(299)
    # specials much wider than single characters get a line of their own
    cjk = TokenGrid(["<start>", "<end>"] + list("凛冬将至我们会赢长夜"), DARK)
    assert cjk.specials_apart
