"""The contract every chapter keeps, checked on the default example in Manim's dry-run mode."""
import json

import pytest

from narration import captions
from pipeline import stills
from publish.post import post_sections
import scenes
from test_voice import assert_speakable
from mathcore import Config, build_example
from scene_utils import construct_chapter, mobjects_outside_frame

AVAILABLE = scenes.available_chapters()


@pytest.fixture(scope="module")
def default_example():
    return build_example(Config())


def test_registry_is_consistent():
    numbers = [c.number for c in scenes.CHAPTERS]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
    assert len({c.slug for c in scenes.CHAPTERS}) == len(scenes.CHAPTERS)
    with pytest.raises(KeyError, match="Unknown chapter"):
        scenes.get_chapter("99")


@pytest.mark.parametrize("chapter", AVAILABLE, ids=[c.slug for c in AVAILABLE])
def test_chapter_contract(chapter, default_example):
    scene = construct_chapter(chapter.number, default_example)
    duration = scene.renderer.time
    assert 40 <= duration <= 180, f"{chapter.slug} lasts {duration:.1f} s; chapters last 40 s to 3 min"
    assert scene.timeline, "a chapter is a sequence of named steps"
    ids = [e["id"] for e in scene.timeline]
    assert len(ids) == len(set(ids)), "step ids within a chapter are unique (they name sections and stills)"
    for e in scene.timeline:
        assert e["narration"].strip() and e["end"] > e["start"]
        assert_speakable(e["narration"])   # what the voice will say: no _ < > \ ^ { }, numbers as shown
        # long enough to show its captions by the rules (2 lines of 42, 1-7 s, at most 20 characters/s)
        assert e["end"] - e["start"] >= captions.min_duration(e["narration"]) - 1e-6
        if default_example.has(e["id"]):
            assert e["narration"] == default_example.step(e["id"]).narration
    # steps follow one another: captions never overlap
    for a, b in zip(scene.timeline, scene.timeline[1:]):
        assert b["start"] >= a["end"] - 1e-9
    assert set(ids) <= set(scene.key_moments)
    empty = [k for k, n in scene.key_moment_content.items() if n == 0]
    assert not empty, f"key moments with nothing on screen but the heading: {empty}"
    assert not mobjects_outside_frame(scene), "something is drawn off-frame at the end"
    # `stills --at` checks ids against this list before rendering
    listed = {m for m, _ in json.loads(stills.KEY_MOMENTS_FILE.read_text())[chapter.slug]}
    assert listed == set(scene.key_moments), "scenes/key_moments.json is out of date: run scripts/key_moments.py"
    # the post (publish.post.post_sections) follows the video: every step in playing order, every still once,
    # each under the step that was on screen when it was taken
    sections = post_sections(scene.timeline, scene.key_moments)
    assert [st["id"] for st, _ in sections] == ids
    placed = [m for _, ms in sections for m in ms]
    assert sorted(placed) == sorted(scene.key_moments)
    for st, ms in sections:
        assert all(st["start"] - 1e-6 <= scene.key_moments[m] <= st["end"] + 1e-6 for m in ms)
