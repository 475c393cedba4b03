"""Shorts: one idea in under a minute, in portrait (9:16), from the example's own sentence and numbers.

One module per topic, each a ShortScene (scenes/shorts/base.py) built from the course's components. The
registry below is the one list of topics: the command line, the renderer and the tests read it."""
from __future__ import annotations

import importlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Topic:
    name: str        # what --topic takes
    title: str       # the idea, in a few words (the end card and the cover)
    module: str      # scenes.shorts.<module>
    scene: str       # class name

    @property
    def slug(self) -> str:
        return f"short-{self.name}"

    def load(self):
        return getattr(importlib.import_module(f"scenes.shorts.{self.module}"), self.scene)


TOPICS: list[Topic] = [
    Topic("attention", "Which word does it look at?", "attention", "AttentionShort"),
    Topic("positional", "How it knows word order", "positional", "PositionalShort"),
    Topic("mask", "Why the decoder cannot peek", "mask", "MaskShort"),
    Topic("next-word", "How it picks the next word", "next_word", "NextWordShort"),
]


class UnknownTopicError(ValueError):
    """A --topic that is not one of TOPICS; the message lists them."""


def topic_names() -> list[str]:
    return [t.name for t in TOPICS]


def get_topic(name: str) -> Topic:
    for t in TOPICS:
        if t.name == name:
            return t
    raise UnknownTopicError(f"Unknown topic '{name}': choose {', '.join(topic_names())} (or all).")


def select_topics(name: str) -> list[Topic]:
    """`all` is every topic; anything else one topic (UnknownTopicError if there is none of that name)."""
    return list(TOPICS) if name == "all" else [get_topic(name)]


def topic_of(scene_class: str) -> Topic:
    for t in TOPICS:
        if t.scene == scene_class:
            return t
    raise KeyError(f"{scene_class} is not a registered short")
