"""ChapterScene: the base of every chapter.

A chapter's construct() reads like its script, as a sequence of named steps:

    with self.step("encoder.0.self_attn.head1.scores"):
        ...animations...

Each step is a Manim section named after the step id, enters the chapter's step timeline (written
beside the video as <chapter>.steps.json, from which the pipeline makes the captions), starts the voice's
clip of its narration when the course is narrated, lasts at least as long as its captions take to read
(and as the voice takes to speak), and ends with a key moment that a stills export can capture by id. The example and the theme come from the constructor, or,
when Manim's own CLI builds the scene, from the environment: TA_EXAMPLE (path to an example.json; default:
the built-in worked example) and TA_THEME (dark or light).
"""
from __future__ import annotations

import json
import os
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import numpy as np
from manim import (DOWN, UR, UL, FadeIn, FadeOut, MathTex, Mobject, Scene, Text, VGroup, Write, config)

from mathcore import Config, Example, build_example

from .components.text import flat_text, make_text
from .theme import Theme, get_theme
from narration import captions

from . import fastcopy  # noqa: F401  (a faster Mobject copy: most of a scene's build time)
from . import speedups  # noqa: F401  (a shared Tex cache, one conversion per repeated frame, fast AAC)


@lru_cache(maxsize=1024)
def _text(s: str, font: str, font_size: float, color: str) -> Text:
    """Each distinct text is shaped and parsed once per process (a quarter of a second each); callers get
    copies. Shaped by make_text, the one place text meets Pango (right-to-left scripts, loud failures)."""
    return make_text(s, font=font, font_size=font_size, color=color)

READING_WORDS_PER_SECOND = 2.8   # captions stay up at least this long
VOICE_PAUSE = 0.4                # seconds of quiet after a step's voice before the next step starts
FRAME_MARGIN = 0.3
HEADER_HEIGHT = 0.75             # band at the top for the chapter/step heading
FOOTER_HEIGHT = 0.55             # band at the bottom kept clear (players draw captions there)


def load_example() -> Example:
    path = os.environ.get("TA_EXAMPLE")
    return Example.load(path) if path else build_example(Config())


class StillsRequest:
    """Where stills go and which step ids to capture (None: every key moment)."""

    def __init__(self, folder: str | os.PathLike, at: set[str] | None = None):
        self.folder = Path(folder)
        self.at = at

    @classmethod
    def from_env(cls) -> "StillsRequest | None":
        folder = os.environ.get("TA_STILLS_DIR")
        if not folder:
            return None
        at = os.environ.get("TA_STILLS_AT")
        return cls(folder, set(at.split(",")) if at else None)


class ChapterScene(Scene):
    """number, slug and title come from the chapter list in scenes/__init__.py (one place)."""

    def __init__(self, example: Example | None = None, theme: Theme | None = None,
                 stills: StillsRequest | None = None, model: str | None = None, narrator=None,
                 next_chapter: int | None = None, **kwargs):
        self._model_arg = model
        self.next_chapter = next_chapter   # the chapter that follows in this run, if any (see teaser)
        self.narrator = narrator   # voice.Narrator (or anything with .clip(text)), None for a silent chapter
        self._example_arg = example
        self._theme_arg = theme
        self._stills_arg = stills
        super().__init__(**kwargs)

    # ------------------------------------------------------------ set-up
    def setup(self):
        from . import chapter_of
        ch = chapter_of(type(self).__name__)
        self.number, self.slug, self.title = ch.number, ch.slug, ch.title
        self.example: Example = self._example_arg or load_example()
        self.theme: Theme = self._theme_arg or get_theme(os.environ.get("TA_THEME", "dark"))
        self.stills = self._stills_arg or StillsRequest.from_env()
        self.cfg = self.example.config
        # the model preset that the scale chapters (11-12) describe; see mathcore.scale.PRESETS
        self.model_preset: str = self._model_arg or os.environ.get("TA_MODEL", "gpt3-175b")
        self.camera.background_color = self.theme.background
        self.timeline: list[dict] = []
        self.key_moments: dict[str, float] = {}
        self.key_moment_content: dict[str, int] = {}
        self.saved_stills: list[Path] = []
        self.exposed: dict[str, object] = {}   # what tests inspect (expose()); never read back by a chapter
        self.heading: Mobject | None = None
        self._current: dict | None = None
        if self.stills or config.dry_run:
            # stills (and dry runs) need only the end state of each animation: jump there instead of rendering frames
            self.renderer._original_skipping_status = True
            self.renderer.skip_animations = True
            # Manim still draws the whole static frame at every play() and wait() when skipping; nothing
            # looks at those frames, so draw only the key moments' stills (a third of a dry run's time)
            r = self.renderer
            self._draw_frame = r.update_frame
            r.update_frame = lambda *args, **kwargs: None
            r.save_static_frame_data = lambda *args, **kwargs: None
            r.static_image = None

    # ------------------------------------------------------------ steps
    def record(self, step_id: str):
        return self.example.step(step_id)

    def value(self, step_id: str) -> np.ndarray:
        return self.example.value(step_id)

    @contextmanager
    def step(self, step_id: str, narration: str | None = None, heading: str | None = None):
        """A named step: a section, an entry in the timeline, the voice's clip, a minimum reading time and a
        key moment at its end.

        step_id is a record id (its narration is used) or a chapter-local id such as "intro", which
        must then bring its own narration (words only: numbers on screen come from the record).
        """
        if narration is None:
            narration = self.example.step(step_id).narration
        if heading is None and self.example.has(step_id):
            heading = self.example.step(step_id).title
        self.next_section(step_id, skip_animations=self.renderer._original_skipping_status)
        start = self.renderer.time
        entry = {"id": step_id, "start": start, "narration": narration, "heading": heading}
        # the voice starts with the step, and the step waits for it: its animations play while it speaks
        clip = self.narrator.clip(narration) if self.narrator is not None else None
        if clip is not None:
            entry["clip"] = clip.to_dict()
            if not self.renderer._original_skipping_status:
                self.add_sound(str(clip.path), time_offset=0)
        self._current = entry
        if heading:
            self.set_heading(heading)
        yield entry
        # long enough to read, and to show its captions by the caption rules (narration/captions.py)
        min_len = max(len(narration.split()) / READING_WORDS_PER_SECOND, captions.min_duration(narration))
        if clip is not None:
            min_len = max(min_len, clip.duration + VOICE_PAUSE)
        elapsed = self.renderer.time - start
        if elapsed < min_len:
            self.wait(min_len - elapsed)
        end = self.renderer.time
        entry["end"] = end
        if step_id not in self.key_moments:
            self.key_moment(step_id)
        self.timeline.append(entry)
        self._current = None

    def teaser(self, sentence: str) -> str:
        """" " + sentence, a line that announces the next chapter, when that chapter follows this one in
        the run; "" otherwise, so a run's last chapter never points to a chapter that is not in it."""
        return f" {sentence}" if self.next_chapter == self.number + 1 else ""

    def expose(self, name: str, value):
        """Register something a test inspects (a mobject, a list of them, a number) under name; tests read
        scene.exposed[name]. The one test hook: chapters pass their own state from step to step, never
        through attributes."""
        self.exposed[name] = value
        return value

    def key_moment(self, step_id: str):
        """Mark this frame as the still for step_id; in stills mode, save it as <slug>-<step_id>.png."""
        self.key_moments[step_id] = self.renderer.time
        # what is on screen besides the heading and the chapter tag (a still of an empty stage is a bug)
        fixed = {id(self.heading), id(getattr(self, "chapter_tag", None))}
        self.key_moment_content[step_id] = sum(1 for m in self.mobjects if id(m) not in fixed)
        if self.stills and (self.stills.at is None or step_id in self.stills.at):
            from PIL import Image
            getattr(self, "_draw_frame", self.renderer.update_frame)(self)
            frame = self.renderer.get_frame()
            self.stills.folder.mkdir(parents=True, exist_ok=True)
            path = self.stills.folder / f"{self.slug}-{step_id}.png"
            tmp = path.with_name("." + path.name + ".tmp")
            Image.fromarray(np.asarray(frame)).save(tmp, format="PNG")
            os.replace(tmp, path)
            self.saved_stills.append(path)

    def tear_down(self):
        # the step timeline beside the video, for captions, chapters.txt and narration.md
        writer = getattr(self.renderer, "file_writer", None)
        movie = getattr(writer, "movie_file_path", None)
        if movie and not config.dry_run and not self.stills:
            if getattr(writer, "includes_sound", False):
                # Manim's sound track ends with the last clip: pad it with silence to the video's end
                writer.add_audio_segment(type(writer.audio_segment).silent(0), time=self.renderer.time)
            data = {"chapter": self.slug, "title": self.title, "duration": self.renderer.time,
                    "voice": getattr(self.narrator, "name", None),
                    "steps": self.timeline, "key_moments": self.key_moments}
            Path(movie).parent.mkdir(parents=True, exist_ok=True)
            Path(movie).with_suffix(".steps.json").write_text(json.dumps(data, indent=1, ensure_ascii=False))

    # ------------------------------------------------------------ layout helpers
    @property
    def content_top(self) -> float:
        return config.frame_height / 2 - HEADER_HEIGHT

    @property
    def content_bottom(self) -> float:
        return -config.frame_height / 2 + FOOTER_HEIGHT

    @property
    def content_width(self) -> float:
        return config.frame_width - 2 * FRAME_MARGIN

    @property
    def content_height(self) -> float:
        return self.content_top - self.content_bottom

    def fit(self, mob: Mobject, width: float | None = None, height: float | None = None) -> Mobject:
        """Scale mob down (never up) to fit width x height (default: the content area)."""
        width = width or self.content_width
        height = height or self.content_height
        factor = min(1.0, width / max(mob.width, 1e-9), height / max(mob.height, 1e-9))
        if factor < 1.0:
            mob.scale(factor)
        return mob

    def place_in_content(self, mob: Mobject) -> Mobject:
        """Fit mob and centre it in the content area."""
        self.fit(mob)
        mob.move_to([0, (self.content_top + self.content_bottom) / 2, 0])
        return mob

    def text(self, s: str, font_size: float = 26, color: str | None = None, mono: bool = False) -> Text:
        """User or script text: always Text (never LaTeX, never Pango markup), shaped by make_text so any
        script draws (right-to-left included) and a string no font can draw raises UndrawableTextError."""
        return _text(s, self.theme.mono if mono else self.theme.font, font_size, str(color or self.theme.text)).copy()

    def formula(self, tex: str, font_size: float = 34, color: str | None = None) -> MathTex:
        """A formula (our own LaTeX, never user text) in the theme's text colour unless color is given."""
        return MathTex(tex, font_size=font_size, color=color or self.theme.text)

    def t(self, s: str, size: float = 24, color: str | None = None, mono: bool = False):
        """A label as one flat path (flat_text, built by make_text: cheap to copy and animate); numbers in
        the mono font."""
        return flat_text(s, self.theme.mono if mono else self.theme.font, size, color or self.theme.text)

    def set_heading(self, heading: str):
        """The step's title in the header band, top left; replaces the previous one."""
        new = self.text(heading, font_size=self.theme.size_text, color=self.theme.dim)
        self.fit(new, width=self.content_width * 0.7, height=HEADER_HEIGHT * 0.6)
        new.to_corner(UL, buff=FRAME_MARGIN).shift(DOWN * 0.05)
        if self.heading is None:
            self.play(FadeIn(new), run_time=0.4)
        else:
            self.add(self.heading)   # last in the drawing order, so the fade re-draws only the two headings
            self.play(FadeOut(self.heading), FadeIn(new), run_time=0.4)
        self.heading = new

    def title_card(self, subtitle: str | None = None):
        """The chapter's number and title; also names the chapter in the top-right corner."""
        big = self.text(self.title, font_size=self.theme.size_title)
        num = self.text(f"Chapter {self.number}", font_size=28, color=self.theme.dim)
        group = VGroup(num, big).arrange(DOWN, buff=0.3)
        if subtitle:
            group.add(self.text(subtitle, font_size=self.theme.size_text, color=self.theme.dim))
            group.arrange(DOWN, buff=0.3)
        self.fit(group)
        self.play(Write(big), FadeIn(num), *(FadeIn(m) for m in group[2:]), run_time=1.2)
        self.wait(0.8)
        self.play(FadeOut(group), run_time=0.5)
        tag = self.text(f"{self.number} · {self.title}", font_size=self.theme.size_label, color=self.theme.dim)
        tag.to_corner(UR, buff=FRAME_MARGIN)
        self.add(tag)
        self.chapter_tag = tag
