"""The everyday outputs as a blogger, a teacher and a creator use them: the post in the video's order,
Markdown that shows <start>, light stills for white pages, step ids that can be found, data folders that
never mix, vocabularies in the sentence's own language, titles as typed, and narration for people."""
import json
import re
import resource
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from markdown_it import MarkdownIt
from PIL import Image

import render
from mathcore import Config, build_example
from mathcore.config import DEFAULT_CORPUS
from pipeline.runfolder import example_folder, following_chapters
from publish.data import data_markdown, data_markdown_step
from publish.description import description_txt
from publish.post import post_sections
from publish.text import md_text
from publish.thumbnail import thumbnail_png
import scenes
from scene_utils import construct_chapter

ROOT = Path(__file__).resolve().parents[1]


def invoke(*args):
    return CliRunner().invoke(render.cli, list(args), catch_exceptions=False)


class _Text(HTMLParser):
    """The text a reader sees in rendered HTML (tags dropped, entities decoded)."""
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []

    def handle_data(self, data):
        self.parts.append(data)


def shown_text(markdown: str) -> str:
    html = MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown)
    p = _Text()
    p.feed(html)
    return "".join(p.parts)


# ---------------------------------------------------------------- Markdown

def test_markdown_shows_start_and_end_tokens():
    """GitHub and static-site generators pass HTML through: a raw <start> is an unknown tag and vanishes."""
    ex = build_example(Config())
    md = data_markdown(ex)
    seen = shown_text(md)
    assert "<start>" in seen and "<end>" in seen
    # the decoder's scores table has <start> as a row and a column label
    step = shown_text(data_markdown_step(ex, ex.step("decoder.0.self_attn.head1.weights")))
    assert step.count("<start>") == 2
    # markup in words stays text
    assert shown_text(md_text("a|b *c* _d_ `e` [f](g) <b>&amp;")).strip() == "a|b *c* _d_ `e` [f](g) <b>&amp;"


def test_wide_one_hot_tables_are_elided_like_the_video():
    ex = build_example(Config())
    step = ex.step("source.onehot")
    md = data_markdown_step(ex, step)
    header = next(line for line in md.splitlines() if line.startswith("| "))
    cells = [c.strip() for c in header.strip("|").split("|")]
    assert len(cells) - 1 < len(ex.vocab) and "⋯" in cells
    # every token's own column is shown (the video's rule), so each row still has its 1
    assert all(tok in cells for tok in ex.tokens["source"])
    rows = [line for line in md.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert all(row.count("| 1 |") + row.rstrip().endswith("| 1 |") >= 1 for row in rows)


# ---------------------------------------------------------------- the post

def test_post_sections_follow_the_timeline():
    steps = [{"id": "a", "start": 0, "end": 2}, {"id": "b", "start": 2, "end": 5}, {"id": "c", "start": 5, "end": 6}]
    moments = {"c": 6, "a": 2, "b-work": 3.5, "b": 5, "early": 1}
    got = [(st["id"], ms) for st, ms in post_sections(steps, moments)]
    assert got == [("a", ["early", "a"]), ("b", ["b-work", "b"]), ("c", ["c"])]


def test_post_of_chapter_4_plays_in_order(tmp_path):
    """post.md's sections are chapter 4's steps in the order the video plays them (the dry run's timeline),
    every image sits under a heading and a paragraph of narration, and no still is left out."""
    ex = build_example(Config())
    run = tmp_path / "run"
    res = invoke("post", "4", "-q", "draft", "--out", str(run))
    assert res.exit_code == 0, res.output
    text = (run / "post.md").read_text()
    scene = construct_chapter(4, ex)
    want = [st["heading"] for st in scene.timeline]
    assert re.findall(r"^### (.+)$", text, re.M) == [md_text(h) for h in want]
    sections = re.split(r"^### .+$", text, flags=re.M)[1:]
    for sec, st in zip(sections, scene.timeline):
        paragraph = sec.strip().split("\n\n")[0]
        assert paragraph == md_text(st["narration"])
    images = re.findall(r"!\[[^\]]+\]\(stills/([^)]+)\)", text)
    assert sorted(images) == sorted(p.name for p in (run / "stills").glob("*.png"))
    assert {"ch04-self-attention-ch04.scores-work.png", "ch04-self-attention-ch04.one-entry-work.png"} <= set(images)
    # light by default: the corner of a still is the light theme's background
    corner = np.asarray(Image.open(run / "stills" / images[0]).convert("L"))[2, 2]
    assert corner > 200


# ---------------------------------------------------------------- stills

def test_stills_default_to_light_and_dark_on_request(tmp_path):
    for theme, args in (("light", ()), ("dark", ("--theme", "dark"))):
        run = tmp_path / theme
        res = invoke("stills", "2", "--at", "source.embedding", "-q", "draft", "--out", str(run), *args)
        assert res.exit_code == 0, res.output
        corner = np.asarray(Image.open(run / "stills" / "ch02-embedding-source.embedding.png").convert("L"))[2, 2]
        assert (corner > 200) if theme == "light" else (corner < 60)


def test_mistyped_step_id_fails_fast_and_names_the_closest(tmp_path):
    """No chapter process starts: the id is checked against the key-moment list first. Measured in CPU
    time of the command, which a loaded machine does not inflate."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run([sys.executable, "render.py", "stills", "4", "--at", "encoder.0.self_attn.head1.weight",
                           "--out", str(tmp_path / "run")], cwd=ROOT, capture_output=True, text=True, timeout=120)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "did you mean encoder.0.self_attn.head1.weights" in proc.stderr
    assert "render.py stills 4 --list" in proc.stderr
    assert cpu < 3.0, f"the check took {cpu:.1f} s of CPU"
    assert not (tmp_path / "run").exists()


def test_key_moment_list_names_ids_and_headings(tmp_path):
    res = invoke("stills", "2", "--list")
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    lines = lines[next(i for i, line in enumerate(lines) if line.startswith("2 · ")):]   # after the progress
    ids = [line.split()[0] for line in lines[1:]]
    assert ids == ["ch02.table", "source.onehot", "source.embedding", "source.embedding_scaled"]
    assert "Scaled embedding" in lines[-1]


# ---------------------------------------------------------------- data

def test_csv_tables_never_mix_examples(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = invoke("data", "--format", "csv", "-o", "tables")
    assert res.exit_code == 0, res.output
    res = invoke("data", "--format", "csv", "-o", "tables", "-s", "the storm brings", "--decoder-layers", "2")
    assert res.exit_code == 0, res.output
    names = {p.name for p in (tmp_path / "tables").glob("*.csv")}
    assert "decoder.1.ffn.out.csv" in names
    first = (tmp_path / "tables" / "source.input.csv").read_text().splitlines()
    assert [r.split(",")[0] for r in first[1:]] == ["the", "storm", "brings"]
    # the default folder is the example's own run folder
    res = invoke("data", "--format", "csv")
    ex = build_example(Config())
    assert (tmp_path / example_folder(ex) / "data" / "source.input.csv").exists()
    # a folder of other files is never replaced
    other = tmp_path / "mine"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    res = invoke("data", "--format", "csv", "-o", str(other))
    assert res.exit_code != 0 and "already holds other files" in res.output
    assert (other / "notes.txt").read_text() == "keep me"


# ---------------------------------------------------------------- languages and titles

def _english_words() -> set[str]:
    # an independent reading of the default corpus: lower-case runs of letters and apostrophes
    return {w for line in DEFAULT_CORPUS for w in re.findall(r"[a-z']+", line.lower())}


@pytest.mark.parametrize("source, target", [("él bebió café", "ella come pan con queso"),
                                            ("Où est la Bibliothèque ?", "elle est fermée")])
def test_other_languages_keep_to_their_own_words(source, target):
    ex = build_example(Config(source=source, target=target))
    pair = set(ex.tokens["source"]) | set(ex.tokens["target_labels"])
    strays = (set(ex.vocab) - pair - {"<start>", "<end>"}) & _english_words()
    assert not strays, f"English corpus words in a non-English vocabulary: {sorted(strays)}"


def test_english_pairs_keep_the_default_corpus():
    ex = build_example(Config(source="she forgot her sentence", target="the storm is here"))
    assert {"drink", "thrones", "brings"} <= set(ex.vocab)
    assert len(build_example(Config()).vocab) == 25


def test_titles_show_the_sentence_as_typed():
    typed = "Où est la Bibliothèque ?"
    ex = build_example(Config(source=typed, target="elle est fermée"))
    chapters = [{"number": 2, "slug": "ch02-embedding", "title": "Embedding", "start": 0.0, "duration": 40.0,
                 "steps": [{"id": "source.embedding", "start": 0.0, "end": 20.0, "narration": "x"},
                           {"id": "source.embedding_scaled", "start": 20.0, "end": 40.0, "narration": "y"}]}]
    text = description_txt(chapters, ex, 40.0, "joe")
    assert f"“{typed}”" in text.splitlines()[0]
    assert ex.tokens["source"] == ("où", "est", "la", "bibliothèque")   # the tokens stay normalized


# ---------------------------------------------------------------- narration

PEOPLE_COUNT = re.compile(r"\blayer 0\b|\ball 2\b|\b1 heads\b|\bhead 0\b")


@pytest.mark.parametrize("cfg", [Config(), Config(n_heads=1), Config(n_encoder_layers=2, n_decoder_layers=2),
                                 Config(d_model=8, n_heads=8)], ids=["default", "one-head", "two-layers", "8-heads"])
def test_record_narration_counts_for_people(cfg):
    ex = build_example(cfg)
    bad = [(s.id, s.narration) for s in ex.steps if PEOPLE_COUNT.search(s.narration + " " + s.title)]
    assert not bad


def test_chapter_5_says_both_heads_and_layer_1():
    scene = construct_chapter(5, build_example(Config()))
    words = " ".join(st["narration"] for st in scene.timeline)
    assert "both heads of encoder layer 1" in words and not PEOPLE_COUNT.search(words)


def test_last_chapter_announces_nothing_outside_the_run():
    ch = {n: scenes.get_chapter(n) for n in (2, 3, 4, 5)}
    assert following_chapters([ch[2], ch[5]]) == {ch[2].slug: None, ch[5].slug: None}
    assert following_chapters([ch[4], ch[5]]) == {ch[4].slug: 5, ch[5].slug: None}
    assert following_chapters([ch[2], ch[3]]) == {ch[2].slug: None, ch[3].slug: None}   # 2 announces nothing
    scene = construct_chapter(5, build_example(Config()))   # built as a run's last chapter
    assert "Next" not in scene.timeline[-1]["narration"]


def test_chapters_that_announce_the_next_say_so_in_the_registry():
    """Only a chapter whose code calls teaser() may depend on what follows it (its cache key does)."""
    for c in scenes.CHAPTERS:
        calls = "self.teaser(" in (ROOT / "scenes" / f"{c.module}.py").read_text()
        assert c.teaser == calls, c.slug


# ---------------------------------------------------------------- thumbnails

def test_thumbnail_title_band_is_the_same_whatever_the_picture():
    """The title sits on its own band: two very different pictures give the same band, pixel for pixel."""
    from scenes.theme import DARK
    busy = Image.fromarray((np.random.default_rng(0).random((144, 256, 3)) * 255).astype(np.uint8))
    plain = Image.new("RGB", (256, 144), DARK.background)
    a, b = (np.asarray(Image.open(__import__("io").BytesIO(
        thumbnail_png(f, "Inside a transformer", "Chapter 4", DARK.background, DARK.highlight))))
        for f in (busy, plain))
    assert a.shape == (720, 1280, 3)
    band = slice(int(720 * 0.30) * -1, None)
    assert np.array_equal(a[band], b[band])
    assert not np.array_equal(a, b)


@pytest.mark.slow
def test_draft_thumbnails_are_drawn_at_1280x720(tmp_path):
    run = tmp_path / "run"
    res = invoke("video", "2", "-q", "draft", "--no-voice", "--out", str(run))
    assert res.exit_code == 0, res.output
    frame = Image.open(run / ".ch02-embedding.thumbframe.png")
    assert frame.size == (1280, 720)          # drawn at thumbnail size, not a 256x144 frame scaled up
    # sharp: a scaled-up draft frame has almost no pixel-to-pixel detail; a drawn one has crisp edges
    g = np.asarray(frame.convert("L"), dtype=float)
    assert np.abs(np.diff(g, axis=1)).max() > 120
    assert Image.open(run / "thumbnail.png").size == (1280, 720)
