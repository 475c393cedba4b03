#!/usr/bin/env python3
"""Draw the catalogue of shared components (docs/components/*.png) from the default example's record:
one picture per component, as docs/scenes-guide.md shows them.

Usage: .venv/bin/python scripts/draw_components.py [OUT_DIR]   (default: docs/components)
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from manim import DOWN, ORIGIN, Scene, VGroup, tempconfig  # noqa: E402
from PIL import Image  # noqa: E402

from mathcore import build_example  # noqa: E402
from mathcore.layers import frequencies  # noqa: E402
from scenes.components import NumericMatrix, PositionalWaveGrid  # noqa: E402
from scenes.components.bars import ProbabilityBars  # noqa: E402
from scenes.components.heatmap import WeightsHeatmap  # noqa: E402
from scenes.components.tokens import TokenChip, TokenGrid, TokenRow  # noqa: E402
from scenes.theme import DARK  # noqa: E402

EX = build_example()
T = DARK


def numeric_matrix():
    rec = EX.step("encoder.0.self_attn.head1.weights")
    m = NumericMatrix(rec.value, T, row_labels=rec.rows, col_labels=rec.cols, fill_color=T.weights)
    m.set_row_color(2, T.highlight)
    return VGroup(m, m.row_box(2, T.highlight))


def elided_matrix():
    rec = EX.step("output.probs")
    return NumericMatrix(rec.value, T, row_labels=rec.rows, col_labels=rec.cols, max_cols=7)


def masked_scores():
    rec = EX.step("decoder.0.self_attn.head1.masked")
    return NumericMatrix(rec.value, T, row_labels=rec.rows, col_labels=rec.cols)


def heatmap():
    w = EX.step("encoder.0.self_attn.head2.weights")
    return WeightsHeatmap(w.value, T, cell_size=0.6, row_labels=w.rows, col_labels=w.cols)


def probability_bars():
    p = EX.step("output.probs")
    return ProbabilityBars(p.value[0], T, labels=list(EX.vocab), max_bars=6, order="value", show_values=True,
                           slot=0.8)


def token_chips():
    return VGroup(TokenChip("game", T), TokenRow(list(EX.tokens["source"]), T,
                                                 ids=EX.value("source.ids").tolist())).arrange(DOWN, buff=0.6)


def token_grid():
    return TokenGrid(list(EX.vocab), T)


def positional_waves():
    pe = EX.value("source.positional")
    return PositionalWaveGrid(pe, frequencies(pe.shape[1]), T, width=9, height=5.2)


COMPONENTS = {
    "numeric_matrix": numeric_matrix, "elided_matrix": elided_matrix, "masked_scores": masked_scores,
    "heatmap": heatmap, "probability_bars": probability_bars, "token_chips": token_chips,
    "token_grid": token_grid, "positional_waves": positional_waves,
}


def draw(mob, path: Path):
    with tempfile.TemporaryDirectory() as media, tempconfig({"pixel_width": 960, "pixel_height": 540,
                                                            "media_dir": media, "verbosity": "ERROR"}):
        scene = Scene()
        scene.camera.background_color = T.background
        mob.scale(min(13.4 / mob.width, 7.4 / mob.height, 1.6)).move_to(ORIGIN)
        scene.add(mob)
        scene.renderer.update_frame(scene)
        Image.fromarray(scene.renderer.get_frame()).convert("RGB").save(path, optimize=True)


def main():
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "components"
    out.mkdir(parents=True, exist_ok=True)
    for name, build in COMPONENTS.items():
        draw(build(), out / f"{name}.png")
        print(out / f"{name}.png")


if __name__ == "__main__":
    main()
