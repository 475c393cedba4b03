"""The scenes' structure: a chapter never imports another chapter (what two chapters share is a component),
and the functions of the refactored chapters and components stay short."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCENES = ROOT / "scenes"
CHAPTERS = sorted(SCENES.glob("ch*.py"))
MAX_LINES = 80
# chapters and components split into short steps and choreography functions (issue 13)
SHORT = ["ch03_positional.py", "ch06_add_norm.py", "ch07_feed_forward.py", "ch08_masked_attention.py",
         "ch09_cross_attention.py", "ch10_output.py", "components/sums.py", "components/attention.py"]


def imported_modules(path: Path, text: str | None = None) -> set[str]:
    """Every module (and module.name) the file at path imports; relative imports resolved against its
    package. text: the file's source, if not read from path."""
    package = path.relative_to(ROOT).parent.parts
    names = set()
    for node in ast.walk(ast.parse(path.read_text() if text is None else text)):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                here = package[:len(package) - (node.level - 1)]
                base = ".".join([*here, base] if base else here)
            names.add(base)
            names.update(f"{base}.{a.name}" for a in node.names)
    return names


def test_chapters_are_found():
    assert len(CHAPTERS) >= 10


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_no_chapter_imports_another_chapter(path):
    chapters = {f"scenes.{p.stem}" for p in CHAPTERS}
    others = {m for m in imported_modules(path) if m in chapters and m != f"scenes.{path.stem}"}
    assert not others, f"{path.name} imports {sorted(others)}: move what they share into scenes/components/"


def test_the_import_check_sees_chapter_imports():
    text = "from scenes.ch03_positional import x\nfrom . import ch08_masked_attention\nimport scenes.ch10_output\n"
    found = imported_modules(SCENES / "ch99_probe.py", text) & {f"scenes.{p.stem}" for p in CHAPTERS}
    assert found == {"scenes.ch03_positional", "scenes.ch08_masked_attention", "scenes.ch10_output"}


def long_functions(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    return [f"{node.name} ({node.end_lineno - node.lineno + 1} lines)" for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.end_lineno - node.lineno + 1 > MAX_LINES]


@pytest.mark.parametrize("name", SHORT)
def test_functions_are_short(name):
    assert not long_functions(SCENES / name), f"{name}: longer than {MAX_LINES} lines: {long_functions(SCENES / name)}"
