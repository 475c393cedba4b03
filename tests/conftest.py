"""Shared fixtures: the configurations every chapter must lay out well, and a dry-run helper."""
import os
import re
from pathlib import Path

import pytest

from mathcore import Config

# The extreme configurations of the chapters' issues (default first).
# A corpus of 60+ distinct words, for the layouts that must elide a large vocabulary.
BIG_CORPUS = (
    "I drink and I know things.",
    "When you play the game of thrones, you win or you die.",
    "The true enemy won't wait out the storm, He brings the storm.",
    "Winter is coming, and the night is dark and full of terrors.",
    "A lion does not concern himself with the opinion of sheep.",
    "Chaos isn't a pit; chaos is a ladder that climbers cling to.",
    "The man who passes the sentence should swing the sword.",
    "Never forget what you are, for surely the world will not.",
    "A mind needs books as a sword needs a whetstone.",
)
CHINESE_CORPUS = ("凛冬将至。", "我们会赢。", "长夜将至，我从今开始守望。")
LAYOUT_CONFIGS = {
    "default": Config(),
    "twelve-tokens": Config(source="when you play the game of thrones you win or you die",
                            target="the true enemy won't wait out the storm he brings the storm"),
    "d8-h4": Config(d_model=8, n_heads=4, d_ff=16),
    "one-token": Config(source="storm", target="die"),
    "chinese-char": Config(corpus=CHINESE_CORPUS, source="凛冬将至", target="我们会赢", tokenizer="char"),
    "accented": Config(corpus=("Ünïcödé café crème brûlée", "Привет мир, ça va"),
                       source="café crème brûlée ça va", target="привет мир"),
}


@pytest.fixture(autouse=True, scope="session")
def _own_text_folder(tmp_path_factory):
    """Manim shapes every Text through an SVG file in media_dir/texts. Outside a tempconfig that is the
    project's media/ folder, shared by the xdist workers, and one worker could read a file another was
    still writing (FileNotFoundError or ParseError in CI). Each worker gets its own for the session."""
    from manim import config
    before = config.media_dir
    config.media_dir = str(tmp_path_factory.mktemp("manim-media"))
    # Manim reuses a text's SVG file whenever it exists: one cut short by a killed test run (an empty
    # file) would fail every later run that shapes the same text (ParseError). The kept test caches
    # of this worker (media/test-cache/<worker>, shorts-<worker>) drop such files first.
    cache = Path(__file__).resolve().parents[1] / "media" / "test-cache"
    for svg in cache.glob(f"*{os.environ.get('PYTEST_XDIST_WORKER', 'main')}/texts/*.svg"):
        if svg.stat().st_size == 0:
            svg.unlink(missing_ok=True)
    yield
    config.media_dir = before


def pytest_addoption(parser):
    # Manim's frames_comparison helper reads these options
    parser.addoption("--skip_slow", action="store_true", default=False, help="skip Manim's slow frame tests")
    parser.addoption("--show_diff", action="store_true", default=False, help="show frame differences")
    parser.addoption("--set_test", action="store_true", default=False, help="(re)write the control frames")


@pytest.fixture(params=list(LAYOUT_CONFIGS), ids=list(LAYOUT_CONFIGS))
def layout_config(request):
    return LAYOUT_CONFIGS[request.param]


CONFIG_PARAMS = ("name", "config", "layout_config")


@pytest.hookimpl(tryfirst=True)   # before xdist's, which reads the groups
def pytest_collection_modifyitems(config, items):
    """Send every dry run of a chapter and example to one process, whichever test asks for it (the contract
    test in test_chapters.py, the chapter's own tests, the layout audit in test_audit.py): with --dist
    loadgroup (pyproject.toml) they then share one construction (tests/scene_utils.py keeps recent scenes
    and every dry run's audit). The audit's tests go last, so that the chapter tests, some of which watch
    the construction as it runs, build the scene."""
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        chapter = params.get("chapter")
        chapter = getattr(chapter, "number", chapter)
        if chapter is None:
            m = re.match(r"test_ch(\d\d)_", item.originalname or item.name) or \
                re.fullmatch(r"test_ch(\d\d)", item.module.__name__.rpartition(".")[2])
            chapter = int(m.group(1)) if m else None
        if item.module.__name__.endswith("test_chapters") and chapter is not None:
            config_name = "default"
        else:
            config_name = next((params[k] for k in CONFIG_PARAMS if isinstance(params.get(k), str)), None)
            if config_name is None and chapter is not None and not params:
                config_name = "default"     # (a chapter's test of the default example alone)
        if chapter is not None and config_name is not None:
            item.add_marker(pytest.mark.xdist_group(f"ch{int(chapter):02d}-{config_name}"))
    items.sort(key=lambda item: item.module.__name__.endswith("test_audit"))   # (a stable sort)
