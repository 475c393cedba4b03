"""The layout, read from the code's own syntax (ast): render.py alone at the root, packages that import one
way (render -> pipeline -> scenes, narration, publish -> mathcore), no import cycle, click only in the
command line, every scene helper defined once, and a chapter process that starts from pipeline.worker."""
import ast
import tomllib
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("mathcore", "scenes", "pipeline", "narration", "publish")

# which project packages each layer may import (itself included); nothing imports render
MAY_IMPORT = {
    "mathcore": {"mathcore"},
    "narration": {"narration", "mathcore"},
    "scenes": {"scenes", "narration", "mathcore"},
    "publish": {"publish", "scenes", "mathcore"},    # scenes: the chapter list, for chapters not rendered yet
    "pipeline": {"pipeline", "scenes", "narration", "publish", "mathcore"},
    "render": {"pipeline", "scenes", "narration", "publish", "mathcore"},
}
MANIM_FREE = ("mathcore", "narration", "publish")


def project_modules(root: Path = ROOT) -> dict[str, Path]:
    """Every module of the project (render and the packages; not tests, scripts or vendored files) by name."""
    mods = {"render": root / "render.py"}
    for pkg in PACKAGES:
        for path in (root / pkg).rglob("*.py"):
            parts = path.relative_to(root).with_suffix("").parts
            mods[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return mods


def imports_of(name: str, path: Path, known) -> set[str]:
    """The modules `name` imports anywhere in its body (top level or inside functions): project modules by
    their full name, others by their top-level name."""
    is_pkg = path.name == "__init__.py"
    package = name if is_pkg else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module
            for a in node.names:
                sub = f"{mod}.{a.name}"
                out.add(sub if sub in known else mod)
    return {m if m in known else m.split(".")[0] for m in out}


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    mods = project_modules(root)
    return {name: {m for m in imports_of(name, path, mods) if m in mods and m != name} for name, path in mods.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(out)


def test_render_py_is_alone_at_the_root():
    assert sorted(p.name for p in ROOT.glob("*.py")) == ["render.py"]
    assert all((ROOT / pkg / "__init__.py").is_file() for pkg in PACKAGES)


def test_no_import_cycle():
    assert cycles(import_graph()) == []


def test_the_cycle_finder_finds_a_cycle(tmp_path):
    """The check above can fail: a two-module cycle and a three-module one, written as the project writes
    imports (absolute, relative, inside a function), are found; a one-way chain is not."""
    for pkg in PACKAGES:
        (tmp_path / pkg).mkdir()
        (tmp_path / pkg / "__init__.py").write_text("")
    (tmp_path / "render.py").write_text("import pipeline.a\n")
    (tmp_path / "pipeline" / "a.py").write_text("from pipeline import b\n")
    (tmp_path / "pipeline" / "b.py").write_text("def f():\n    from . import a\n")
    (tmp_path / "publish" / "x.py").write_text("from .y import z\n")
    (tmp_path / "publish" / "y.py").write_text("import narration.w\nz = 1\n")
    (tmp_path / "narration" / "w.py").write_text("from publish import x\n")
    (tmp_path / "mathcore" / "m.py").write_text("import numpy\n")
    (tmp_path / "scenes" / "s.py").write_text("from mathcore import m\n")
    assert cycles(import_graph(tmp_path)) == [["narration.w", "publish.x", "publish.y"], ["pipeline.a", "pipeline.b"]]


@pytest.mark.parametrize("layer", sorted(MAY_IMPORT))
def test_imports_go_one_way(layer):
    graph = import_graph()
    mods = project_modules()
    for name, deps in graph.items():
        if name.split(".")[0] != layer:
            continue
        wrong = {d for d in deps if d.split(".")[0] not in MAY_IMPORT[layer]}
        assert not wrong, f"{name} imports {sorted(wrong)}"
        if layer in MANIM_FREE:
            assert "manim" not in imports_of(name, mods[name], mods), name


def test_click_only_in_render_py():
    mods = project_modules()
    users = sorted(n for n, p in mods.items() if "click" in imports_of(n, p, mods))
    assert users == ["render"]


MANIM_SCENE_API = {"construct", "setup", "tear_down"}   # what every manim Scene defines


def _helpers(root: Path = ROOT) -> dict[str, list[str]]:
    """Where each scene helper is defined: a module-level function or class of scenes/, a method of
    ChapterScene (the base of every chapter), or a method of a chapter's scene that is not a step (it does
    not open `with self.step(...)`). A subclass overriding a base method is not a second definition."""
    where = defaultdict(list)
    base_methods = set()
    for path in sorted((root / "scenes").rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                where[node.name].append(rel)
            if not isinstance(node, ast.ClassDef):
                continue
            bases = {getattr(b, "id", getattr(b, "attr", "")) for b in node.bases}
            for m in node.body:
                if not isinstance(m, ast.FunctionDef) or m.name.startswith("__") or m.name in MANIM_SCENE_API:
                    continue
                if rel == "scenes/base.py" and node.name == "ChapterScene":
                    base_methods.add(m.name)
                    where[m.name].append(f"{rel}:ChapterScene")
                elif path.name.startswith("ch") and "ChapterScene" in bases and not _is_step(m):
                    where[m.name].append(f"{rel}:{node.name}")
    return {name: places for name, places in where.items()
            if len(places) > 1 and not _overrides_only(name, places, base_methods)}


def _is_step(fn: ast.FunctionDef) -> bool:
    return any(isinstance(n, ast.With) and any(
        isinstance(i.context_expr, ast.Call) and getattr(i.context_expr.func, "attr", "") == "step"
        for i in n.items) for n in ast.walk(fn))


def _overrides_only(name, places, base_methods) -> bool:
    """A ChapterScene method redefined only by chapter scenes (their subclasses): an override."""
    return name in base_methods and all(":" in p for p in places)


def test_no_scene_helper_defined_twice():
    dups = _helpers()
    assert not dups, f"helpers defined more than once: {dups}"


def test_the_duplicate_finder_finds_a_copy(tmp_path):
    scenes = tmp_path / "scenes"
    (scenes / "components").mkdir(parents=True)
    (scenes / "base.py").write_text("class ChapterScene:\n    def clear_stage(self): ...\n    def step(self): ...\n")
    (scenes / "components" / "stage.py").write_text("def clear_stage(scene): ...\n")
    (scenes / "ch01_a.py").write_text(
        "from .base import ChapterScene\nclass A(ChapterScene):\n    def step(self): ...\n"
        "    def helper(self): ...\n    def intro(self):\n        with self.step('x'):\n            pass\n")
    (scenes / "ch02_b.py").write_text(
        "from .base import ChapterScene\nclass B(ChapterScene):\n    def helper(self): ...\n"
        "    def intro(self):\n        with self.step('y'):\n            pass\n")
    assert sorted(_helpers(tmp_path)) == ["clear_stage", "helper"]   # not the override, not the steps


def test_one_quality_table():
    """QUALITIES is defined once (pipeline/settings.py); render.py takes it from there."""
    defined = [p.relative_to(ROOT).as_posix() for p in project_modules().values() if "QUALITIES = {" in p.read_text()]
    assert defined == ["pipeline/settings.py"]
    import render
    from pipeline import settings
    assert render.QUALITIES is settings.QUALITIES


def test_chapter_processes_start_from_pipeline_worker(tmp_path):
    from pipeline import settings, worker
    cmd = worker.worker_command("2", tmp_path / "e.json", settings.RenderSettings(), tmp_path / "m")
    assert cmd[1:3] == ["-m", "pipeline.worker"] and "render.py" not in " ".join(cmd)
    with pytest.raises(SystemExit):
        worker.main(["--help"])


def test_the_package_installs_every_package_and_the_command():
    """pip install . ships every package folder and a `transformer-anim` command that is render.py's main."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert sorted(project["tool"]["setuptools"]["packages"]["find"]["include"]) == sorted(f"{p}*" for p in PACKAGES)
    assert project["tool"]["setuptools"]["py-modules"] == ["render"]
    assert project["project"]["scripts"]["transformer-anim"] == "render:main"
