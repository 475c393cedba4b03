"""docs/example-format.md documents every step id and weight name that mathcore produces."""
import re
from pathlib import Path

import pytest

from mathcore import Config, build_example

DOC = Path(__file__).resolve().parents[1] / "docs" / "example-format.md"
SUBS = {"{side}": "(source|target)", "{l}": r"\d+", "{h}": r"\d+", "{t}": r"\d+"}


def documented_patterns():
    patterns = []
    for line in DOC.read_text().splitlines():
        if not line.startswith("| `"):
            continue
        first_cell = line.split("|")[1]
        names = re.findall(r"`([^`]+)`", first_cell)
        base = names[0]
        for name in names:
            full = base.rsplit(".", 1)[0] + name if name.startswith(".") else name
            rx = re.escape(full)
            for k, v in SUBS.items():
                rx = rx.replace(re.escape(k), v)
            patterns.append(re.compile(rx + "$"))
    return patterns


@pytest.mark.parametrize("cfg", [Config(), Config(n_encoder_layers=2, n_decoder_layers=2, d_model=8, n_heads=4,
                                                  tied_output=False)])
def test_every_step_and_weight_is_documented(cfg):
    patterns = documented_patterns()
    ex = build_example(cfg)
    for name in [s.id for s in ex.steps] + list(ex.weights):
        assert any(p.match(name) for p in patterns), f"{name} is not documented in docs/example-format.md"


def test_scenes_guide_stays_inside_the_repository_and_its_pictures_exist():
    guide = DOC.parent / "scenes-guide.md"
    text = guide.read_text()
    assert "../" not in text and "shared/" not in text
    pictures = re.findall(r"\]\((components/[^)]+\.png)\)", text)
    assert len(pictures) >= 8
    for p in pictures:
        assert (guide.parent / p).exists(), p
    # every component module the guide names exists
    for module in re.findall(r"`(\w+\.py)`", text):
        assert list(DOC.parents[1].rglob(module)), module
