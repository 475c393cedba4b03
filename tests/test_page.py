"""The course page (publish/page.py): index.html in a run folder, driven in headless Chromium from file://.

The browser tests share one narrated two-chapter draft run (chapters 2 and 3, rendered once per session)
and run in one xdist group. Expected values come from the run's own files, read here independently of the
page: example.json's numbers (parsed back from the cells, not re-formatted), steps.json's times, the .vtt
parsed by webvtt-py, and WCAG's contrast formula written out below.
"""
from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import render
import scenes
from mathcore import Config, build_example
from publish import page

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHAPTERS = ("2", "3")
MINUS = "\u2212"


def invoke(*args):
    return CliRunner().invoke(render.cli, list(args), catch_exceptions=False)


# ---------------------------------------------------------------- without a browser

def test_numbers_as_the_video_shows_them():
    """Hand-written strings: true minus, the decimals, no negative zero, −∞, integers and one-hot rows."""
    t = page.table([[-0.004, 1.5, -1.2345], [float("-inf"), 0.0, 12.0]], ["a", "b"], ["x", "y", "z"], 2, False)
    assert t == {"rows": ["a", "b"], "cols": ["x", "y", "z"],
                 "cells": [["0.00", "1.50", "\u22121.23"], ["\u2212\u221e", "0.00", "12.00"]]}
    assert page.table([3, 14], None, None, 2, True)["cells"] == [["3", "14"]]            # a vector: one row
    assert page.table([0.5, -2.25], ["p", "q"], None, 1, False)["cells"] == [["0.5"], ["\u22122.2"]]  # labelled: a column
    assert page.table(0.123456, None, None, 3, False) == {"rows": ["0"], "cols": ["0"], "cells": [["0.123"]]}


def test_which_values_a_step_shows():
    """A record step: itself, then its inputs; a chapter-local step: the record step before it in its chapter,
    or the first one after it when none is before (docs/example-format.md lists E = onehot · W_E)."""
    ex = build_example(Config())
    steps = [{"id": "ch02.intro"}, {"id": "source.embedding"}, {"id": "ch02.note"}, {"id": "source.input"},
             {"id": "ch02.recap"}]
    got = page.step_records(ex, steps)
    emb = ["source.embedding", "source.onehot", "embedding.W_E"]
    inp = ["source.input", "source.embedding_scaled", "source.positional"]
    assert got == [("source.embedding", emb), ("source.embedding", emb), ("source.embedding", emb),
                   ("source.input", inp), ("source.input", inp)]
    assert page.step_records(ex, [{"id": "ch99.alone"}]) == [(None, [])]


def test_render_command_recreates_the_example(tmp_path):
    """The command shown for chapters not rendered parses as `render.py video` and builds the same example
    into the same folder with the same look."""
    cfg = Config(source="the storm brings the game", target="he brings the storm", d_model=8, n_heads=4,
                 seed=3, trained=False, scale_embedding=False, decimals=3)
    ex = build_example(cfg)
    settings = {"quality": "h", "fps": None, "theme": "light", "transparent": False, "fmt": "mp4",
                "model": "llama3-8b", "voice": None, "voice_rate": 1.0}
    folder = tmp_path / "my run"
    cmd = page.render_command(ex, settings, folder)
    import shlex
    args = shlex.split(cmd)
    assert args[:3] == [".venv/bin/python", "render.py", "video"]
    params = render.video.make_context("video", args[3:]).params   # parsed as click would, nothing rendered
    assert params["quality"] == "h" and params["theme"] == "light" and params["model"] == "llama3-8b"
    assert params["no_voice"] is True and params["out_dir"] == str(folder)
    made = render.make_config(None, None, **{k: params[k] for k in render._OPTION_FIELDS})
    assert made == cfg


def test_page_command_bad_folders(tmp_path):
    """One sentence naming what is missing, a non-zero exit, and no page written."""
    cases = {"missing": (tmp_path / "nope", "There is no folder"),
             "empty": (tmp_path / "empty", "has no example.json"),
             "no-course": (tmp_path / "no-course", "has no course.json"),
             "bad-course": (tmp_path / "bad-course", "is not valid JSON")}
    (tmp_path / "empty").mkdir()
    ex_json = build_example(Config()).to_json()
    for name in ("no-course", "bad-course"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "example.json").write_text(ex_json)
    (tmp_path / "bad-course" / "course.json").write_text("{not json")
    for folder, words in cases.values():
        res = invoke("page", str(folder))
        assert res.exit_code != 0, res.output
        assert words in res.output and "Traceback" not in res.output, res.output
        assert len(res.output.strip().splitlines()) == 1, res.output
        assert not (folder / "index.html").exists()


def test_data_cannot_end_its_script_element():
    data = {"title": "t", "source": "</script><b>x</b> & <!--", "target": "y", "theme": "dark"}
    text = page.page_html(data)
    blob = re.search(r'<script id="course-data" type="application/json">(.*?)</script>', text, re.S).group(1)
    assert json.loads(blob) == data
    assert "<b>" not in text and "</script><b>" not in text


# ---------------------------------------------------------------- runs for the browser

def _render(folder: Path, *args: str) -> Path:
    res = invoke("video", *args, "-q", "draft", "--out", str(folder), "--jobs", "2")
    assert res.exit_code == 0, res.output
    return folder


@pytest.fixture(scope="session")
def run(tmp_path_factory) -> Path:
    """A narrated two-chapter draft run (its page is written by the render itself)."""
    return _render(tmp_path_factory.mktemp("page") / "run", *CHAPTERS)


@pytest.fixture(scope="session")
def browser():
    missing = None
    try:
        from playwright import sync_api
    except ImportError:
        missing = "Playwright for Python is not installed"
    if missing is None and not Path(CHROMIUM).exists():
        missing = f"Debian's chromium is not installed at {CHROMIUM}"
    if missing:   # CI must never go green without the browser tests
        (pytest.fail if os.environ.get("CI") else pytest.skip)(f"{missing}: run scripts/bootstrap.sh")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--disable-default-apps"])
        yield b
        b.close()


class Page:
    """One tab on a run's index.html, with what it logged and every URL it asked for."""

    def __init__(self, browser, folder: Path, query: str = "", width: int = 1280, height: int = 800):
        self.ctx = browser.new_context(viewport={"width": width, "height": height})
        self.page = self.ctx.new_page()
        self.errors, self.requests, self.failed = [], [], []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("requestfailed", lambda r: self.failed.append(r.url))
        self.page.add_init_script("window.__copied = [];"
                                  "if (navigator.clipboard) navigator.clipboard.writeText ="
                                  " async (t) => { window.__copied.push(t); };")
        self.folder = folder
        self.page.goto((folder / "index.html").as_uri() + query)
        self.page.wait_for_function("document.querySelector('video').readyState >= 1", timeout=20000)

    def js(self, expr: str, arg=None):
        return self.page.evaluate(expr, arg)

    def time(self) -> float:
        return self.js("document.querySelector('video').currentTime")

    def paused(self) -> bool:
        return self.js("document.querySelector('video').paused")

    def wait_seeked(self, t: float):
        self.page.wait_for_function(
            "([t]) => { const v = document.querySelector('video'); return !v.seeking && Math.abs(v.currentTime - t) < 0.02; }",
            arg=[t], timeout=10000)

    def close(self):
        self.ctx.close()


def _steps(folder: Path, slug: str) -> list[dict]:
    return json.loads((folder / f"{slug}.steps.json").read_text())["steps"]


def _course(folder: Path) -> list[dict]:
    return json.loads((folder / "course.json").read_text())["chapters"]


# ---------------------------------------------------------------- in the browser

@pytest.mark.slow
@pytest.mark.xdist_group("page-browser")
def test_loads_from_disk_without_errors_or_outside_requests(run, browser):
    p = Page(browser, run)
    try:
        p.js("document.querySelectorAll('[data-step]')[1].click()")
        time.sleep(1.0)
        assert p.errors == []
        assert p.failed == []
        root = run.resolve().as_uri() + "/"
        outside = [u for u in p.requests if not (u.startswith(root) or u.startswith("blob:") or u.startswith("data:"))]
        assert outside == [], outside
        assert p.js("document.querySelectorAll('video').length") == 1
        assert p.js("document.getElementById('course-title').textContent") == "Inside a transformer, number by number"
        assert p.js("document.querySelector('.katex') !== null")   # the formulas are typeset by the shipped KaTeX
    finally:
        p.close()


@pytest.mark.slow
@pytest.mark.xdist_group("page-browser")
def test_every_chapter_is_listed(run, browser):
    p = Page(browser, run)
    try:
        rendered = [c["slug"] for c in _course(run)]
        assert p.js("Array.from(document.querySelectorAll('[data-chapter]')).map(b => b.dataset.chapter)") == rendered
        durations = p.js("Array.from(document.querySelectorAll('[data-chapter] .dur')).map(e => e.textContent)")
        assert durations == [f"{int(c['duration']) // 60}:{int(c['duration']) % 60:02d}" for c in _course(run)]
        missing = [ch.slug for ch in scenes.available_chapters() if ch.slug not in rendered]
        assert p.js("Array.from(document.querySelectorAll('[data-missing]')).map(e => e.dataset.missing)") == missing
        # rendered or not, the chapters are listed in the course's order
        order = p.js("Array.from(document.querySelectorAll('#chapter-list > li')).map(li => li.dataset.missing"
                     " || li.querySelector('[data-chapter]').dataset.chapter)")
        assert order == [ch.slug for ch in scenes.available_chapters()]
        command = p.js("document.querySelector('#missing-command code').textContent")
        assert command.startswith(".venv/bin/python render.py video") and f"--out {run.as_posix()}" in command
        # the other chapter plays when chosen
        p.js("document.querySelector('[data-chapter=\"%s\"]').click()" % rendered[1])
        p.page.wait_for_function("document.querySelector('video').currentSrc.endsWith('%s.mp4')" % rendered[1])
        assert p.js("document.querySelectorAll('[data-step]').length") == len(_steps(run, rendered[1]))
    finally:
        p.close()


@pytest.mark.slow
@pytest.mark.xdist_group("page-browser")
def test_clicking_a_step_seeks_to_its_start(run, browser):
    p = Page(browser, run)
    try:
        steps = _steps(run, _course(run)[0]["slug"])
        for i in (2, 0, len(steps) - 1):
            p.js(f"document.querySelector('[data-step=\"{steps[i]['id']}\"]').click()")
            p.wait_seeked(steps[i]["start"])
            assert abs(p.time() - steps[i]["start"]) < 0.01 and p.paused()
            assert p.js("document.querySelector('[aria-current=step]').dataset.step") == steps[i]["id"]
    finally:
        p.close()


@pytest.mark.slow
@pytest.mark.xdist_group("page-browser")
def test_arrows_play_one_step_and_go_back(run, browser):
    """→ plays the step with its voice and pauses within 0.1 s of its end; pressed again it plays the next;
    ← goes back to a step's start; Home and End; the previous chapter follows on from a chapter's start."""
    p = Page(browser, run)
    try:
        course = _course(run)
        steps = _steps(run, course[0]["slug"])
        k = min(range(len(steps)), key=lambda i: steps[i]["end"] - steps[i]["start"])   # the shortest step
        s = steps[k]
        p.js(f"document.querySelector('[data-step=\"{s['id']}\"]').click()")
        p.wait_seeked(s["start"])
        p.page.keyboard.press("ArrowRight")
        p.page.wait_for_function("!document.querySelector('video').paused", timeout=5000)
        assert not p.js("document.querySelector('video').muted")   # the voice plays
        p.page.wait_for_function("document.querySelector('video').paused",
                                 timeout=int((s["end"] - s["start"] + 10) * 1000))
        stop = p.time()
        assert abs(stop - s["end"]) <= 0.1, (stop, s["end"])
        # pressed again (a clicker sends PageDown), the next step plays from its start
        if k + 1 < len(steps):
            p.page.keyboard.press("PageDown")
            p.page.wait_for_function(f"document.querySelector('video').currentTime > {steps[k + 1]['start'] + 0.3}",
                                     timeout=5000)
            assert not p.paused()
            assert p.js("document.querySelector('[aria-current=step]').dataset.step") == steps[k + 1]["id"]
            p.page.keyboard.press("ArrowLeft")            # inside a playing step: back to its start, paused
            p.wait_seeked(steps[k + 1]["start"])
            assert p.paused()
            p.page.keyboard.press("ArrowLeft")            # at a step's start: the step before
            p.wait_seeked(s["start"])
        p.page.keyboard.press("End")
        p.wait_seeked(steps[-1]["start"])
        p.page.keyboard.press("Home")
        p.wait_seeked(steps[0]["start"])
        # the second chapter's first step, then ←: the first chapter's last step
        p.js("document.querySelector('[data-chapter=\"%s\"]').click()" % course[1]["slug"])
        p.page.wait_for_function("document.querySelector('video').currentSrc.endsWith('%s.mp4')" % course[1]["slug"])
        p.page.keyboard.press("Home")
        p.wait_seeked(_steps(run, course[1]["slug"])[0]["start"])
        p.page.keyboard.press("PageUp")
        p.page.wait_for_function("document.querySelector('video').currentSrc.endsWith('%s.mp4')" % course[0]["slug"])
        p.wait_seeked(steps[-1]["start"])
        assert p.js("document.querySelector('[aria-current=true]').dataset.chapter") == course[0]["slug"]
        # paused at the chapter's end, → goes on into the next chapter and plays
        p.js(f"document.querySelector('video').currentTime = {steps[-1]['end']}")
        p.wait_seeked(steps[-1]["end"])
        p.page.keyboard.press("ArrowRight")
        p.page.wait_for_function("document.querySelector('video').currentSrc.endsWith('%s.mp4')" % course[1]["slug"])
        p.page.wait_for_function("!document.querySelector('video').paused", timeout=5000)
        p.js("document.querySelector('video').pause()")
        assert p.errors == []
    finally:
        p.close()


def _parse_cell(text: str) -> float:
    return float(text.replace(MINUS, "-").replace("∞", "inf"))


@pytest.mark.slow
@pytest.mark.xdist_group("page-browser")
def test_record_tables_hold_example_json_values(run, browser):
    """Every table of every step: labels as example.json has them, each cell example.json's value at the
    shown decimals (parsed back, not formatted again), with a true minus; copy as CSV gives the same."""
    ex = json.loads((run / "example.json").read_text())
    records = {s["id"]: s for s in ex["steps"]}
    d = ex["config"]["decimals"]
    p = Page(browser, run)
    checked = set()
    try:
        for c in _course(run):
            p.js("document.querySelector('[data-chapter=\"%s\"]').click()" % c["slug"])
            p.page.wait_for_function("document.querySelector('video').currentSrc.endsWith('%s.mp4')" % c["slug"])
            for s in _steps(run, c["slug"]):
                p.js(f"document.querySelector('[data-step=\"{s['id']}\"]').click()")
                p.wait_seeked(s["start"])
                tables = p.js("""Array.from(document.querySelectorAll('table[data-record]')).map(t => ({
                    id: t.dataset.record,
                    cols: Array.from(t.querySelectorAll('thead th')).slice(1).map(e => e.textContent),
                    rows: Array.from(t.querySelectorAll('tbody th')).map(e => e.textContent),
                    cells: Array.from(t.querySelectorAll('tbody tr')).map(r =>
                        Array.from(r.querySelectorAll('td')).map(e => e.textContent))}))""")
                if s["id"] in records:
                    assert tables and tables[0]["id"] == s["id"]   # a record step shows itself first
                for t in tables:
                    rec = records[t["id"]]
                    onehot = rec["id"].endswith(".onehot")
                    places = 0 if rec["dtype"] == "int" or onehot else d
                    value = rec["value"]
                    flat = [value] if not isinstance(value, list) else (
                        [[x] for x in value] if rec["rows"] and not isinstance(value[0], list) else
                        [value] if not isinstance(value[0], list) else value)
                    assert [len(r) for r in t["cells"]] == [len(r) for r in flat]
                    if rec["rows"]:
                        assert t["rows"] == rec["rows"]
                    if rec["cols"]:
                        assert t["cols"] == rec["cols"]
                    for row_text, row_val in zip(t["cells"], flat):
                        for text, v in zip(row_text, row_val):
                            assert "-" not in text, text          # a true minus sign, never a hyphen
                            if v is None:                          # masked: −∞
                                assert text == MINUS + "∞"
                                continue
                            frac = text.split(".")[1] if "." in text else ""
                            assert len(frac) == places, (t["id"], text)
                            assert abs(_parse_cell(text) - v) <= 0.5 * 10 ** -places + 1e-9, (t["id"], text, v)
                            if _parse_cell(text) == 0:
                                assert not text.startswith(MINUS)
                    checked.add(t["id"])
        assert {"source.embedding", "source.onehot", "source.positional", "source.input"} <= checked
        # copy as CSV: the first table of the last step shown
        p.js("document.querySelector('.record .copy').click()")
        p.page.wait_for_function("window.__copied.length > 0 || document.getElementById('message').textContent")
        copied = p.js("window.__copied[0] || null")
        if copied is not None:
            rows = list(csv.reader(io.StringIO(copied)))
            first = p.js("""(() => { const t = document.querySelector('table[data-record]');
                return Array.from(t.querySelectorAll('tbody tr')).map(r => Array.from(r.querySelectorAll('td'))
                    .map(e => e.textContent)); })()""")
            assert [[float(x) for x in r[1:]] for r in rows[1:]] == [[_parse_cell(x) for x in r] for r in first]
        else:
            pytest.fail("copy as CSV did not reach the clipboard: " + p.js("document.getElementById('message').textContent"))
    finally:
        p.close()


@pytest.mark.slow
@pytest.mark.xdist_group("page-browser")
def test_captions_and_toggles(run, browser):
    import webvtt
    slug = _course(run)[0]["slug"]
    def seconds(stamp: str) -> float:   # "00:00:02.600" (webvtt-py's start_in_seconds drops the fraction)
        h, m, s = stamp.split(":")
        return int(h) * 3600 + int(m) * 60 + float(s)
    expected = [(seconds(c.start), c.text) for c in webvtt.read(str(run / f"{slug}.vtt"))]
    p = Page(browser, run)
    try:
        p.page.wait_for_function("(() => { const t = document.querySelector('video').textTracks[0];"
                                 " return t && t.cues && t.cues.length > 0; })()", timeout=10000)
        cues = p.js("Array.from(document.querySelector('video').textTracks[0].cues).map(c => [c.startTime, c.text])")
        assert len(cues) == len(expected) > 0
        assert all(abs(a[0] - b[0]) < 0.002 and a[1] == b[1] for a, b in zip(cues, expected))
        assert p.js("document.querySelector('video').textTracks[0].mode") == "showing"
        p.page.keyboard.press("c")
        assert p.js("document.querySelector('video').textTracks[0].mode") == "hidden"
        p.page.keyboard.press("m")
        assert p.js("document.querySelector('video').muted") is True
        p.page.keyboard.press("n")
        assert p.js("document.getElementById('numbers').hidden") is True
        assert p.js("getComputedStyle(document.getElementById('numbers')).display") == "none"
        p.page.keyboard.press("n")
        assert p.js("document.getElementById('numbers').hidden") is False
        p.page.keyboard.press("f")
        p.page.wait_for_function("document.fullscreenElement !== null", timeout=5000)
        p.page.keyboard.press("f")
        p.page.wait_for_function("document.fullscreenElement === null", timeout=5000)
        # keyboard alone: every control is a button with an accessible name, and focus is visible
        unnamed = p.js("""Array.from(document.querySelectorAll('button')).filter(b =>
            !(b.getAttribute('aria-label') || b.textContent.trim())).length""")
        assert unnamed == 0
        p.page.keyboard.press("Tab")
        p.page.keyboard.press("Tab")
        outline = p.js("getComputedStyle(document.activeElement).outlineStyle")
        assert outline not in ("none", ""), outline
        assert p.errors == []
    finally:
        p.close()


def _luminance(rgb) -> float:
    def chan(c):
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (chan(x) for x in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a, b) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


TEXT_COLOURS = """(() => {
  const rgb = (s) => { const m = s.match(/[\\d.]+/g).map(Number); return m; };
  const out = [];
  for (const e of document.querySelectorAll('body *')) {
    if (e.closest('video') || e.closest('[hidden]') || e.tagName === 'SCRIPT') continue;
    const own = Array.from(e.childNodes).some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const r = e.getBoundingClientRect();
    if (!r.width || !r.height || getComputedStyle(e).visibility === 'hidden') continue;
    let bg = null, x = e;
    while (x) {
      const c = rgb(getComputedStyle(x).backgroundColor);
      if (c.length < 4 || c[3] > 0) { bg = c.slice(0, 3); break; }
      x = x.parentElement;
    }
    if (!bg) bg = rgb(getComputedStyle(document.documentElement).backgroundColor).slice(0, 3);
    out.push({text: e.textContent.trim().slice(0, 40), fg: rgb(getComputedStyle(e).color).slice(0, 3), bg: bg});
  }
  return out;
})()"""


@pytest.mark.slow
@pytest.mark.xdist_group("page-browser")
@pytest.mark.parametrize("theme", ["dark", "light"])
def test_text_contrast(run, browser, theme):
    """WCAG AA: every visible piece of text at least 4.5:1 against what is behind it, in both themes."""
    p = Page(browser, run, query=f"?theme={theme}")
    try:
        p.js("document.getElementById('keys-button').click()")
        p.js("document.querySelectorAll('[data-step]')[1].click()")
        time.sleep(0.3)
        items = p.js(TEXT_COLOURS)
        assert len(items) > 50
        bad = [(i["text"], round(_contrast(i["fg"], i["bg"]), 2)) for i in items if _contrast(i["fg"], i["bg"]) < 4.5]
        assert bad == []
        assert p.js("document.documentElement.dataset.theme") == theme
    finally:
        p.close()


@pytest.mark.slow
@pytest.mark.xdist_group("page-browser")
@pytest.mark.parametrize("width,height", [(390, 844), (1920, 1080)])
def test_no_horizontal_scroll(run, browser, width, height, tmp_path):
    """From a phone to a projector; the screenshots are for looking at (TA_PAGE_SCREENSHOT=1 also writes
    the README's docs/images/course-page.png from the 1920-px page)."""
    for query in ("", "?present"):
        p = Page(browser, run, query=query, width=width, height=height)
        try:
            p.js("document.querySelectorAll('[data-step]')[2].click()")
            p.page.wait_for_function("(() => { const v = document.querySelector('video');"
                                     " return !v.seeking && v.readyState >= 3; })()", timeout=10000)
            time.sleep(0.3)
            assert p.js("document.documentElement.scrollWidth") <= width
            assert p.js("document.body.scrollWidth") <= width
            p.page.screenshot(path=str(tmp_path / f"page-{width}{query.replace('?', '-')}.png"), full_page=not query)
            if query:
                assert p.js("document.body.classList.contains('present')")
                box = p.page.locator("video").bounding_box()
                assert box["width"] >= 0.95 * width or box["height"] >= 0.7 * height   # the video fills the window
            elif width == 1920 and os.environ.get("TA_PAGE_SCREENSHOT"):
                out = ROOT / "docs" / "images" / "course-page.png"
                out.parent.mkdir(parents=True, exist_ok=True)
                p.page.mouse.move(5, 5)
                time.sleep(3)   # the player's loading ring and the captions' fade settle
                p.page.screenshot(path=str(out), clip={"x": 0, "y": 0, "width": 1920, "height": 1080})
        finally:
            p.close()


@pytest.mark.slow
@pytest.mark.xdist_group("page-browser")
def test_special_and_right_to_left_text_stays_text(run, browser, tmp_path):
    """A sentence with HTML specials and Hebrew and Arabic words: shown as text, never as markup."""
    folder = tmp_path / "hostile"
    shutil.copytree(run, folder, ignore=shutil.ignore_patterns("page", "index.html", ".*"))
    cfg = Config(corpus=("שלום עולם", "مرحبا بالعالم"), source='<b>storm</b> & "the" שלום',
                 target="مرحبا <i>x</i>")
    ex = build_example(cfg)
    (folder / "example.json").write_text(ex.to_json())
    page.write_page(folder)
    p = Page(browser, folder)
    try:
        assert p.js("document.getElementById('sentence').textContent") == f"{cfg.source} → {cfg.target}"
        assert p.js("document.querySelectorAll('#sentence *, main b, main i').length") == 0
        assert p.js("document.title").endswith(cfg.source)
        p.js("document.querySelectorAll('[data-step]')[2].click()")
        time.sleep(0.3)
        labels = p.js("Array.from(document.querySelectorAll('table[data-record] tbody th')).map(e => e.textContent)")
        assert "שלום" in labels and "<b>storm</b>" not in labels
        assert p.errors == []
    finally:
        p.close()


@pytest.mark.slow
@pytest.mark.xdist_group("page-browser")
@pytest.mark.parametrize("args", [
    ("--tokenizer", "char", "-s", "凛冬将至", "-t", "我们会赢", "--no-voice"),
    ("--theme", "light", "--no-voice"),
], ids=["chinese-char", "light-theme"])
def test_other_runs_load(tmp_path, browser, args):
    folder = _render(tmp_path / "run", "2", *args)
    ex = json.loads((folder / "example.json").read_text())
    p = Page(browser, folder)
    try:
        assert p.errors == [] and p.failed == []
        assert p.js("document.getElementById('sentence').textContent") == f"{ex['config']['source']} → {ex['config']['target']}"
        p.js("document.querySelector('[data-step=\"source.embedding\"]').click()")
        p.page.wait_for_function("document.querySelector('table[data-record=\"source.embedding\"]') !== null")
        rows = p.js("Array.from(document.querySelectorAll('table[data-record=\"source.embedding\"] tbody th')).map(e => e.textContent)")
        assert rows == ex["tokens"]["source"]
        theme = "light" if "light" in args else "dark"
        assert p.js("document.documentElement.dataset.theme") == theme
    finally:
        p.close()
