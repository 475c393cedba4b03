"""The layers import one way: render (command line) -> course / batch (orchestration) -> exports (files),
mathcore never draws, and a chapter process starts from worker.py, never back through render.py."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("module, never", [
    ("course.py", {"render", "batch"}),
    ("batch.py", {"render"}),
    ("exports.py", {"render", "course", "batch", "scenes"}),
    ("worker.py", {"render", "batch"}),
    ("runctl.py", {"render", "course", "batch"}),
    ("voice.py", {"render", "course", "batch", "scenes", "manim"}),
    ("captions.py", {"render", "course", "batch", "scenes", "manim", "voice"}),
])
def test_imports_go_one_way(module, never):
    assert not imported_modules(ROOT / module) & never


def test_scenes_never_import_the_command_line():
    for path in (ROOT / "scenes").rglob("*.py"):
        assert not imported_modules(path) & {"render", "course", "batch", "exports", "worker"}, path


def test_one_quality_table():
    """QUALITIES is defined once (course.py); render.py takes it from there."""
    defined = [p.name for p in ROOT.glob("*.py") if "QUALITIES = {" in p.read_text()]
    assert defined == ["course.py"]
    import course
    import render
    assert render.QUALITIES is course.QUALITIES


def test_chapter_processes_start_from_worker_py(tmp_path):
    import course
    cmd = course.worker_command("2", tmp_path / "e.json", course.RenderSettings(), tmp_path / "m")
    assert cmd[1].endswith("worker.py") and "render.py" not in " ".join(cmd)
    import worker
    with pytest.raises(SystemExit):
        worker.main(["--help"])
