"""The numbers as they read on screen, checked against strings written by hand and against the record.

format_number (scenes/components/matrix.py) and the helpers that build on it are compared with hand-written
strings: a true minus (U+2212), the decimals, zero and negative zero, large and small values, ±∞ for masked
cells. Then chapters are built in Manim's dry-run mode and every number a matrix or a bar chart shows is
read back from the string it draws (its drawn_text), parsed here, and compared with the record's value to
the decimals shown: nothing on this side calls format_number."""
import math
import re

import numpy as np
import pytest

from mathcore import Config, build_example
from scenes.components import NumericMatrix, format_number
from scenes.components.bars import ProbabilityBars
from scenes.components.choreography import compact_number
from scenes.components.sums import operand
from scenes.theme import DARK

MINUS = "\u2212"
NUMBER = re.compile(r"^(\u2212?)(\d+)(?:\.(\d+))?$")


@pytest.mark.parametrize("value, decimals, shown", [
    (0.0, 2, "0.00"),
    (-0.0, 2, "0.00"),                       # negative zero: no sign
    (-0.004, 2, "0.00"),                     # rounds to zero: no sign either
    (0.004, 2, "0.00"),
    (-0.836, 2, "−0.84"),                    # U+2212, not a hyphen
    (0.836, 2, "0.84"),
    (-0.836, 3, "−0.836"),
    (0.836, 1, "0.8"),
    (-1.6, 0, "−2"),
    (7.0, 4, "7.0000"),
    (12345.678, 2, "12345.68"),              # large: all its digits, no separators, no exponent
    (-98765.4321, 1, "−98765.4"),
    (1e6, 2, "1000000.00"),
    (0.0003, 4, "0.0003"),                   # small
    (1e-9, 2, "0.00"),
    (-1e-9, 4, "0.0000"),
    (math.inf, 2, "∞"),
    (-math.inf, 2, "−∞"),                    # a masked score
])
def test_format_number_by_hand(value, decimals, shown):
    assert format_number(value, decimals) == shown
    assert "-" not in format_number(value, decimals)


def test_callers_by_hand():
    """The helpers built on format_number: an operand in parentheses when negative, a number squeezed to a
    width, and the LaTeX forms of chapter 6 (where LaTeX's own '-' is its minus)."""
    from scenes.ch06_add_norm import signed_terms, tex_number
    assert operand(-0.5, 2) == "(−0.50)" and operand(0.5, 2) == "0.50" and operand(-0.001, 2) == "0.00"
    assert compact_number(11498.8234, 2, 6) == "11499"           # e^9.35 in a 6-character column
    assert compact_number(-3.14159, 2, 6) == "−3.14"
    assert compact_number(-123456789.0, 2, 6) == "−1.2e8"
    assert compact_number(0.00012345, 2, 6) == "0.00"
    assert tex_number(-0.836, 2) == "-0.84" and tex_number(-0.001, 2) == "0.00"
    assert signed_terms([0.83, -0.594, 0.2], 2) == "0.83 - 0.59 + 0.20"
    assert signed_terms([-0.83, 0.0, -0.004], 2) == "-0.83 + 0.00 + 0.00"


def test_a_matrix_and_bars_draw_the_strings_by_hand():
    """What NumericMatrix and ProbabilityBars put on screen for a matrix written by hand, masked cells
    included."""
    values = np.array([[-0.836, 0.0, -0.0], [1234.5678, 1e-9, -math.inf], [math.inf, 2.5, -0.004]])
    m = NumericMatrix(values, DARK, decimals=2)
    shown = {ij: c.text.drawn_text for ij, c in m.cells.items()}
    assert shown == {(0, 0): "−0.84", (0, 1): "0.00", (0, 2): "0.00",
                     (1, 0): "1234.57", (1, 1): "0.00", (1, 2): "−∞",
                     (2, 0): "∞", (2, 1): "2.50", (2, 2): "0.00"}
    bars = ProbabilityBars(np.array([0.625, 0.3, 0.075]), DARK, labels=["a", "b", "c"], show_values=True,
                           decimals=3)
    assert [bars.value_labels[k].drawn_text for k in range(3)] == ["0.625", "0.300", "0.075"]


# ---------------------------------------------------------------- the chapters, read back from the screen

def parse_shown(s: str) -> tuple[float, int]:
    """A number as drawn -> (value, decimals). Only the designed form parses: digits, a point and the
    decimals, a true minus (never a hyphen), no '−0.00'; '∞' and '−∞' for masked cells."""
    if s in ("∞", MINUS + "∞"):
        return (-math.inf if s.startswith(MINUS) else math.inf), 0
    m = NUMBER.match(s)
    assert m, f"{s!r} is not a number as designed (digits, '.', decimals, U+2212 for minus)"
    sign, whole, frac = m.groups()
    value = float(whole + ("." + frac if frac else ""))
    assert not (sign and value == 0), f"{s!r}: a zero is shown without a sign"
    return (-value if sign else value), len(frac or "")


def assert_reads(s: str, value: float, decimals: int, where: str):
    """The string reads as the value at the decimals shown: within half a unit of its last digit."""
    shown, d = parse_shown(s)
    if math.isinf(value) or math.isinf(shown):
        assert shown == value, f"{where}: {s!r} for {value}"
        return
    assert d == decimals, f"{where}: {s!r} shows {d} decimals, not {decimals}"
    assert abs(shown - value) <= 0.5 * 10 ** -d + 1e-9 * max(1.0, abs(value)), f"{where}: {s!r} for {value!r}"


class Drawn:
    """Every NumericMatrix and ProbabilityBars made while a chapter is built (the scene keeps only some)."""

    def __init__(self, monkeypatch):
        self.matrices, self.bars = [], []
        for cls, into in ((NumericMatrix, self.matrices), (ProbabilityBars, self.bars)):
            original = cls.__init__

            def init(obj, *args, _original=original, _into=into, **kwargs):
                _original(obj, *args, **kwargs)
                _into.append((obj, kwargs))
            monkeypatch.setattr(cls, "__init__", init)


def record_numbers(ex) -> set[float]:
    """Every number of the record: the steps' values and the weights."""
    out = set()
    for step in ex.steps:
        out.update(np.asarray(step.value, dtype=float).ravel().tolist())
    for w in ex.weights.values():
        out.update(np.asarray(w, dtype=float).ravel().tolist())
    return out


CHAPTERS = [2, 4, 6, 8, 10]


@pytest.mark.parametrize("chapter", CHAPTERS, ids=[f"ch{c:02d}" for c in CHAPTERS])
def test_every_number_on_screen_reads_the_record(chapter, monkeypatch, tmp_path):
    """Each matrix cell and bar value a chapter draws, read from its string: it has the example's decimals
    (or the matrix's own), a true minus, and it equals its number to the decimals shown. The cells of the
    matrices a chapter names as a record step's (scene.exposed) read that step's recorded value; every matrix
    with numbers of the record shows record numbers."""
    from manim.renderer.cairo_renderer import CairoRenderer
    from scene_utils import _construct
    monkeypatch.setattr(CairoRenderer, "update_frame", lambda *args, **kwargs: None)
    drawn = Drawn(monkeypatch)
    ex = build_example(Config())
    scene = _construct(chapter, ex, DARK, tmp_path, None)     # built here: the cached scenes were not watched
    assert drawn.matrices, "the chapter draws matrices"
    known = record_numbers(ex)
    cells = 0
    for k, (m, _) in enumerate(drawn.matrices):
        for (i, j), cell in m.cells.items():
            assert_reads(cell.text.drawn_text, float(m.values[i, j]), m.decimals, f"matrix {k} [{i}, {j}]")
            cells += 1
        values = [float(m.values[i, j]) for (i, j) in m.cells]
        if any(v in known for v in values if v != 0):
            # a matrix of the record's numbers (not a scene's own illustration): all of them are the record's
            assert all(v in known or v == 0 or math.isinf(v) for v in values), f"matrix {k} mixes in other numbers"
    for k, (b, kwargs) in enumerate(drawn.bars):
        for idx, label in b.value_labels.items():     # ProbabilityBars' decimals default to 2
            assert_reads(label.drawn_text, float(b.values[idx]), kwargs.get("decimals", 2), f"bars {k} [{idx}]")
    # the matrices named for a record step read that step's value, cell by cell
    # (scene.exposed["shown"]: step id -> matrix; ["shown_matrices"]: step id -> [(matrix, record rows)])
    named = [(k, m, None) for k, m in scene.exposed.get("shown", {}).items()] + \
            [(k, m, rows) for k, pairs in scene.exposed.get("shown_matrices", {}).items() for m, rows in pairs]
    checked = 0
    for step_id, m, rows in named:
        if not isinstance(m, NumericMatrix) or not ex.has(step_id):
            continue
        rec = np.asarray(ex.value(step_id), dtype=float)
        if rec.ndim == 1:
            rec = rec[None, :]
        if rows is not None:
            rec = rec[list(rows)]
        if rec.shape != m.values.shape:
            continue
        for (i, j), cell in m.cells.items():
            assert_reads(cell.text.drawn_text, float(rec[i, j]), m.decimals, f"{step_id}[{i}, {j}]")
        checked += 1
    assert checked or chapter == 2, "the chapter names the matrices it shows for record steps"
    assert cells > 20
