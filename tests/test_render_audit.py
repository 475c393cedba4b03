"""The layout audit inside the renderers: video, stills, post and batch audit the frames they render (the
same Recorder as `render.py check`, looking at the render itself), keep the report with the chapter and warn
about what it found; the audit changes no pixel; --no-check turns it off."""
import json

import numpy as np
import pytest
from manim import tempconfig
from PIL import Image

import render
from mathcore import Config, build_example
from pipeline import batch, runfolder
from pipeline import stills as stills_mod
from pipeline.settings import RenderSettings
from scenes import audit, get_chapter
from scenes.theme import DARK
from test_audit import _Planted


def _real_render_report(tmp_path):
    """The planted scene (one clean step, one overlap) rendered to a real movie at 480p, audited as the
    renderers audit a chapter (tolerant, as pipeline.worker does)."""
    rec = audit.Recorder(480, "planted")
    opts = {"media_dir": str(tmp_path / "media"), "pixel_height": 480, "pixel_width": 854, "frame_rate": 5,
            "disable_caching": True, "verbosity": "ERROR", "progress_bar": "none", "output_file": "planted"}
    with tempconfig(opts):
        scene = audit.audited(_Planted, rec, tolerant=True)(example=build_example(Config()), theme=DARK)
        scene.render()
        movie = scene.renderer.file_writer.final_file_path
    return scene.audit_report, movie


def test_a_real_render_is_audited_like_its_dry_run(tmp_path):
    report, movie = _real_render_report(tmp_path)
    assert movie.exists() and movie.stat().st_size > 0
    with tempconfig(audit.dry_run_config(480, str(tmp_path / "dry"))):
        dry = audit.audit_scene_class(_Planted, 480, "planted", example=build_example(Config()), theme=DARK)
    assert [(f.step, f.kind) for f in report.findings] == [("planted.overlap", "overlap")]
    assert [(f.step, f.kind, f.text, f.other) for f in report.findings] == \
        [(f.step, f.kind, f.text, f.other) for f in dry.findings]


def test_what_a_render_found_is_kept_and_printed_as_a_warning(tmp_path, capsys):
    report, _ = _real_render_report(tmp_path)
    summary = audit.report_summary(report, 480)
    assert audit.report_from_summary(summary).findings == [
        audit.Finding(**{**f.__dict__, "moment": 0}) for f in report.findings]
    # a chapter's steps.json as the worker leaves it, and one rendered with --no-check beside it
    (tmp_path / "ch04-self-attention.steps.json").write_text(json.dumps({"steps": [], "layout": summary}))
    (tmp_path / "ch05-multi-head.steps.json").write_text(json.dumps({"steps": []}))
    reports = runfolder.layout_reports(tmp_path, [get_chapter(4), get_chapter(5)])
    assert [r.chapter for r in reports] == ["planted"]
    render._warn_layout(reports)
    err = capsys.readouterr().err
    assert "Warning: the layout audit found 1 problem in planted" in err
    assert "planted.overlap" in err and "overlap" in err and "another label" in err
    render._warn_layout([audit.ChapterReport(chapter="clean one", moments=3)])
    assert capsys.readouterr().err == ""


@pytest.mark.slow
def test_stills_are_audited_without_changing_a_pixel(tmp_path):
    ex = build_example(Config())
    ch = [get_chapter(2)]
    looks = {c: RenderSettings(quality="draft", theme="light", fmt="png", voice=None, check=c) for c in (True, False)}
    paths, results = {}, {}
    for c, settings in looks.items():
        paths[c], results[c] = stills_mod.render_stills(ex, ch, tmp_path / str(c) / "stills", settings, None, jobs=1)
    assert [p.name for p in paths[True]] == [p.name for p in paths[False]] and paths[True]
    for a, b in zip(paths[True], paths[False]):
        assert np.array_equal(np.asarray(Image.open(a)), np.asarray(Image.open(b))), a.name
    [on] = stills_mod.layout_reports(results[True])
    assert on.chapter == "ch02-embedding" and on.moments > 10 and on.texts > 100 and on.findings == []
    assert results[True]["ch02-embedding"]["layout"]["pixel_height"] == 144
    assert stills_mod.layout_reports(results[False]) == []


def test_batch_index_says_what_the_audit_found():
    rows = [{"line": n, "labels": {}, "source": "a b", "target": "c", "course": None, "page": None,
             "duration": None, "status": "done", "error": None, "layout_findings": found}
            for n, found in ((2, 0), (3, 2), (4, None))]
    table = [line for line in batch.index_md(rows, "x.csv").splitlines() if line.startswith("|")]
    assert "| layout |" in table[0]
    col = table[0].split(" | ").index("layout")
    assert [line.split(" | ")[col] for line in table[2:5]] == ["clean", "2 problems", "—"]
