"""Last-frame pixel snapshots of the shared components, with Manim's own frames_comparison.

Each test draws one component from the default example's record and compares the last frame (Manim's
graphical-test settings, a small frame) with the control frame in
tests/control_data/components/. After an intended visual change, rewrite them with

    .venv/bin/python -m pytest tests/test_snapshots.py --set_test -n 0

and look at the new frames before committing (they are .npz arrays; `--show_diff` shows a failing one).
"""
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
# A different cairo draws anti-aliased edges differently: there the comparison would say nothing, so it
# is skipped with that reason (and runs wherever the version matches, as in CI).
CONTROL = Path(__file__).parent / "control_data" / __module_test__
CAIRO_FILE = CONTROL / "cairo-version.txt"
frames_comparison_module.MIN_CAIRO_VERSION = 0


@pytest.fixture(autouse=True)
def same_cairo(request):
    if request.config.getoption("--set_test"):
        CONTROL.mkdir(parents=True, exist_ok=True)
        CAIRO_FILE.write_text(cairo.cairo_version_string() + "\n")
    elif CAIRO_FILE.exists() and CAIRO_FILE.read_text().strip() != cairo.cairo_version_string():
        pytest.skip(f"control frames were drawn with cairo {CAIRO_FILE.read_text().strip()}, "
                    f"this is {cairo.cairo_version_string()}")

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
