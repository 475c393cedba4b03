"""The components' shape: short functions, and one definer of each stage helper."""
import ast
from pathlib import Path

import pytest

COMPONENTS = Path(__file__).resolve().parent.parent / "scenes" / "components"
SCENES = COMPONENTS.parent
MAX_LINES = 80


@pytest.fixture
def own_media(tmp_path):
    """Text shaping writes (and deletes) files under the media folder: a private one, so parallel runs
    never delete each other's."""
    from manim import tempconfig
    with tempconfig({"media_dir": str(tmp_path)}):
        yield


def functions(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node


@pytest.mark.parametrize("path", sorted(COMPONENTS.glob("*.py")), ids=lambda p: p.name)
def test_no_component_function_is_longer_than_80_lines(path):
    long = [f"{f.name} (line {f.lineno}): {f.end_lineno - f.lineno + 1} lines" for f in functions(path)
            if f.end_lineno - f.lineno + 1 > MAX_LINES]
    assert not long, f"{path.name}: split these into named sub-builders: {long}"


def definers(name: str) -> list[str]:
    """Files under scenes/ that define name (a function or a class) at their top level."""
    out = []
    for path in sorted(SCENES.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if any(isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name == name for n in tree.body):
            out.append(str(path.relative_to(SCENES)))
    return out


@pytest.mark.parametrize("name", ["clear_stage", "place_formula", "QuickFade", "fade_in", "fade_out"])
def test_stage_helpers_are_defined_once_in_stage_py(name):
    found = definers(name)
    assert found == ["components/stage.py"], f"{name} defined in {found}: import it from stage.py"


def test_product_layout_is_a_mobject_with_geometry(own_media):
    import numpy as np
    from types import SimpleNamespace

    from manim import VGroup

    import scenes.base  # noqa: F401  (fast copies, as in a chapter)
    from scenes.components.choreography import ProductLayout, layout_product
    from scenes.components.stage import Region
    from scenes.theme import get_theme

    scene = SimpleNamespace(theme=get_theme("dark"), cfg=SimpleNamespace(decimals=2), content_bottom=-3.2,
                            content_top=3.0)
    A, B = np.arange(6.0).reshape(3, 2), np.ones((2, 4))
    lay = layout_product(scene, A, B, A @ B, names=("X", "W", "Q"))
    assert isinstance(lay, ProductLayout) and isinstance(lay, VGroup)
    assert callable(lay.scale) and 0 < lay.fit_scale <= 1
    assert lay.kind in ("scheme", "row") and isinstance(lay.panel, Region)
    assert {lay.left, lay.right, lay.result} <= set(lay.submobjects)
    assert lay.scale(1.0) is lay


def test_matrix_pitch_stays_right_after_scaling(own_media):
    import numpy as np

    import scenes.base  # noqa: F401
    from scenes.components.matrix import NumericMatrix
    from scenes.theme import get_theme

    m = NumericMatrix(np.arange(12.0).reshape(3, 4), get_theme("dark"))
    dx = m.get_cell(0, 1).get_x() - m.get_cell(0, 0).get_x()
    dy = m.get_cell(0, 0).get_y() - m.get_cell(1, 0).get_y()
    assert m.cell_pitch_x == pytest.approx(dx) and m.cell_pitch_y == pytest.approx(dy)
    m.scale(0.5)
    dx2 = m.get_cell(0, 1).get_x() - m.get_cell(0, 0).get_x()
    assert m.cell_pitch_x == pytest.approx(dx2) == pytest.approx(dx / 2)
    assert m.box_width == pytest.approx(m.get_cell(2, 3).box.width)
    assert m.cell_pitch_y == pytest.approx(dy / 2)


def test_heatmap_elides_with_elide(own_media):
    import numpy as np

    import scenes.base  # noqa: F401
    from mathcore.elide import elide
    from scenes.components.heatmap import WeightsHeatmap
    from scenes.theme import get_theme

    h = WeightsHeatmap(np.full((12, 12), 0.5), get_theme("dark"), max_rows=6, max_cols=5,
                       row_labels=[f"w{i}" for i in range(12)])
    assert h.shown_rows == elide(12, 6) and h.shown_cols == elide(12, 5)
    assert len(h.squares) == 5 * 4 and set(h.row_labels) == {0, 1, 2, 3, 11}
    assert len(h.ellipses) == 6 + 5 - 1
    full = WeightsHeatmap(np.full((3, 4), 0.5), get_theme("dark"))
    assert full.shown_rows == [0, 1, 2] and len(full.squares) == 12 and len(full.ellipses) == 0
