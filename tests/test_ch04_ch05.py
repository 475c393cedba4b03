"""Chapters 4 (self-attention, one head) and 5 (multi-head): dry runs for every layout configuration, and
what they draw checked against the record: cell counts, every shown number, bar heights, heatmap shading,
the step timeline, the length and the frame."""
import numpy as np
import pytest

from conftest import LAYOUT_CONFIGS
from mathcore import build_example
from scene_utils import construct_chapter, mobjects_outside_frame
from scenes.components import NumericMatrix, ProbabilityBars, flat_text, format_number
from scenes.components.bars import MIN_LENGTH
from scenes.components.heatmap import WeightsHeatmap
from scenes.theme import DARK

L = "encoder.0.self_attn"
H = f"{L}.head1"
CH4_STEPS = ["ch04.rows", "ch04.one-entry", f"{H}.q", f"{H}.k", f"{H}.v", f"{H}.scores", f"{H}.scaled",
             "ch04.why-scale", f"{H}.weights", "ch04.mix", f"{H}.out", "ch04.recap"]
CH5_STEPS = ["ch05.slices", "ch05.heads", f"{L}.concat", f"{L}.out", "ch05.recap"]


# ---------------------------------------------------------------- drawing helpers

def _cloud(mob) -> np.ndarray:
    """Points sampled along a glyph outline, centred and scaled to unit height: comparable across copies,
    scalings, moves and the point insertions a Transform leaves behind."""
    pts = mob.points
    curves = pts[: len(pts) // 4 * 4].reshape(-1, 4, 3)[:, :, :2]
    t = np.linspace(0, 1, 6)[:, None, None]
    a, b, c, d = (curves[None, :, k] for k in range(4))
    cloud = ((1 - t) ** 3 * a + 3 * (1 - t) ** 2 * t * b + 3 * (1 - t) * t ** 2 * c + t ** 3 * d).reshape(-1, 2)
    lo, hi = cloud.min(axis=0), cloud.max(axis=0)
    return (cloud - (lo + hi) / 2) / max(hi[1] - lo[1], 1e-9)


def same_glyphs(drawn, expected_text: str, font: str) -> bool:
    a, b = _cloud(drawn), _cloud(flat_text(expected_text, font, 20, "#ffffff"))
    d = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1))
    return max(d.min(axis=1).max(), d.min(axis=0).max()) < 0.03


def check_matrix(m: NumericMatrix, value: np.ndarray, decimals: int, what: str):
    value = np.asarray(value, dtype=float)
    if value.ndim == 1:
        value = value[None, :]
    assert m.values.shape == value.shape, what
    rows = [i for i in m.shown_rows if i is not None]
    cols = [j for j in m.shown_cols if j is not None]
    assert len(m.cells) == len(rows) * len(cols), f"{what}: {len(m.cells)} cells for {len(rows)}x{len(cols)} shown"
    assert set(rows) <= set(range(value.shape[0])) and set(cols) <= set(range(value.shape[1])), what
    for (i, j), cell in m.cells.items():
        assert cell.value == value[i, j], f"{what}[{i},{j}]: cell holds {cell.value}, record {value[i, j]}"
        text = format_number(value[i, j], decimals)
        assert same_glyphs(cell.text, text, m.theme.mono), f"{what}[{i},{j}] does not read {text}"


# ---------------------------------------------------------------- the chapters, every layout configuration

CASES = [(ch, name) for ch in (4, 5) for name in LAYOUT_CONFIGS]


@pytest.mark.parametrize("chapter,name", CASES, ids=[f"ch{c:02d}-{n}" for c, n in CASES])
def test_chapter_draws_the_record(chapter, name, monkeypatch):
    # a dry run never looks at pixels: skip drawing the frames Manim would otherwise draw at every play
    from manim.renderer.cairo_renderer import CairoRenderer
    monkeypatch.setattr(CairoRenderer, "update_frame", lambda *args, **kwargs: None)
    ex = build_example(LAYOUT_CONFIGS[name])
    scene = construct_chapter(chapter, ex)

    # length, frame, steps
    assert 40 <= scene.renderer.time <= 180, f"chapter lasts {scene.renderer.time:.1f} s"
    assert mobjects_outside_frame(scene) == []
    ids = [e["id"] for e in scene.timeline]
    expected = CH4_STEPS if chapter == 4 else CH5_STEPS
    assert [i for i in ids if i in expected] == expected, ids
    for e in scene.timeline:
        assert e["end"] > e["start"] and e["narration"].strip()

    # every recorded matrix on screen shows the record's numbers, rounded for display only
    dec = ex.config.decimals
    shown = scene.exposed["shown"]      # step id -> the matrix that shows it (ChapterScene.expose)
    must = ([f"{H}.{s}" for s in ("q", "k", "v", "scores", "scaled", "weights", "out")] if chapter == 4
            else [f"{L}.concat", f"{L}.out"] + [f"{L}.head{k}.out" for k in range(1, ex.config.n_heads + 1)])
    assert set(must) <= set(shown), set(must) - set(shown)
    for step_id, mob in shown.items():
        if isinstance(mob, NumericMatrix):
            check_matrix(mob, ex.value(step_id), dec, step_id)
        else:
            assert isinstance(mob, WeightsHeatmap), step_id
            weights = ex.value(step_id.removesuffix(".heatmap"))
            np.testing.assert_allclose(mob.values, weights)
            for (i, j), sq in mob.squares.items():
                assert sq.get_fill_opacity() == pytest.approx(min(weights[i, j], 1.0) * mob.max_opacity, abs=1e-9)

    if chapter == 4:
        # the softmax bars: one per shown key, heights proportional to the recorded weights of their row
        bars = scene.exposed["bars"]
        w = ex.value(f"{H}.weights")[bars.source_row]
        np.testing.assert_allclose(bars.values, w)
        for k, bar in bars.bars.items():
            assert bar.height == pytest.approx(max(w[k] * bars.length / bars.scale_max, MIN_LENGTH), abs=1e-6)


# ---------------------------------------------------------------- ProbabilityBars on its own

def test_bars_are_proportional_and_highlight_the_largest():
    v = np.array([0.1, 0.5, 0.0, 0.4])
    bars = ProbabilityBars(v, DARK, labels=["a", "b", "c", "d"], length=2.0, show_values=True)
    for k, bar in bars.bars.items():
        assert bar.height == pytest.approx(max(v[k] * 2.0, MIN_LENGTH))
    assert bars.max_index == 1
    assert bars.get_bar(1).get_fill_color().to_hex().lower() == DARK.highlight.lower()
    assert bars.get_bar(0).get_fill_color().to_hex().lower() == DARK.weights.lower()
    # bars stand on one baseline
    assert len({round(b.get_bottom()[1], 6) for b in bars.bars.values()}) == 1


def test_bars_elide_by_value_with_more_label():
    v = np.linspace(0.01, 0.2, 20)
    bars = ProbabilityBars(v, DARK, labels=[f"w{k}" for k in range(20)], max_bars=5, order="value",
                           direction="right", scale_max=None)
    assert bars.shown_indices() == [19, 18, 17, 16, 15]
    assert bars.hidden_count == 15 and len(bars.more_label.points)
    # scale_max None: the largest bar has full length
    assert bars.get_bar(19).width == pytest.approx(bars.length)
    # slots go down the screen, largest first
    ys = [bars.get_bar(k).get_y() for k in bars.shown_indices()]
    assert ys == sorted(ys, reverse=True)


def test_bars_elide_by_index_like_a_matrix():
    v = np.full(12, 1 / 12)
    bars = ProbabilityBars(v, DARK, max_bars=6)
    assert bars.shown == [0, 1, 2, 3, None, 11]
    assert len(bars.ellipses) == 1
    with pytest.raises(IndexError):
        bars.get_bar(5)


def test_exponentials_stay_as_narrow_as_their_column():
    from scenes.components.choreography import compact_number
    assert compact_number(1.49, 2, 5) == "1.49"
    assert compact_number(658.93, 2, 5) == "658.9"
    assert compact_number(11498.82, 2, 5) == "11499"
    assert compact_number(3.3e6, 2, 5) == "3.3e6"
