"""Chapters 3 (positional encoding), 6 (Add & Norm) and 7 (feed-forward): dry runs on every layout
configuration, and the numbers they draw checked against the record.

One dry run per (chapter, configuration) does all the checks, so the suite stays quick: run it with -n 2.
"""
from contextlib import contextmanager
from functools import lru_cache

import numpy as np
import pytest

from conftest import LAYOUT_CONFIGS
from mathcore import build_example
from mathcore.layers import frequencies
from scene_utils import construct_chapter, mobjects_outside_frame
from scenes.base import ChapterScene
from scenes.components import flat_text, format_number
from scenes.components.sums import cell_size
from scenes.theme import DARK, LIGHT

STEPS = {
    3: ["ch03.order", "ch03.waves", "source.positional", "source.input"],
    6: ["ch06.wrap", "encoder.0.norm1.sum", "encoder.0.norm1.mean", "encoder.0.norm1.var",
        "encoder.0.norm1.normalized", "encoder.0.norm1.out"],
    7: ["ch07.per-row", "encoder.0.ffn.pre", "encoder.0.ffn.hidden", "encoder.0.ffn.out", "encoder.0.norm2.sum",
        "encoder.0.norm2.normalized", "encoder.0.norm2.out", "encoder.output"],
}
MIN_FONT = DARK.size_min
# every configuration in the dark theme, but one in the light theme (blogs), to keep the runs few
THEME = {name: (LIGHT if name == "chinese-char" else DARK) for name in LAYOUT_CONFIGS}


@lru_cache(maxsize=None)
def example(name: str):
    return build_example(LAYOUT_CONFIGS[name])


# ---------------------------------------------------------------- helpers

def _outline(mob) -> np.ndarray:
    """Points every ~1% of the height along every curve of a flat text, position and size taken out.
    Sampling the curves densely (rather than comparing control points) makes the check blind to how a
    Transform re-subdivided them."""
    # a Transform may have split the text into parts (each a copy of the outline): take the whole family
    pts = np.concatenate([m.points[: len(m.points) // 4 * 4].reshape(-1, 4, 3)[:, :, :2]
                          for m in mob.get_family() if len(m.points) >= 4])
    pts = (pts - pts.reshape(-1, 2).min(axis=0)) / max(float(np.ptp(pts[:, :, 1])), 1e-9)
    out = []
    for a, b, c, d in pts:
        n = int(np.ceil((np.linalg.norm(b - a) + np.linalg.norm(c - b) + np.linalg.norm(d - c)) / 0.01)) + 1
        t = np.linspace(0, 1, max(n, 2))[:, None]
        out.append((1 - t) ** 3 * a + 3 * (1 - t) ** 2 * t * b + 3 * (1 - t) * t ** 2 * c + t ** 3 * d)
    return np.concatenate(out)


def shows(mob, s: str, font: str, tol: float = 0.025) -> bool:
    """Whether a flat text mobject draws the string s: its outline matches the string's at one of the
    font sizes the chapters use (glyph proportions vary a little with the size)."""
    if not any(len(m.points) >= 4 for m in mob.get_family()):
        return False
    got = _outline(mob)
    for size in (18, 20, 22, 24, 26):
        want = _outline(flat_text(s, font, size, "#ffffff"))
        if abs(np.ptp(got[:, 0]) - np.ptp(want[:, 0])) > 5 * tol:     # another width: another string
            continue
        if _hausdorff(got, want) < tol:
            return True
    return False


def _hausdorff(a: np.ndarray, b: np.ndarray) -> float:
    from scipy.spatial import cKDTree
    return max(cKDTree(b).query(a)[0].max(), cKDTree(a).query(b)[0].max())


def record_values(ex, name: str) -> np.ndarray:
    return ex.value(name) if ex.has(name) else ex.weights[name]


def check_cells_on_screen(scene, step_id: str, ex, theme) -> list[tuple]:
    """At a key moment: every cell of a registered matrix that is on screen reads the record's number,
    rounded for display only, at a readable size. Returns the (name, matrix) pairs seen."""
    on_screen = {id(m) for m in scene.get_mobject_family_members()}
    probe = flat_text("0", theme.mono, MIN_FONT, theme.text).height
    decimals = ex.config.decimals
    seen = []
    for name, shown in scene.exposed.get("shown_matrices", {}).items():
        for m, rows in shown:
            cells = [(ij, c) for ij, c in m.cells.items() if id(c.text) in on_screen]
            if not cells:
                continue
            seen.append((name, id(m)))
            rec = np.asarray(record_values(ex, name), dtype=float)
            rec = (rec[list(rows)] if rows is not None else rec).reshape(m.values.shape)
            for (i, j), cell in cells:
                where = f"{step_id}: {name}[{i}, {j}]"
                assert cell.value == rec[i, j], f"{where} is not the record's number"
                assert shows(cell.text, format_number(rec[i, j], decimals), theme.mono), \
                    f"{where} should read {format_number(rec[i, j], decimals)}"
                # the box is 0.9 × 2.1 × the height of a digit at the matrix's font size, after any scaling
                assert cell.box.height / (0.9 * 2.1) >= probe * 0.97, f"{where}: smaller than {MIN_FONT} pt"
    check_nothing_over_cells(scene, step_id, on_screen)
    return seen


def check_nothing_over_cells(scene, step_id: str, on_screen: set[int]):
    """No stray ink over a number: nothing filled (text, another box) sits on a cell of a registered matrix
    that is on screen, except the cell's own box and number (highlight frames are outlines only)."""
    boxes, owners = [], []
    for shown in scene.exposed.get("shown_matrices", {}).values():
        for m, _ in shown:
            for cell in m.cells.values():
                if id(cell.text) in on_screen:
                    b = cell.box
                    boxes.append([b.get_left()[0], b.get_right()[0], b.get_bottom()[1], b.get_top()[1]])
                    owners.append({id(x) for x in cell.get_family()})
    if not boxes:
        return
    mine = set().union(*owners)
    leaves = [x for x in scene.get_mobject_family_members()
              if len(x.points) and id(x) not in mine and x.get_fill_opacity() > 0.05 and x.width < 2.0]
    if not leaves:
        return
    centers = np.array([x.get_center()[:2] for x in leaves])
    b = np.array(boxes)
    inside = ((centers[:, None, 0] > b[None, :, 0] + 0.02) & (centers[:, None, 0] < b[None, :, 1] - 0.02)
              & (centers[:, None, 1] > b[None, :, 2] + 0.02) & (centers[:, None, 1] < b[None, :, 3] - 0.02))
    hits = np.argwhere(inside)
    assert not len(hits), f"{step_id}: {len(hits)} things drawn over numbers, e.g. {type(leaves[hits[0][0]]).__name__}"


@contextmanager
def no_frames():
    """A dry run still draws a frame per animation (the static background); the checks here only read the
    mobjects, so skip the drawing."""
    from manim.renderer.cairo_renderer import CairoRenderer
    saved = CairoRenderer.update_frame, CairoRenderer.save_static_frame_data
    CairoRenderer.update_frame = lambda self, *a, **k: None
    CairoRenderer.save_static_frame_data = lambda self, scene, static: setattr(self, "static_image", None)
    try:
        yield
    finally:
        CairoRenderer.update_frame, CairoRenderer.save_static_frame_data = saved


def dry_run(chapter: int, config: str, theme=DARK):
    """Construct the chapter; at each key moment, check the numbers on screen and keep what was there."""
    ex = example(config)
    snaps: dict[str, set[int]] = {}
    seen: set = set()
    original = ChapterScene.key_moment

    def key_moment(self, step_id):
        snaps[step_id] = {id(m) for m in self.get_mobject_family_members()}
        seen.update(check_cells_on_screen(self, step_id, ex, theme))
        original(self, step_id)

    ChapterScene.key_moment = key_moment
    try:
        with no_frames():
            scene = construct_chapter(chapter, ex, theme=theme)
    finally:
        ChapterScene.key_moment = original
    never = [name for name, shown in scene.exposed["shown_matrices"].items() for m, _ in shown if (name, id(m)) not in seen]
    assert not never, f"matrices drawn for {never} are never on screen at a key moment"
    return scene, snaps


def check_common(scene, chapter: int, config: str, theme):
    duration = scene.renderer.time
    assert 40 <= duration <= 180, f"chapter {chapter} lasts {duration:.1f} s"
    ids = [e["id"] for e in scene.timeline]
    assert ids == STEPS[chapter], f"steps {ids}"
    assert not mobjects_outside_frame(scene), "something is drawn off-frame at the end"


# ---------------------------------------------------------------- chapter 3

def check_waves(scene, ex):
    pe = ex.value("source.positional")
    n, d = pe.shape
    grid = scene.exposed["grid"]
    freqs = frequencies(d)
    assert grid.columns() == list(range(d))
    for k in range(d):
        wave = grid.get_wave(k)
        assert wave.is_sine == (k % 2 == 0) and wave.omega == freqs[k]
        if k % 2:   # columns 2i and 2i+1 share one frequency, and one panel
            assert wave.omega == grid.get_wave(k - 1).omega and wave.axes is grid.get_wave(k - 1).axes
        for pos in range(n):
            dot = wave.get_dot(pos)
            # the dot sits at the recorded value, on the drawn curve
            assert wave.value_of_point(dot.get_center()) == pytest.approx(pe[pos, k], abs=1e-9)
            assert wave.function(pos) == pytest.approx(pe[pos, k], abs=1e-9)
            assert dot.get_center()[0] == pytest.approx(wave.axes.c2p(pos, 0)[0], abs=1e-9)
        for pos, label in wave.labels.items():
            assert shows(label, format_number(pe[pos, k], ex.config.decimals), scene.theme.mono)


@pytest.mark.parametrize("config", list(LAYOUT_CONFIGS))
def test_ch03_positional(config):
    scene, snaps = dry_run(3, config, THEME[config])
    check_common(scene, 3, config, THEME[config])
    ex = example(config)
    check_waves(scene, ex)
    # at the end of the PE step every position's row is filled and the dots are on the curves
    pe_matrix = scene.exposed["shown_matrices"]["source.positional"][0][0]
    assert all(id(c.text) in snaps["source.positional"] for c in pe_matrix.cells.values())
    assert all(id(scene.exposed["grid"].get_wave(k).get_dot(p)) in snaps["source.positional"]
               for k in scene.exposed["grid"].columns() for p in range(len(ex.tokens["source"])))
    # X = E + PE is shown as an addition of two n × d matrices into one n × d matrix
    x = scene.exposed["shown_matrices"]["source.input"][-1][0]
    assert x.values.shape == ex.value("source.input").shape


# ---------------------------------------------------------------- chapter 6

@pytest.mark.parametrize("config", list(LAYOUT_CONFIGS))
def test_ch06_add_norm(config):
    scene, snaps = dry_run(6, config, THEME[config])
    check_common(scene, 6, config, THEME[config])
    shown = scene.exposed["shown_matrices"]
    for name in ("encoder.0.norm1.sum", "encoder.0.norm1.mean", "encoder.0.norm1.var",
                 "encoder.0.norm1.normalized", "encoder.0.norm1.out", "encoder.0.norm1.gamma",
                 "encoder.0.norm1.beta"):
        assert name in shown, f"{name} is never drawn"
    # every row's mean and variance is on screen by the end of the variance step
    mu, sig = shown["encoder.0.norm1.mean"][0][0], shown["encoder.0.norm1.var"][0][0]
    n = len(example(config).tokens["source"])
    assert len(mu.cells) == len(sig.cells) == min(n, 12)
    assert all(id(c.text) in snaps["encoder.0.norm1.var"] for c in [*mu.cells.values(), *sig.cells.values()])


# ---------------------------------------------------------------- chapter 7

@pytest.mark.parametrize("config", list(LAYOUT_CONFIGS))
def test_ch07_feed_forward(config):
    scene, snaps = dry_run(7, config, THEME[config])
    check_common(scene, 7, config, THEME[config])
    ex = example(config)
    pre_vals, hidden_vals = ex.value("encoder.0.ffn.pre"), ex.value("encoder.0.ffn.hidden")
    pre = scene.exposed["shown_matrices"]["encoder.0.ffn.pre"][0][0]
    hidden = scene.exposed["shown_matrices"]["encoder.0.ffn.hidden"][0][0]
    zero = format_number(0.0, ex.config.decimals)
    shown_negative = [(i, j) for (i, j) in pre.cells if pre_vals[i, j] < 0]
    # the negative cells of the widened matrix visibly turned into 0.00 ...
    for i, j in shown_negative:
        assert hidden_vals[i, j] == 0
        assert shows(pre.get_cell(i, j).text, zero, scene.theme.mono)
    # ... and at the end of the ReLU step the matrix on screen is the ReLU's output, zeros shown as 0.00
    moment = snaps["encoder.0.ffn.hidden"]
    assert id(hidden) in moment and id(pre) not in moment
    for (i, j), cell in hidden.cells.items():
        if hidden_vals[i, j] == 0:
            assert shows(cell.text, zero, scene.theme.mono)
    # d_ff columns are elided, never squeezed below a readable size (checked in check_common)
    assert pre.values.shape == (len(ex.tokens["source"]), ex.config.d_ff)


# ---------------------------------------------------------------- the widest feed-forward

def test_ch07_widest_feed_forward_is_elided():
    import dataclasses
    cfg = dataclasses.replace(LAYOUT_CONFIGS["twelve-tokens"], d_model=8, n_heads=4, d_ff=32)
    ex = build_example(cfg)
    seen = set()
    original = ChapterScene.key_moment

    def key_moment(self, step_id):
        seen.update(check_cells_on_screen(self, step_id, ex, DARK))
        original(self, step_id)

    ChapterScene.key_moment = key_moment
    try:
        with no_frames():
            scene = construct_chapter(7, ex)
    finally:
        ChapterScene.key_moment = original
    pre = scene.exposed["shown_matrices"]["encoder.0.ffn.pre"][0][0]
    assert None in pre.shown_cols, "32 columns cannot fit: they must be elided with ⋯"
    assert pre.shown_cols[-1] == 31
    assert ("encoder.0.ffn.pre", id(pre)) in seen
    assert not mobjects_outside_frame(scene)


def test_cell_size_measures_at_the_examples_decimals():
    """A sum's cells are as wide as its widest number shown with the example's decimals (1 to 6)."""
    values = np.array([-1.234567, 0.5, 2.0])
    widths = []
    for decimals in (1, 2, 4, 6):
        w, _ = cell_size(values, DARK, 20, decimals)
        shown = flat_text(format_number(-1.234567, decimals), DARK.mono, 20, DARK.text).width
        assert w >= shown + 0.16 - 1e-9, f"{decimals} decimals: cells narrower than the numbers"
        widths.append(w)
    assert widths == sorted(widths) and widths[0] < widths[-1]
