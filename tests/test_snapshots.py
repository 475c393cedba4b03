"""Last-frame pixel snapshots of the shared components, with Manim's own frames_comparison.

Each test draws one component from the default example's record and compares the last frame (Manim's
graphical-test settings, a small frame) with the control frame in
tests/control_data/components/. After an intended visual change, rewrite them with

    .venv/bin/python -m pytest tests/test_snapshots.py --set_test -n 0

and look at the new frames before committing (they are .npz arrays; `--show_diff` shows a failing one).
"""
import os
from pathlib import Path

import cairo
import manim.utils.testing.frames_comparison as frames_comparison_module
import numpy as np
import pytest
from manim import DOWN, LEFT, ORIGIN, RIGHT, UP, VGroup
from manim.utils.testing.frames_comparison import frames_comparison

from mathcore import build_example
from mathcore.layers import frequencies
from scenes.components import NumericMatrix, PositionalWaveGrid
from scenes.components.bars import ProbabilityBars
from scenes.components.heatmap import WeightsHeatmap
from scenes.components.tokens import TokenRow
from scenes.theme import DARK, LIGHT

__module_test__ = "components"
pytestmark = pytest.mark.slow

# Manim skips its frame tests below cairo 1.18 because its own control frames were drawn with 1.18; ours
# are drawn here, with the cairo that the bootstrap installs (Debian's), so they compare on that version.
# A different cairo draws anti-aliased edges differently, so there the comparison says nothing. On a
# developer's machine such a test is skipped with that reason; in CI (CI=true) it fails, saying how to
# redraw the frames, so a green CI run always means the frames were compared.
CONTROL = Path(__file__).parent / "control_data" / __module_test__
CAIRO_FILE = CONTROL / "cairo-version.txt"
frames_comparison_module.MIN_CAIRO_VERSION = 0
REDRAW = ".venv/bin/python -m pytest tests/test_snapshots.py --set_test -n 0"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def cairo_mismatch() -> str | None:
    """Why the control frames cannot be compared here, or None when they can."""
    drawn = CAIRO_FILE.read_text().strip() if CAIRO_FILE.exists() else None
    if drawn is None:
        return f"there is no {CAIRO_FILE.name} beside the control frames"
    if drawn != cairo.cairo_version_string():
        return f"the control frames were drawn with cairo {drawn}, this machine has {cairo.cairo_version_string()}"
    return None


@pytest.fixture(autouse=True)
def same_cairo(request):
    if request.config.getoption("--set_test"):
        CONTROL.mkdir(parents=True, exist_ok=True)
        CAIRO_FILE.write_text(cairo.cairo_version_string() + "\n")
        return
    if request.node.name.startswith("test_cairo_guard"):
        return
    cairo_guard()


def cairo_guard():
    """Nothing when the frames can be compared here; else fail in CI, skip elsewhere."""
    why = cairo_mismatch()
    if why is None:
        return
    if in_ci():
        pytest.fail(f"{why}, so the pixel snapshots cannot be compared: redraw them with this cairo "
                    f"(`{REDRAW}`), look at the new frames, and commit them with {CAIRO_FILE.name}.",
                    pytrace=False)
    pytest.skip(f"{why} (CI fails here; redraw them with `{REDRAW}`)")

EX = build_example()


def fit(m, width=13.4, height=7.4):
    """As big as the 16:9 frame allows, centred."""
    m.scale(min(width / m.width, height / m.height))
    return m.move_to(ORIGIN)


@frames_comparison
def test_numeric_matrix_with_labels_and_highlight(scene):
    scene.camera.background_color = DARK.background
    rec = EX.step("encoder.0.self_attn.head1.weights")
    m = NumericMatrix(rec.value, DARK, row_labels=rec.rows, col_labels=rec.cols, fill_color=DARK.weights)
    m.set_row_color(2, DARK.highlight)
    fit(m)
    scene.add(m, m.row_box(2, DARK.highlight))


@frames_comparison
def test_elided_matrix_light_theme(scene):
    scene.camera.background_color = LIGHT.background
    rec = EX.step("output.probs")          # 6 x 25: columns beyond the limit become ⋯
    m = NumericMatrix(rec.value, LIGHT, row_labels=rec.rows, col_labels=rec.cols, max_cols=7)
    scene.add(fit(m))


@frames_comparison
def test_masked_scores_show_minus_infinity(scene):
    scene.camera.background_color = DARK.background
    rec = EX.step("decoder.0.self_attn.head1.masked")
    m = NumericMatrix(rec.value, DARK, row_labels=rec.rows, col_labels=rec.cols)
    scene.add(fit(m))


@frames_comparison
def test_heatmap_and_bars(scene):
    scene.camera.background_color = DARK.background
    w = EX.step("encoder.0.self_attn.head2.weights")
    heat = WeightsHeatmap(w.value, DARK, cell_size=0.6, row_labels=w.rows, col_labels=w.cols)
    p = EX.step("output.probs")
    bars = ProbabilityBars(p.value[0], DARK, labels=list(EX.vocab), max_bars=6, order="value", show_values=True,
                           slot=0.8)
    scene.add(fit(VGroup(heat, bars).arrange(RIGHT, buff=1.0)))


@frames_comparison
def test_positional_waves_and_tokens(scene):
    scene.camera.background_color = DARK.background
    pe = EX.value("source.positional")
    grid = PositionalWaveGrid(pe, frequencies(pe.shape[1]), DARK, width=9, height=5.2)
    row = TokenRow(list(EX.tokens["source"]), DARK, ids=EX.value("source.ids").tolist())
    group = VGroup(row, grid).arrange(DOWN, buff=0.3).to_edge(UP, buff=0.2)
    if group.height > 7.6:
        group.scale_to_fit_height(7.6)
    scene.add(group.to_edge(LEFT, buff=0.3))


def test_control_frames_are_not_blank():
    """A control frame that is all background would make its test pass for a component that draws nothing."""
    files = sorted(CONTROL.glob("*.npz"))
    assert len(files) == 5
    for f in files:
        frame = np.load(f)["frame_data"]
        frame = frame.reshape(-1, *frame.shape[-3:])[-1]
        background = np.median(frame.reshape(-1, frame.shape[-1]), axis=0)
        differs = np.any(np.abs(frame.astype(int) - background.astype(int)) > 30, axis=-1).mean()
        assert differs > 0.01, f"{f.name}: only {differs:.2%} of the pixels differ from the background"


@pytest.mark.parametrize("ci", ["true", ""])
def test_cairo_guard_fails_in_ci_and_skips_elsewhere(ci, tmp_path, monkeypatch):
    """The guard itself, with control frames from another cairo: CI=true fails, naming both versions and the
    redraw command; a developer's run skips."""
    monkeypatch.setenv("CI", ci)
    fake = tmp_path / "cairo-version.txt"
    fake.write_text("0.0.1\n")
    monkeypatch.setitem(globals(), "CAIRO_FILE", fake)
    outcome = pytest.fail.Exception if ci else pytest.skip.Exception
    with pytest.raises((pytest.fail.Exception, pytest.skip.Exception)) as caught:   # a skip must not skip this
        cairo_guard()
    assert caught.type is outcome, f"CI={ci!r}: the guard raised {caught.type.__name__}"
    message = str(caught.value)
    assert "cairo 0.0.1" in message and cairo.cairo_version_string() in message and REDRAW in message
    monkeypatch.setitem(globals(), "CAIRO_FILE", CONTROL / "cairo-version.txt")
    if cairo_mismatch() is None:
        cairo_guard()        # the real control frames on their own cairo: compared, neither failed nor skipped
