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
    cost: float = 1.0   # relative render time (seconds for the narrated 480p15 default, 2 jobs, README's
                        # machine): the longest start first, so two jobs do not end with one chapter alone
    teaser: bool = False  # its closing line announces the next chapter when the run goes on to it
                          # (ChapterScene.teaser); only such a chapter depends on what follows it

    def load(self):
        return getattr(importlib.import_module(f"scenes.{self.module}"), self.scene)


CHAPTERS: list[Chapter] = [
    Chapter(0, "ch00-overview", "The whole machine", "ch00_overview", "OverviewScene", 22),
    Chapter(1, "ch01-data", "Tokens and vocabulary", "ch01_data", "DataScene", 24, teaser=True),
    Chapter(2, "ch02-embedding", "Embedding", "ch02_embedding", "EmbeddingScene", 13),
    Chapter(3, "ch03-positional", "Positional encoding", "ch03_positional", "PositionalScene", 18),
    Chapter(4, "ch04-self-attention", "Self-attention, one head", "ch04_self_attention", "SelfAttentionScene", 40, teaser=True),
    Chapter(5, "ch05-multi-head", "Multi-head attention", "ch05_multi_head", "MultiHeadScene", 17, teaser=True),
    Chapter(6, "ch06-add-norm", "Add & Norm", "ch06_add_norm", "AddNormScene", 16),
    Chapter(7, "ch07-feed-forward", "Feed-forward and the encoder output", "ch07_feed_forward", "FeedForwardScene", 23),
    Chapter(8, "ch08-masked-attention", "Masked self-attention", "ch08_masked_attention", "MaskedAttentionScene", 29),
    Chapter(9, "ch09-cross-attention", "Cross-attention", "ch09_cross_attention", "CrossAttentionScene", 31),
    Chapter(10, "ch10-output", "Output and prediction", "ch10_output", "OutputScene", 44),
    Chapter(11, "ch11-gpt3", "GPT-3 on a napkin", "ch11_gpt3", "GPT3Scene", 34),
    Chapter(12, "ch12-compute", "Compute and memory", "ch12_compute", "ComputeScene", 37),
    Chapter(13, "ch13-particles", "Tokens as particles", "ch13_particles", "ParticlesScene", 31),
    Chapter(14, "ch14-learning", "Learning", "ch14_learning", "LearningScene", 40),
]


def available_chapters() -> list[Chapter]:
    """The registered chapters whose module exists (chapters are added one by one)."""
    import importlib.util
    return [ch for ch in CHAPTERS if importlib.util.find_spec(f"scenes.{ch.module}") is not None]


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
