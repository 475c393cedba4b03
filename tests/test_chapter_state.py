"""Chapters pass state from step to step as arguments and return values, never through attributes, and no
function grows long (checked with ast on every chapter module).

construct() and the step methods of a ChapterScene subclass set no attribute on self (`self.x = ...`)
beyond what the base class sets; a test inspects a scene through scene.exposed (ChapterScene.expose).
"""
import ast
from pathlib import Path

import pytest

SCENES = Path(__file__).resolve().parent.parent / "scenes"
CHAPTERS = sorted(p.name for p in SCENES.glob("ch[0-9][0-9]_*.py"))
MAX_LINES = 80


def test_every_chapter_is_checked():
    """The rules below cover every chapter module: the files found are the registry's chapters."""
    from scenes import CHAPTERS as REGISTRY
    assert [name[:4] for name in CHAPTERS] == [f"ch{c.number:02d}" for c in REGISTRY] and len(CHAPTERS) == 15


def base_attributes() -> set[str]:
    """The attributes ChapterScene (scenes/base.py) sets on self."""
    tree = ast.parse((SCENES / "base.py").read_text())
    return {t.attr for node in ast.walk(tree) if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign))
            for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
            if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "self"}


def is_chapter_scene(cls: ast.ClassDef) -> bool:
    return any(isinstance(b, ast.Name) and b.id.endswith("Scene") for b in cls.bases)


def self_assignments(fn) -> list[tuple[str, int]]:
    out = []
    for node in ast.walk(fn):
        targets = (node.targets if isinstance(node, ast.Assign) else
                   [node.target] if isinstance(node, (ast.AnnAssign, ast.AugAssign)) else [])
        for t in targets:
            for e in ast.walk(t):
                if isinstance(e, ast.Attribute) and isinstance(e.ctx, ast.Store) and \
                        isinstance(e.value, ast.Name) and e.value.id == "self":
                    out.append((e.attr, node.lineno))
    return out


@pytest.mark.parametrize("name", CHAPTERS)
def test_steps_keep_no_state_on_self(name):
    tree = ast.parse((SCENES / name).read_text())
    allowed = base_attributes()
    bad = []
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef) and is_chapter_scene(n)):
        for fn in (n for n in cls.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))):
            if fn.name in ("__init__", "setup"):
                continue
            bad += [f"{cls.name}.{fn.name}:{line} sets self.{attr}" for attr, line in self_assignments(fn)
                    if attr not in allowed]
    assert not bad, "state passes through attributes (use locals, or self.expose for tests):\n" + "\n".join(bad)


@pytest.mark.parametrize("name", CHAPTERS)
def test_no_long_functions(name):
    tree = ast.parse((SCENES / name).read_text())
    long = [f"{fn.name} ({fn.end_lineno - fn.lineno + 1} lines, line {fn.lineno})" for fn in ast.walk(tree)
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) and fn.end_lineno - fn.lineno + 1 > MAX_LINES]
    assert not long, f"functions longer than {MAX_LINES} lines: " + ", ".join(long)
