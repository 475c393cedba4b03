"""Smoke test of the drawing toolchain: TeX, dvisvgm, Cairo/Pango and fonts for every script we promise."""
import shutil
import subprocess

import numpy as np
import pytest

manim = pytest.importorskip("manim")


def test_fonts_cover_latin_cyrillic_and_cjk():
    for lang in ("en", "ru", "zh-cn", "ja"):
        out = subprocess.run(["fc-list", f":lang={lang}", "family"], capture_output=True, text=True).stdout
        assert out.strip(), f"no installed font covers language '{lang}': run scripts/bootstrap.sh"
    import manimpango
    assert any("Noto Sans CJK" in f for f in manimpango.list_fonts()), "Noto Sans CJK missing"


def test_tex_and_dvisvgm_are_installed():
    for tool in ("latex", "dvisvgm", "kpsewhich"):
        assert shutil.which(tool), f"{tool} missing: run scripts/bootstrap.sh"
    for sty in ("standalone.cls", "preview.sty"):
        found = subprocess.run(["kpsewhich", sty], capture_output=True, text=True).stdout.strip()
        assert found, f"{sty} missing: install texlive-latex-extra"


def test_one_frame_with_formula_chinese_and_accents(tmp_path):
    from manim import DOWN, UP, MathTex, Scene, Text, VGroup, WHITE, tempconfig

    class Smoke(Scene):
        def construct(self):
            self.camera.background_color = "#000000"
            group = VGroup(
                MathTex(r"A = \mathrm{softmax}\left(\frac{QK^\top}{\sqrt{d_k}}\right)V", color=WHITE),
                Text("凛冬将至 · 我们会赢", font="Noto Sans CJK SC", color=WHITE),
                Text("Ünïcödé café crème brûlée · Привет мир", font="Noto Sans", color=WHITE),
            ).arrange(DOWN, buff=0.5)
            self.add(group)

    with tempconfig({"media_dir": str(tmp_path), "quality": "low_quality", "save_last_frame": True,
                     "write_to_movie": False, "disable_caching": True, "verbosity": "ERROR",
                     "output_file": "smoke"}):
        scene = Smoke()
        scene.render()
        frame = scene.renderer.get_frame()
    pngs = list(tmp_path.rglob("*.png"))
    assert pngs, "Manim wrote no PNG"
    assert frame.shape[:2] == (480, 854)
    lit = (np.asarray(frame)[:, :, :3] > 128).any(axis=2)
    rows = np.where(lit.any(axis=1))[0]
    # three separate lines of ink: the formula, the Chinese words, the accented words
    bands = 1 + int(np.sum(np.diff(rows) > 5))
    assert bands >= 3, f"expected three lines of text, found {bands}"
    # the formula and the sentences must really be drawn, not tofu boxes of missing glyphs:
    # a missing-glyph box is a hollow rectangle, with far less ink than the real characters
    assert lit.sum() > 3000
