"""The stage: its content region, clearing it, copy-free fades, and placing a formula beside a product layout.

The one home of clear_stage, everything_but (what is on stage besides some mobjects), the copy-free fade
(QuickFade) and place_formula; ChapterScene.clear_stage and the chapters call these.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from manim import LEFT, RIGHT, Animation, Mobject, VMobject, config


@dataclass(frozen=True)
class Region:
    """An axis-aligned area of the frame (for a work panel)."""
    left: float
    right: float
    bottom: float
    top: float

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.top - self.bottom

    @property
    def center(self) -> np.ndarray:
        return np.array([(self.left + self.right) / 2, (self.bottom + self.top) / 2, 0.0])

    @classmethod
    def of(cls, mob) -> "Region":
        return cls(mob.get_left()[0], mob.get_right()[0], mob.get_bottom()[1], mob.get_top()[1])


def content_region(scene) -> Region:
    """The scene's content area (below the heading band, above the caption band)."""
    half = config.frame_width / 2 - 0.3
    return Region(-half, half, scene.content_bottom, scene.content_top)


def centre_y(scene) -> float:
    """The height of the middle of the scene's content area."""
    return (scene.content_top + scene.content_bottom) / 2


def keep_inside(mob, region: Region):
    """Shift mob (never scale it) so that it lies inside region left to right, as far as its width allows:
    a matrix centred on its grid whose labels would reach past the edge moves over instead."""
    if mob.get_left()[0] < region.left:
        mob.shift(RIGHT * (region.left - mob.get_left()[0]))
    elif mob.get_right()[0] > region.right:
        mob.shift(LEFT * min(mob.get_right()[0] - region.right, mob.get_left()[0] - region.left))
    return mob


class QuickFade(Animation):
    """FadeIn or FadeOut without copies: Manim's own fades deep-copy the mobject twice, which for a whole
    matrix costs more than the frames. This one scales the opacities of the mobject's own points in place
    and puts them back when it is done (after a fade-out the mobject leaves the scene at full opacity, so it
    can come back)."""

    def __init__(self, mobject: Mobject, fade_in: bool = True, **kwargs):
        self.fade_in = fade_in
        super().__init__(mobject, introducer=fade_in, remover=not fade_in, **kwargs)

    def begin(self):
        self.saved = [(m, m.fill_rgbas[:, 3].copy(), m.stroke_rgbas[:, 3].copy(),
                       m.background_stroke_rgbas[:, 3].copy())
                      for m in self.mobject.get_family() if isinstance(m, VMobject)]
        super().begin()

    def create_starting_mobject(self):
        return self.mobject

    def _scale(self, factor: float):
        for m, fill, stroke, back in self.saved:
            if len(m.fill_rgbas) == len(fill):
                m.fill_rgbas[:, 3] = fill * factor
            if len(m.stroke_rgbas) == len(stroke):
                m.stroke_rgbas[:, 3] = stroke * factor
            if len(m.background_stroke_rgbas) == len(back):
                m.background_stroke_rgbas[:, 3] = back * factor

    def interpolate_mobject(self, alpha: float) -> None:
        a = self.rate_func(alpha)
        self._scale(a if self.fade_in else 1 - a)

    def clean_up_from_scene(self, scene) -> None:
        super().clean_up_from_scene(scene)
        self._scale(1.0)




def fade_in(mob: Mobject, **kwargs) -> QuickFade:
    return QuickFade(mob, True, **kwargs)


def fade_out(mob: Mobject, **kwargs) -> QuickFade:
    return QuickFade(mob, False, **kwargs)


def clear_stage(scene, *keep: Mobject, run_time: float = 0.5,
                fade: Callable[[Mobject], Animation] = fade_out, detach: bool = False):
    """Fade out everything on screen but the heading, the chapter tag and keep (default: with QuickFade;
    most chapters pass fade=FadeOut, Manim's own, which their pictures were made with).

    detach=True first takes off the scene the top-level mobjects that are parts of a kept one (groups of a
    kept matrix's cells that animations left behind): fading and removing them would take them out of the
    kept mobject too. The fading ones are then brought to the front, so the rest is not re-drawn."""
    fixed = {id(m) for m in (scene.heading, getattr(scene, "chapter_tag", None), *keep) if m is not None}
    if detach:
        kept_parts = {id(x) for k in keep if k is not None for x in k.get_family()}
        scene.remove(*(m for m in scene.mobjects
                       if id(m) not in fixed and any(id(x) in kept_parts for x in m.get_family())))
    gone = [m for m in scene.mobjects if id(m) not in fixed]
    if gone:
        if detach:
            scene.add(*gone)
        scene.play(*(fade(m) for m in gone), run_time=run_time)


def everything_but(scene, *keep: Mobject) -> list[Mobject]:
    """The scene's top-level mobjects other than keep, the heading and the chapter tag, leaving out any that
    share parts with keep (rows of a kept matrix that an animation added on their own): fading those would
    fade the kept matrix too."""
    fixed = {id(m) for m in (scene.heading, getattr(scene, "chapter_tag", None), *keep) if m is not None}
    kept_parts = {id(x) for k in keep if k is not None for x in k.get_family()}
    return [m for m in scene.mobjects if id(m) not in fixed
            and not any(id(x) in kept_parts for x in m.get_family())]


def place_formula(scene, f: VMobject, lay, min_scale: float = 0.7, *, too_small: str = "hide") -> bool:
    """Put a formula (e.g. the record's) where a product layout leaves room: above it when it fits there
    (returns False: it may stay), else in the work panel (returns True: it must make way while the work is
    shown). Above it, the formula sits over the right matrix (kind "scheme") or the centre (kind "row").

    too_small chooses what happens when it does not fit above:
    "hide": above, a formula sticking out on the left is first nudged right; in the panel it is scaled
    to fit, but if that takes less than min_scale it is made invisible instead (the names already say
    it) and False is returned.
    "shrink": above, it must fit where it is centred; in the panel it is shrunk (never enlarged) to fit,
    however small, and True is returned."""
    if too_small not in ("hide", "shrink"):
        raise ValueError(f"too_small must be 'hide' or 'shrink', not {too_small!r}")
    area = content_region(scene)
    top = max(m.get_top()[1] for m in (lay.left, lay.right, lay.result, lay.name_group))
    x = lay.right.get_grid().get_center()[0] if lay.kind == "scheme" else 0
    if lay.panel.top > top and x - f.width / 2 < lay.panel.right:
        top = lay.panel.top   # a scheme's panel taller than the right matrix reaches above it: above both
    if top + 0.15 + f.height <= area.top:
        f.move_to([x, top + 0.15 + f.height / 2, 0])
        if too_small == "hide":
            if f.get_left()[0] < area.left:
                f.shift(RIGHT * (area.left - f.get_left()[0]))
            fits = f.get_right()[0] <= area.right
        else:
            fits = area.left <= f.get_left()[0] and f.get_right()[0] <= area.right
        if fits:
            return False
    region = lay.panel
    if too_small == "shrink":
        scene.fit(f, width=region.width, height=max(region.height, 0.3))
        f.move_to(region.center)
        return True
    factor = min(1.0, region.width / max(f.width, 1e-9), region.height / max(f.height, 1e-9))
    if factor >= min_scale:
        f.scale(factor).move_to(region.center)
        return True
    f.set_opacity(0)
    return False
