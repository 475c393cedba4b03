"""ShortScene: the base of every short, a ChapterScene in portrait (4.5 x 8 units, 9:16) with its captions
burned into the picture.

Timing is the course's: each step lasts its voice clip plus a pause (ChapterScene.step). On top of that, every
step gets its caption cues by the course's caption rules (captions.step_cues: at most two lines of 42
characters, timed by the voice's sentences, or at reading speed without a voice); those cues go into the
.srt/.vtt beside the video. In the picture each cue is shown as pages of at most two large lines, and the
word being said is highlighted. The voice model shipped (en_US-joe-medium) returns no phoneme alignments,
so a word's time is its share of its sentence's time by characters (the rule the course's captions use for
cues); without a voice, by characters within the cue.

The safe zone of Shorts and Reels: 6 % of the width clear at each side, the top tenth and the bottom fifth
clear (the app's interface covers them). Captions sit on the bottom edge of the safe zone, the pictures in
the stage above them. Numbers on screen come from the record only; matrices too wide are elided with ⋯ and
a sentence too long is elided with ⋯, never drawn below the theme's minimum text size.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, FadeIn, FadeOut, RoundedRectangle, VGroup, VMobject, config)

from mathcore.display import format_number
from mathcore.elide import elide

from ..base import READING_WORDS_PER_SECOND, VOICE_PAUSE, ChapterScene
from ..components.matrix import NumericMatrix
from ..components.stage import Region, clear_stage
from ..components.text import UndrawableTextError, _mark_size, ellipsize, flat_text, has_rtl, make_text
from ..components.tokens import STRUT, TokenRow

from narration import captions

FRAME_WIDTH, FRAME_HEIGHT = 4.5, 8.0          # Manim units: 9:16
FPS = 30
SIZES = {"l": (540, 960), "h": (1080, 1920), "k": (2160, 3840)}   # -q: draft, default, 4K
COVER_SIZE = (1080, 1920)
SIDE_MARGIN = 0.06 * FRAME_WIDTH
TOP_CLEAR = FRAME_HEIGHT / 10
BOTTOM_CLEAR = FRAME_HEIGHT / 5
SAFE = Region(-FRAME_WIDTH / 2 + SIDE_MARGIN, FRAME_WIDTH / 2 - SIDE_MARGIN,
              -FRAME_HEIGHT / 2 + BOTTOM_CLEAR, FRAME_HEIGHT / 2 - TOP_CLEAR)

CAPTION_SIZE = 26            # large: a line is about 20 characters across the safe width
CAPTION_LINES = 2
CAPTION_TEXT = "#ffffff"     # white on a near-black panel whatever the theme: over 15:1
CAPTION_HIGHLIGHT = "#ffd60a"
CAPTION_PANEL = "#000000"
CAPTION_PANEL_OPACITY = 0.8
CAPTION_PAD = 0.1
CAPTION_LINE_GAP = 0.1
CAPTION_BAND = 1.0           # the caption band's height, from the safe zone's bottom
STAGE = Region(SAFE.left, SAFE.right, SAFE.bottom + CAPTION_BAND + 0.15, SAFE.top)
HOOK_SIZE = 34               # the hook's question
MIN_SECONDS, MAX_SECONDS = 15.0, 60.0
COURSE_CHAPTERS = 15


def portrait_options(quality: str) -> dict:
    """Manim's config for a short: 9:16 pixels at 30 fps, and a 4.5 x 8 frame."""
    w, h = SIZES[quality]
    return {"pixel_width": w, "pixel_height": h, "frame_rate": FPS,
            "frame_height": FRAME_HEIGHT, "frame_width": FRAME_WIDTH}


def num(v: float, decimals: int) -> str:
    """A record value as the screen shows it (the course's one number format)."""
    return format_number(float(v), decimals)


@dataclass(frozen=True)
class ShapedWord:
    """A word as Pango sets it between two struts (ascender-to-descender bars): its glyph outlines, how far
    its ink centre sits above the line's middle (the struts' centre: words placed by it share a baseline),
    and the clear space from a strut's ink before it to its ink (left) and from its ink to a strut's ink
    after it (right): the font's side bearings of its first and last glyph, plus the strut's own."""
    text: str
    points: np.ndarray
    glyphs: int
    offset: float
    left: float
    right: float

    @property
    def width(self) -> float:
        return float(self.points[:, 0].max() - self.points[:, 0].min())

    def mobject(self, font_size: float, color: str) -> VMobject:
        mob = VMobject(stroke_width=0)
        mob.set_points(self.points.copy())
        mob.drawn_text, mob.glyph_count, mob.full_text = self.text, self.glyphs, self.text
        _mark_size(mob, font_size)
        return mob.set_fill(color, opacity=1.0)


def _glyphs(t) -> list:
    return sorted((m for m in t.submobjects if len(m.get_all_points())), key=lambda m: m.get_left()[0])


def _shaped(word: str, inner: list, a, b, font: str) -> ShapedWord:
    if not inner:
        raise UndrawableTextError(word, font)
    pts = np.concatenate([m.points for g in inner for m in g.family_members_with_points()])
    left, right = pts[:, 0].min(), pts[:, 0].max()
    mid = (pts[:, 1].min() + pts[:, 1].max()) / 2
    return ShapedWord(word, pts, len(inner), float(mid - a.get_center()[1]), float(left - a.get_right()[0]),
                      float(b.get_left()[0] - right))


@lru_cache(maxsize=1024)
def shape_words(words: tuple[str, ...], font: str, font_size: float) -> tuple[ShapedWord, ...]:
    """Each word as Pango sets it between struts, all in one Pango call (STRUT w1 STRUT w2 ... STRUT): a
    caption's words are shaped once each, with their side bearings. Words with a right-to-left letter or a
    strut of their own are shaped one by one (a right-to-left run would take the struts around it along)."""
    if not words:
        return ()
    font_size = float(font_size)
    if len(words) > 1:
        if any(has_rtl(w) or STRUT in w for w in words):
            return tuple(x for w in words for x in shape_words((w,), font, font_size))
        glyphs = _glyphs(make_text(STRUT + STRUT.join(words) + STRUT, font=font, font_size=font_size))
        ref = glyphs[0]
        struts = [g for g in glyphs if abs(g.width - ref.width) + abs(g.height - ref.height) < 1e-4]
        if len(struts) != len(words) + 1:
            return tuple(x for w in words for x in shape_words((w,), font, font_size))
        out = []
        for w, a, b in zip(words, struts, struts[1:]):
            lo, hi = a.get_right()[0], b.get_left()[0]
            out.append(_shaped(w, [g for g in glyphs if g is not a and g is not b
                                   and lo - 1e-6 <= g.get_center()[0] <= hi + 1e-6], a, b, font))
        return tuple(out)
    glyphs = _glyphs(make_text(STRUT + words[0] + STRUT, font=font, font_size=font_size))
    return (_shaped(words[0], glyphs[1:-1], glyphs[0], glyphs[-1], font),)


@lru_cache(maxsize=64)
def _space(font: str, font_size: float) -> tuple[float, float]:
    """(the clear space between two struts' ink side by side, a space's advance), as Pango sets "|| |"."""
    s0, s1, s2 = _glyphs(make_text(STRUT + STRUT + " " + STRUT, font=font, font_size=font_size))
    touching = s1.get_left()[0] - s0.get_right()[0]
    return float(touching), float(s2.get_left()[0] - s1.get_right()[0] - touching)


def word_gap(a: ShapedWord, b: ShapedWord, font: str, font_size: float) -> float:
    """The clear space between the ink of word a and of word b when the font sets "a b": a's right side
    bearing, a space, b's left side bearing (the struts' bearings, in a.right and b.left, cancel out).

    Words drawn as separate mobjects lose their side bearings (a mobject's box is its ink), so a fixed gap
    between boxes is too little after a glyph with a wide bearing, such as a tabular "1" ("0.31of"), and
    too much between round letters; the font's own spacing is what a reader expects."""
    touching, space = _space(font, float(font_size))
    return a.right + b.left - touching + space


@dataclass
class CaptionWord:
    mob: VMobject
    start: float
    end: float
    color: str = CAPTION_TEXT


@dataclass
class CaptionPage:
    start: float
    end: float
    group: VGroup
    words: list[CaptionWord] = field(default_factory=list)
    text: str = ""


class ShortScene(ChapterScene):
    """A short: construct() is hook → a few steps of one idea → end_card. self.caption_pages holds what the
    captions show and when; self.cues (per step, in the timeline entries) what the .srt says."""

    cover_moment = "hook"

    def setup(self):
        super().setup()
        from . import topic_of
        self.topic = topic_of(type(self).__name__)
        self.number, self.slug, self.title = 0, self.topic.slug, self.topic.title
        self.dec = self.cfg.decimals
        self.caption_pages: list[CaptionPage] = []
        self.cover_frame = None
        self.caption_holder = VGroup()
        self.caption_holder.add_updater(lambda m, dt: self._update_captions(m))
        self.add_foreground_mobject(self.caption_holder)

    # ------------------------------------------------------------ steps and captions
    @contextmanager
    def step(self, step_id: str, narration: str | None = None, heading: str | None = None):
        """ChapterScene.step (voice, timing, key moment), with no heading band and burned-in captions."""
        with super().step(step_id, narration, heading="") as entry:
            self._caption_step(entry)
            yield entry

    def planned_length(self, narration: str, clip: dict | None) -> float:
        """How long ChapterScene.step will make this step at least (its voice plus the pause, its reading)."""
        need = max(len(narration.split()) / READING_WORDS_PER_SECOND, captions.min_duration(narration))
        return max(need, clip["duration"] + VOICE_PAUSE) if clip else need

    def _caption_step(self, entry: dict):
        narration, start, clip = entry["narration"], entry["start"], entry.get("clip")
        end = start + self.planned_length(narration, clip)
        sentences = clip["sentences"] if clip else None
        cues = captions.step_cues(narration, start, end, sentences)
        entry["cues"] = [{"start": c.start, "end": c.end, "lines": list(c.lines)} for c in cues]
        words = [w for c in cues for w in " ".join(c.lines).split()]
        times = captions._voice_times(words, sentences) if sentences else None
        times = [(start + a, start + b) for a, b in times] if times else None
        k = 0
        for c in cues:
            cw = " ".join(c.lines).split()
            if times is not None:
                wt = [(max(c.start, a), min(c.end, max(b, a))) for a, b in times[k:k + len(cw)]]
            else:    # no voice: by characters within the cue
                total = sum(len(w) for w in cw) or 1
                wt, t = [], c.start
                for w in cw:
                    d = (c.end - c.start) * len(w) / total
                    wt.append((t, t + d))
                    t += d
            k += len(cw)
            self._pages(cw, wt, c.start, c.end)
        self._update_captions(self.caption_holder)

    def _pages(self, words: list[str], times: list[tuple[float, float]], start: float, end: float):
        """A cue's words as pages of at most CAPTION_LINES lines that fit the safe width. Each word is its own
        mobject (to be lit when it is said), spaced as the font sets the line (see word_gap)."""
        font, width = self.theme.font, SAFE.width - 2 * CAPTION_PAD
        shaped = list(shape_words(tuple(words), font, CAPTION_SIZE))
        for i, sw in enumerate(shaped):     # a word wider than a line is cut with ⋯ (rare: a long token)
            if sw.width > width:
                shaped[i] = shape_words((ellipsize(sw.text, font, CAPTION_SIZE, width),), font, CAPTION_SIZE)[0]
        pieces = [(sw.mobject(CAPTION_SIZE, CAPTION_TEXT), sw.offset, a, b, sw) for sw, (a, b) in zip(shaped, times)]
        pages, lines, line, used = [], [], [], 0.0
        for p in pieces:
            need = p[0].width + (word_gap(line[-1][4], p[4], font, CAPTION_SIZE) if line else 0)
            if line and used + need > width:
                lines.append(line)
                line, used = [], 0.0
                if len(lines) == CAPTION_LINES:
                    pages.append(lines)
                    lines = []
                need = p[0].width
            line.append(p)
            used += need
        if line:
            lines.append(line)
        if lines:
            pages.append(lines)
        line_h = flat_text("Ag|", font, CAPTION_SIZE, CAPTION_TEXT).height
        for n, page in enumerate(pages):
            rows = VGroup()
            for ln in page:
                row = VGroup()
                x, before = 0.0, None
                for mob, offset, _, _, sw in ln:
                    if before is not None:
                        x += word_gap(before, sw, font, CAPTION_SIZE)
                    mob.move_to([x + mob.width / 2, offset, 0])
                    x += mob.width
                    before = sw
                    row.add(mob)
                rows.add(row)
            for row in rows:   # centred; each word sits on the line's middle by its baseline offset
                row.shift(-row.get_center()[0] * RIGHT)
            text_w = max(r.width for r in rows)
            text_h = len(rows) * line_h + (len(rows) - 1) * CAPTION_LINE_GAP
            panel = RoundedRectangle(corner_radius=0.08, width=text_w + 2 * CAPTION_PAD, height=text_h + 2 * CAPTION_PAD,
                                     stroke_width=0).set_fill(CAPTION_PANEL, opacity=CAPTION_PANEL_OPACITY)
            panel.move_to([0, SAFE.bottom + panel.height / 2 + 0.02, 0])
            top_line_y = panel.get_top()[1] - CAPTION_PAD - line_h / 2
            for i, row in enumerate(rows):
                row.shift(UP * (top_line_y - i * (line_h + CAPTION_LINE_GAP)))
            group = VGroup(panel, rows)
            flat = [p for ln in page for p in ln]
            p_start = start if n == 0 else flat[0][2]
            p_end = end if n == len(pages) - 1 else None
            words = [CaptionWord(m, a, b) for m, _, a, b, _ in flat]
            self.caption_pages.append(CaptionPage(p_start, p_end if p_end is not None else end, group, words,
                                                  " ".join(sw.text for *_, sw in flat)))
            if n > 0:   # a page ends when the next one starts
                self.caption_pages[-2].end = p_start

    def caption_at(self, t: float) -> CaptionPage | None:
        for page in reversed(self.caption_pages):
            if page.start - 1e-9 <= t < page.end:
                return page
        return None

    def _update_captions(self, holder: VGroup):
        """Show the page of this moment, its current word lit: the holder holds that page alone (see
        get_moving_mobjects), so a frame draws one page, whatever the step's length."""
        t = self.renderer.time
        page = self.caption_at(t)
        want = [page.group] if page is not None else []
        if holder.submobjects != want:
            holder.submobjects = want
        if page is not None:
            for w in page.words:
                color = CAPTION_HIGHLIGHT if w.start <= t < w.end else CAPTION_TEXT
                if color != w.color:
                    w.mob.set_fill(color, opacity=1.0)
                    w.color = color

    def get_moving_and_static_mobjects(self, animations):
        """What Manim redraws every frame of a play, with the caption holder's members left out (the holder
        stays): Manim lists the families as they are when a play starts, so a page that has left the holder
        would go on being drawn. The camera reads the holder's family again at every frame instead."""
        moving, static = super().get_moving_and_static_mobjects(animations)
        members = set(self.caption_holder.get_family()) - {self.caption_holder}
        moving = [m for m in moving if m not in members]
        if self.caption_holder not in moving:
            moving.append(self.caption_holder)
        return moving, [m for m in static if m not in members]

    # ------------------------------------------------------------ layout helpers
    @property
    def content_top(self) -> float:
        return STAGE.top

    @property
    def content_bottom(self) -> float:
        return STAGE.bottom

    @property
    def content_width(self) -> float:
        return STAGE.width

    def clear_but_captions(self, *keep, run_time: float = 0.4):
        """Fade out everything but the heading, the chapter tag, the captions and keep."""
        clear_stage(self, self.caption_holder, *keep, run_time=run_time, fade=FadeOut)

    def wrapped(self, text: str, font_size: float, color: str | None = None, width: float | None = None) -> VGroup:
        """Text in centred lines no wider than width (the stage's); a word wider than a line is cut with ⋯."""
        width = width or STAGE.width
        color = color or self.theme.text
        lines, line = [], []
        for w in text.split():
            trial = " ".join([*line, w])
            if line and flat_text(trial, self.theme.font, font_size, color).width > width:
                lines.append(" ".join(line))
                line = [w]
            else:
                line.append(w)
        if line:
            lines.append(" ".join(line))
        mobs = [flat_text(ellipsize(s, self.theme.font, font_size, width), self.theme.font, font_size, color)
                for s in lines]
        return VGroup(*mobs).arrange(DOWN, buff=0.12)

    def sentence_row(self, tokens, focus: int | None = None, *, font_size: float = 24, max_width: float | None = None,
                     max_lines: int = 2, color: str | None = None, line_buff: float = 0.22,
                     min_width: float = 0.0) -> TokenRow:
        """The sentence as token chips in at most max_lines lines; when they would be drawn below the theme's
        minimum size, tokens are elided with a ⋯ chip (the first ones, the focus, the last). row.shown: the
        token index of each chip (None for ⋯). min_width: every chip at least this wide (room for a label under
        each one)."""
        n = len(tokens)
        max_width = (max_width or STAGE.width) - 0.1     # the chips' strokes reach past their points
        room = n
        while True:
            shown = elide(n, room, [focus] if focus is not None else [])
            toks = [tokens[i] if i is not None else "⋯" for i in shown]
            colors = [self.theme.dim if i is None else (self.theme.highlight if i == focus else (color or self.theme.embedding))
                      for i in shown]
            row = TokenRow(toks, self.theme, max_width=max_width, font_size=font_size, max_lines=max_lines,
                           min_font_size=self.theme.size_min, colors=colors, line_buff=line_buff,
                           min_widths=[min_width] * len(toks) if min_width else None)
            if row.min_font_size_shown >= self.theme.size_min - 1e-6 or room <= 3:
                row.shown = shown
                return row
            room -= 1

    def fitted_matrix(self, values, max_width: float, max_height: float, *, rows_req=(), cols_req=(),
                      font_size: float = 20, **kwargs) -> NumericMatrix:
        """A NumericMatrix of the record's values, elided (⋯ / ⋮) until it fits max_width x max_height at no
        less than the theme's minimum text size, then scaled down to fit (never up)."""
        max_width -= 0.1       # strokes (brackets, boxes) reach a little past a mobject's points
        values = np.asarray(values, dtype=float)
        if values.ndim == 1:
            values = values[None, :]
        n_r, n_c = values.shape
        rr, rc = n_r, n_c
        while True:
            m = NumericMatrix(values, self.theme, decimals=self.dec, font_size=font_size,
                              rows=elide(n_r, rr, rows_req), cols=elide(n_c, rc, cols_req), **kwargs)
            s = min(1.0, max_width / m.width, max_height / m.height)
            if font_size * s >= self.theme.size_min - 1e-6:
                break
            wide = m.width * self.theme.size_min / font_size > max_width
            tall = m.height * self.theme.size_min / font_size > max_height
            if wide and rc > min(3, n_c):
                rc -= 1
            elif tall and rr > min(3, n_r):
                rr -= 1
            else:      # nothing more to elide: the smallest it can be
                break
        if s < 1:
            m.scale(s)
        m.min_font_size_shown = font_size * s
        return m

    # ------------------------------------------------------------ the hook, the end card, the cover
    def hook(self, question: str, narration: str, tokens, focus: int | None = None, *, color: str | None = None):
        """The first two seconds: the question, big, and the sentence with the word in question lit."""
        with self.step("hook", narration):
            q = self.wrapped(question, HOOK_SIZE, self.theme.text)
            row = self.sentence_row(tokens, focus, color=color)
            row.next_to(q, DOWN, buff=0.6)
            VGroup(q, row).move_to(stage_center() + 0.3 * UP)    # the middle of the stage (and of the cover)
            self.play(FadeIn(q, shift=0.2 * DOWN), FadeIn(row), run_time=0.5)
            self.expose("hook", q)
            self.expose("sentence", row)
        return q, row

    def end_card(self):
        """Where the rest is: the full course, on this sentence."""
        self.clear_but_captions()
        with self.step("end", "That was one idea, with real numbers. "
                              f"The full course shows every step, in {COURSE_CHAPTERS} chapters."):
            big = self.wrapped("Watch the full course", HOOK_SIZE, self.theme.highlight)
            sub = self.wrapped(f"{COURSE_CHAPTERS} chapters, every number real, on this sentence:", 24, self.theme.text)
            row = self.sentence_row(self.example.tokens["source"], font_size=22)
            card = VGroup(big, sub, row).arrange(DOWN, buff=0.35)
            card.move_to([0, (STAGE.top + STAGE.bottom) / 2 + 0.3, 0])
            self.play(FadeIn(card, shift=0.2 * UP), run_time=0.6)
            self.expose("end_card", card)

    def key_moment(self, step_id: str):
        super().key_moment(step_id)
        if step_id == self.cover_moment and not config.dry_run and not self.stills:
            self.cover_frame = self.draw_cover()

    def draw_cover(self) -> np.ndarray:
        """The cover (1080x1920 whatever the video's size), without captions."""
        from manim import Camera
        w, h = COVER_SIZE
        cam = Camera(pixel_width=w, pixel_height=h, frame_width=FRAME_WIDTH, frame_height=FRAME_HEIGHT,
                     background_color=self.camera.background_color, background_opacity=1)
        cam.capture_mobjects([m for m in self.mobjects if m is not self.caption_holder])
        return np.array(cam.pixel_array)

    def tear_down(self):
        super().tear_down()
        writer = getattr(self.renderer, "file_writer", None)
        movie = getattr(writer, "movie_file_path", None)
        if movie and self.cover_frame is not None:
            import os
            from pathlib import Path
            from PIL import Image
            path = Path(movie).with_suffix(".cover.png")
            tmp = path.with_name("." + path.name + ".tmp")
            Image.fromarray(self.cover_frame).convert("RGB").save(tmp, format="PNG")
            os.replace(tmp, path)


def stage_center() -> np.ndarray:
    return np.array([0.0, (STAGE.top + STAGE.bottom) / 2, 0.0])


__all__ = ["ShortScene", "SAFE", "STAGE", "portrait_options", "num", "stage_center", "LEFT", "RIGHT", "FadeOut"]
