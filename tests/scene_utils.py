"""Build a chapter's scene in Manim's dry-run mode (no files, animations skipped) and hand it back."""
from __future__ import annotations

import hashlib
import os
from collections import OrderedDict
from pathlib import Path

from manim import tempconfig

from mathcore import Example
from scenes import audit, get_chapter
from scenes.theme import DARK, Theme

CACHE = Path(__file__).resolve().parents[1] / "media" / "test-cache"


_RECENT: "OrderedDict[tuple, object]" = OrderedDict()
RECENT_SIZE = 3   # scenes kept per process: a test of the same chapter and example right after reuses it
AUDITS: dict[tuple, audit.ChapterReport] = {}   # every dry run's layout audit (small), kept for the process


def construct_chapter(chapter, example: Example, theme: Theme = DARK, tmp_path=None, model: str | None = None):
    """Run the chapter's construct() in dry-run mode; return the scene (its mobjects, timeline and key
    moments are there to inspect). model: the preset the scale chapters describe (default: theirs).

    A dry run costs 5-20 s, so the last few scenes are kept: the contract test (test_chapters.py) and a
    chapter's own test of the same example share one when they run in the same process, which conftest.py
    arranges with xdist groups. Tests only read the scene; one that changes it must build its own.

    Every dry run is audited as it runs (scenes/audit.py: the frame after every play, wait and key moment);
    the findings are scene.audit_report, and kept by audit_report() below for the layout tests, which so
    read the findings of the chapter tests' own dry runs instead of building the chapter again."""
    key = _key(chapter, example, theme, model)
    if key in _RECENT:
        _RECENT.move_to_end(key)
        return _RECENT[key]
    scene = _construct(chapter, example, theme, tmp_path, model)
    _RECENT[key] = scene
    AUDITS[key] = scene.audit_report
    while len(_RECENT) > RECENT_SIZE:
        _RECENT.popitem(last=False)
    return scene


def _key(chapter, example: Example, theme: Theme, model: str | None) -> tuple:
    return (str(chapter), hashlib.sha256(example.to_json().encode()).hexdigest(), theme.name, model)


def audit_report(chapter, example: Example, theme: Theme = DARK, model: str | None = None) -> audit.ChapterReport:
    """The layout audit of the chapter's dry run: the one a chapter test of this process already made, or a
    new dry run."""
    report = AUDITS.get(_key(chapter, example, theme, model))
    return report if report is not None else construct_chapter(chapter, example, theme, model=model).audit_report


def _construct(chapter, example: Example, theme: Theme, tmp_path, model: str | None):
    ch = get_chapter(chapter)
    opts = {"dry_run": True, "pixel_width": 854, "pixel_height": 480, "frame_rate": 15,
            "disable_caching": True, "verbosity": "ERROR", "progress_bar": "none"}
    # Manim shapes text through files in media_dir/texts; processes sharing that folder can delete each
    # other's temporary files, so each pytest worker gets its own
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    opts["media_dir"] = str(tmp_path) if tmp_path is not None else str(CACHE / worker)
    with tempconfig(opts):
        cls = audit.audited(ch.load(), audit.Recorder(opts["pixel_height"], ch.slug))
        scene = cls(example=example, theme=theme, **({"model": model} if model else {}))
        scene.render()
    return scene


def mobjects_outside_frame(scene, margin: float = 0.02) -> list:
    """Top-level mobjects that stick out of the frame (should be none)."""
    from manim import config
    w, h = config.frame_width / 2 + margin, config.frame_height / 2 + margin
    out = []
    for m in scene.mobjects:
        if m.get_left()[0] < -w or m.get_right()[0] > w or m.get_bottom()[1] < -h or m.get_top()[1] > h:
            out.append(m)
    return out


def assert_random_example_clean(chapter: int, src: str, tgt: str, d_model: int, heads: int, seed: int,
                                theme: str = "dark"):
    """The layout audit of one chapter of a soak-style example (scripts/soak_audit.py: the pair is the corpus,
    20 training steps) at 480p finds nothing; the table of findings is the failure message."""
    from mathcore import Config, build_example
    from scenes.theme import get_theme
    cfg = Config(source=src, target=tgt, corpus=(src, tgt), d_model=d_model, n_heads=heads, seed=seed, train_steps=20)
    [report] = audit.audit_chapters([chapter], build_example(cfg), get_theme(theme), 480, jobs=1)
    assert not report.findings, "\n" + audit.format_table([report])
