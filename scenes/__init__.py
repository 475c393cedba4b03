"""The chapters, in order. One module and one ChapterScene subclass each; imported lazily so a chapter's
import cost (and any error) stays with that chapter."""
from __future__ import annotations

import importlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Chapter:
    number: int
    slug: str        # file-name friendly; also the prefix of its stills
    title: str
    module: str      # scenes.<module>
    scene: str       # class name

    def load(self):
        return getattr(importlib.import_module(f"scenes.{self.module}"), self.scene)


CHAPTERS: list[Chapter] = [
    Chapter(2, "ch02-embedding", "Embedding", "ch02_embedding", "EmbeddingScene"),
]


def get_chapter(key: str | int) -> Chapter:
    """By number ("2"), slug ("ch02-embedding") or module name."""
    for ch in CHAPTERS:
        if str(key) in (str(ch.number), ch.slug, ch.module):
            return ch
    known = ", ".join(str(c.number) for c in CHAPTERS)
    raise KeyError(f"Unknown chapter '{key}': use one of {known}.")


def chapter_of(scene_class: str) -> Chapter:
    for ch in CHAPTERS:
        if ch.scene == scene_class:
            return ch
    return Chapter(-1, scene_class.lower(), scene_class, "", scene_class)  # an unregistered (test) scene
