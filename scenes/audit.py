"""The layout audit: which frames of a chapter show overlapping, clipped, unreadable or faint text.

A chapter runs in Manim's dry-run mode (no frame is drawn, every animation jumps to its end, as in the
tests' scene_utils), and after every play(), every wait() and at every key moment (a still) the audit
looks at what is on screen:

- every piece of text: what the text factory made (scenes/components/text.py marks it with drawn_text:
  Text, flat_text paths, fit_label labels), and any other Text, MarkupText, MathTex or Tex; with its box in
  pixels at the chosen quality, its size on screen, its colour and opacity, and the colour behind it (the
  theme's background with every filled shape drawn before it under its centre composited on top, such as
  a matrix cell's fill or a panel, and any translucent shape drawn over it laid on both);
- everything visible, for what leaves the frame.

Findings (kinds):

- overlap: two pieces of text whose glyph outlines (convex hulls, so a turned label counts as turned)
  intersect by more than OVERLAP_TOLERANCE_PX (at 1080p) at the end of an animation. Two copies of the
  same string in the same place (neither hull reaching more than SAME_PLACE_PX_1080 past the other: a
  number flown onto its twin) look like one and are not an overlap.
- off-frame: anything visible reaching outside the frame, or text within EDGE_MARGIN of the frame's edge.
- too-small: text whose cap height (the height of a capital or a digit in its font, at the size it shows
  at, so "we" and "We" measure alike) is under MIN_TEXT_PX_1080 px at 1080p, scaled to the chosen quality
  (8 px at 480p). Symbols alone (an ellipsis, a bracket) are not measured.
- low-contrast: WCAG 2 contrast ratio of the text's colour (blended by its opacity) against what is behind
  it under MIN_CONTRAST (4.5:1, AA); text marked with text.dimmed_context may go down to
  MIN_CONTRAST_CONTEXT (3:1).
- error: the chapter raised while it was being built; the finding carries the message.

Findings repeat while a frame stays the same: each (step, kind, text, other) is reported once, with the
worst measurement. The audit raises AuditError for bad arguments; everything a chapter raises becomes an
error finding.
"""
from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from functools import lru_cache

import numpy as np

from .theme import MIN_CONTRAST, contrast_ratio, relative_luminance  # noqa: F401  (re-exported)

# ------------------------------------------------------------------ thresholds (all in the JSON report)
MIN_TEXT_PX_1080 = 18.0        # cap height at 1080p; scaled by the quality's pixel height (8 px at 480p)
MIN_CONTRAST_CONTEXT = 3.0     # text marked dimmed_context
EDGE_MARGIN = 0.02             # text must keep this fraction of the frame's width (height) from its sides
OFF_FRAME_TOLERANCE_PX_1080 = 2.0   # anything visible may reach this far past the frame (anti-aliasing)
OVERLAP_TOLERANCE_PX_1080 = 2.0     # glyph hulls may interpenetrate this deep (touching descenders)
SAME_PLACE_PX_1080 = 2.0       # two copies of one string whose hulls lie this close are one text to the eye
VISIBLE_OPACITY = 0.05         # fill or stroke opacity under this is invisible


class AuditError(ValueError):
    """A bad argument to the audit (an unknown chapter, a bad quality): one sentence."""


@dataclass
class Finding:
    step: str
    kind: str
    text: str
    other: str | None
    measured: float | str | None
    required: float | str | None
    moment: int = 0


@dataclass
class ChapterReport:
    chapter: str
    moments: int = 0
    texts: int = 0
    texts_seen: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    seconds: float = 0.0


@dataclass(frozen=True)
class Limits:
    """The thresholds at one pixel height (the chosen quality)."""
    pixel_height: int

    @property
    def scale(self) -> float:
        return self.pixel_height / 1080.0

    @property
    def min_text_px(self) -> float:
        return MIN_TEXT_PX_1080 * self.scale

    @property
    def overlap_px(self) -> float:
        return OVERLAP_TOLERANCE_PX_1080 * self.scale

    @property
    def off_frame_px(self) -> float:
        return OFF_FRAME_TOLERANCE_PX_1080 * self.scale

    def as_dict(self) -> dict:
        return {"pixel_height": self.pixel_height, "min_text_px": round(self.min_text_px, 3),
                "min_text_px_1080": MIN_TEXT_PX_1080, "text_size_measure": "cap height (a capital or digit)",
                "min_contrast": MIN_CONTRAST, "min_contrast_context": MIN_CONTRAST_CONTEXT,
                "edge_margin_fraction": EDGE_MARGIN, "off_frame_tolerance_px": round(self.off_frame_px, 3),
                "overlap_tolerance_px": round(self.overlap_px, 3), "same_place_px": round(SAME_PLACE_PX_1080 * self.scale, 3),
                "visible_opacity": VISIBLE_OPACITY}


# ------------------------------------------------------------------ colour
def _rgb(color) -> np.ndarray:
    from manim import ManimColor
    return np.asarray(ManimColor(color).to_rgb(), dtype=float)


# ------------------------------------------------------------------ what a mobject is
def text_string(m) -> str | None:
    """The string a text mobject shows, or None if m is not text."""
    s = getattr(m, "full_text", None) or getattr(m, "drawn_text", None)
    if s is not None:
        return str(s)
    from manim import MarkupText, SingleStringMathTex, Text
    if isinstance(m, (Text, MarkupText)):
        return str(m.original_text)
    if isinstance(m, SingleStringMathTex):   # MathTex and Tex too
        return str(m.tex_string)
    return None


@lru_cache(maxsize=1)
def _glyph_height_per_point() -> dict:
    """Per point of font size, in Manim units: the height of a lower-case x ("x") and of a capital or a
    digit ("H"), in the words' font and in LaTeX."""
    from manim import MathTex, Text
    from .theme import DARK
    return {("text", "x"): Text("x", font=DARK.font, font_size=100).height / 100,
            ("text", "H"): Text("H", font=DARK.font, font_size=100).height / 100,
            ("tex", "x"): MathTex("x", font_size=100).height / 100,
            ("tex", "H"): MathTex(r"\mathrm{H}", font_size=100).height / 100}


def size_class(s: str) -> str | None:
    """Which glyph height measures s: "H", the height of a capital or a digit (the font's cap height), for
    any text with a letter or a digit, so "we" and "We" measure alike and a word is as tall as its font
    size says; None for symbols alone (an ellipsis, a bracket, a minus sign), which are not read as text.
    (The x-height, "x", is the stricter measure; MIN_TEXT_PX_1080 is set for the cap height.)"""
    import unicodedata
    cats = {unicodedata.category(c)[0] for c in s}
    return "H" if cats & {"L", "N"} else None


def _points(m) -> np.ndarray:
    parts = [p.points for p in m.family_members_with_points()]
    return np.concatenate(parts) if parts else np.zeros((0, 3))


def _opacity(m) -> float:
    """The largest fill opacity among m's drawn parts (text is filled glyphs)."""
    best = 0.0
    for p in m.family_members_with_points():
        best = max(best, float(p.get_fill_opacity()))
    return best


def _effective_size(m, pts: np.ndarray) -> tuple[float, str]:
    """The font size m shows at now, and which glyph table applies ("text" or "tex")."""
    from manim import SingleStringMathTex
    size0, diag0 = getattr(m, "size0", None), getattr(m, "diag0", None)
    if size0 and diag0:
        w, h = np.ptp(pts[:, 0]), np.ptp(pts[:, 1])
        return size0 * math.hypot(w, h) / diag0, "text"
    if isinstance(m, SingleStringMathTex):
        return float(m.font_size), "tex"
    return float(getattr(m, "font_size", 0.0) or 0.0), "text"


def _is_fill_shape(m) -> bool:
    """Shapes whose fill covers their box well enough to be what a text sits on."""
    from manim import Arc, Polygram
    return isinstance(m, (Polygram, Arc))


@dataclass
class _Text:
    mob: object
    s: str
    order: int
    box: np.ndarray          # x0, y0, x1, y1 in pixels (y down)
    pts: np.ndarray          # 2-D points in pixels
    size_px: float
    rgb: np.ndarray
    opacity: float
    context: bool


# ------------------------------------------------------------------ one frame
class FrameInspector:
    """Looks at a scene's current frame. Pixels: x right from the frame's left, y down from its top."""

    def __init__(self, pixel_height: int, frame_width: float, frame_height: float, background):
        self.fw, self.fh = frame_width, frame_height
        self.px = pixel_height / frame_height             # pixels per unit
        # "18 px at 1080p" is on the frame's short side: the height of a video, the width of a portrait short
        self.limits = Limits(int(round(min(pixel_height, frame_width * self.px))))
        self.W, self.H = frame_width * self.px, float(pixel_height)
        self.background = _rgb(background)

    def to_px(self, pts: np.ndarray) -> np.ndarray:
        out = np.empty((len(pts), 2))
        out[:, 0] = (pts[:, 0] + self.fw / 2) * self.px
        out[:, 1] = (self.fh / 2 - pts[:, 1]) * self.px
        return out

    def collect(self, mobjects) -> tuple[list[_Text], list[tuple], list[tuple]]:
        """(texts, fills, visible boxes): in drawing order, as Manim's camera draws the family."""
        from manim import VMobject
        texts, fills, visible = [], [], []
        seen: set[int] = set()
        order = 0

        def walk(m, top, context):
            nonlocal order
            if id(m) in seen:
                return
            seen.add(id(m))
            context = context or bool(getattr(m, "audit_context", False))
            s = text_string(m)
            if s is not None:
                order += 1
                pts = _points(m)
                if len(pts) == 0 or not s.strip():
                    return
                op = _opacity(m)
                if op < VISIBLE_OPACITY:
                    return
                p = self.to_px(pts)
                box = np.array([p[:, 0].min(), p[:, 1].min(), p[:, 0].max(), p[:, 1].max()])
                size, kind = _effective_size(m, pts)
                cls = size_class(s)
                size_px = math.inf if cls is None else size * _glyph_height_per_point()[kind, cls] * self.px
                first = m.family_members_with_points()[0]
                texts.append(_Text(m, s, order, box, p, size_px, _rgb(first.get_fill_color()), op, context))
                visible.append((box, top, s))
                return
            if len(m.points) and isinstance(m, VMobject):   # (a ValueTracker has points but draws nothing)
                order += 1
                fo = float(m.get_fill_opacity())
                so = float(m.get_stroke_opacity()) if m.get_stroke_width() > 0 else 0.0
                if fo >= VISIBLE_OPACITY or so >= VISIBLE_OPACITY:
                    p = self.to_px(m.points)
                    box = np.array([p[:, 0].min(), p[:, 1].min(), p[:, 0].max(), p[:, 1].max()])
                    visible.append((box, top, None))
                    if fo >= VISIBLE_OPACITY and _is_fill_shape(m):
                        fills.append((order, box, _rgb(m.get_fill_color()), fo))
            for sub in m.submobjects:
                walk(sub, top, context)

        for top in mobjects:
            walk(top, top, False)
        return texts, fills, visible

    def seen(self, t: _Text, fills) -> tuple[np.ndarray, np.ndarray]:
        """(the text's colour as seen, the colour around it) at t's centre: the background with the fills
        drawn before t composited on it, t at its opacity on that, then the fills drawn after t (a
        translucent curtain) over both."""
        cx, cy = (t.box[0] + t.box[2]) / 2, (t.box[1] + t.box[3]) / 2
        under = self.background.copy()
        over = []
        for order, box, rgb, a in fills:
            if box[0] <= cx <= box[2] and box[1] <= cy <= box[3]:
                if order < t.order:
                    under = under * (1 - a) + rgb * a
                else:
                    over.append((rgb, a))
        ink = t.rgb * t.opacity + under * (1 - t.opacity)
        for rgb, a in over:
            ink, under = ink * (1 - a) + rgb * a, under * (1 - a) + rgb * a
        return ink, under

    def inspect(self, mobjects) -> tuple[list[tuple], list[str]]:
        """Findings of the frame as (kind, text, other, measured, required), and the strings checked."""
        lim = self.limits
        texts, fills, visible = self.collect(mobjects)
        out: list[tuple] = []
        # off-frame: anything visible past the frame; text too near its edge
        tol = lim.off_frame_px
        reported = set()
        for box, top, s in visible:
            past = max(-box[0], -box[1], box[2] - self.W, box[3] - self.H)
            if past > tol:
                name = s if s is not None else _describe(top)
                if name not in reported:
                    reported.add(name)
                    out.append(("off-frame", name, None, round(past, 1), f"inside the frame (+{tol:.1f} px)"))
        mx, my = EDGE_MARGIN * self.W, EDGE_MARGIN * self.H
        for t in texts:
            gap = min(t.box[0] / mx, t.box[1] / my, (self.W - t.box[2]) / mx, (self.H - t.box[3]) / my)
            if t.s not in reported and -tol / max(mx, 1e-9) <= gap < 1 - 1e-6:
                reported.add(t.s)
                out.append(("off-frame", t.s, None, f"{gap * EDGE_MARGIN * 100:.1f} % from the edge",
                            f">= {EDGE_MARGIN * 100:.0f} %"))
        # too small
        for t in texts:
            if t.size_px < lim.min_text_px - 1e-6:
                out.append(("too-small", t.s, None, round(t.size_px, 1), round(lim.min_text_px, 1)))
        # low contrast
        for t in texts:
            ink, under = self.seen(t, fills)
            ratio = contrast_ratio(ink, under)
            need = MIN_CONTRAST_CONTEXT if t.context else MIN_CONTRAST
            if ratio < need - 1e-6:
                out.append(("low-contrast", t.s, None, round(ratio, 2), need))
        # overlap
        if len(texts) > 1:
            boxes = np.array([t.box for t in texts])
            d = lim.overlap_px
            ix = np.minimum(boxes[:, None, 2], boxes[None, :, 2]) - np.maximum(boxes[:, None, 0], boxes[None, :, 0])
            iy = np.minimum(boxes[:, None, 3], boxes[None, :, 3]) - np.maximum(boxes[:, None, 1], boxes[None, :, 1])
            cand = np.argwhere(np.triu((ix > d) & (iy > d), k=1))
            for i, j in cand:
                a, b = texts[i], texts[j]
                ha, hb = _hull(a.pts), _hull(b.pts)
                if a.s == b.s and max(_outside(ha, hb), _outside(hb, ha)) <= SAME_PLACE_PX_1080 * lim.scale:
                    continue       # (by the outlines' hulls: a Transform may have left a twin with more points)
                depth = penetration(ha, hb)
                if depth > d:
                    out.append(("overlap", a.s, b.s, round(depth, 1), f"<= {d:.1f} px"))
        return out, [t.s for t in texts]


def _hull(pts: np.ndarray) -> np.ndarray:
    """The convex hull's corners (counter-clockwise); a degenerate set gives its bounding box."""
    from scipy.spatial import ConvexHull, QhullError
    try:
        return pts[ConvexHull(pts).vertices]
    except (QhullError, ValueError):
        x0, y0 = pts.min(axis=0)
        x1, y1 = pts.max(axis=0)
        return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])


def _outside(poly: np.ndarray, pts: np.ndarray) -> float:
    """How far the farthest of pts lies outside the convex polygon poly (0 if all are inside): for each point,
    its largest distance past an edge's line."""
    edges = np.roll(poly, -1, axis=0) - poly
    normals = np.stack([edges[:, 1], -edges[:, 0]], axis=1)
    lengths = np.linalg.norm(normals, axis=1)
    keep = lengths > 1e-9
    normals, origin = normals[keep] / lengths[keep, None], poly[keep]
    past = np.einsum("pek,ek->pe", pts[:, None, :] - origin[None, :, :], normals)
    # the hull's winding decides which side is outside: take the orientation that puts the centroid inside
    centre = np.einsum("ek,ek->e", poly.mean(axis=0)[None, :] - origin, normals)
    if (centre > 0).any():
        past = -past
    return max(0.0, float(past.max(axis=1).max())) if len(pts) else 0.0


def penetration(a: np.ndarray, b: np.ndarray) -> float:
    """How deep two convex polygons overlap: the smallest overlap of their projections over the axes
    normal to their edges (separating axis theorem); 0 or less when they are apart."""
    best = math.inf
    for poly in (a, b):
        edges = np.roll(poly, -1, axis=0) - poly
        normals = np.stack([-edges[:, 1], edges[:, 0]], axis=1)
        lengths = np.linalg.norm(normals, axis=1)
        normals = normals[lengths > 1e-9] / lengths[lengths > 1e-9, None]
        if not len(normals):
            continue
        pa, pb = a @ normals.T, b @ normals.T
        overlap = np.minimum(pa.max(axis=0), pb.max(axis=0)) - np.maximum(pa.min(axis=0), pb.min(axis=0))
        best = min(best, float(overlap.min()))
    return 0.0 if best is math.inf else best


def _describe(m) -> str:
    s = text_string(m)
    if s is not None:
        return s
    inner = [text_string(x) for x in m.get_family()]
    inner = [x for x in inner if x]
    name = type(m).__name__
    return f"{name} ({inner[0]}{', …' if len(inner) > 1 else ''})" if inner else name


# ------------------------------------------------------------------ one chapter
class Recorder:
    """Collects one chapter's findings while it runs: look() at every moment, error() for what it raised,
    finish() for the report."""

    def __init__(self, pixel_height: int, chapter_name: str):
        self.pixel_height = int(pixel_height)
        self.report = ChapterReport(chapter=chapter_name)
        self.seen_texts: dict[str, None] = {}
        self.worst: dict[tuple, Finding] = {}
        self.moment, self.step = 0, "title"
        self.t0 = time.perf_counter()

    def look(self, scene, label=None) -> None:
        from manim import config
        self.moment += 1
        current = getattr(scene, "_current", None)
        if label is not None:
            self.step = label
        elif current is not None:
            self.step = current["id"]
        insp = FrameInspector(self.pixel_height, config.frame_width, config.frame_height, scene.theme.background)
        found, strings = insp.inspect(scene.mobjects)
        for s in strings:
            self.seen_texts.setdefault(s, None)
        self.report.texts += len(strings)
        for kind, text, other, measured, required in found:
            key = (self.step, kind, text, other)
            f = self.worst.get(key)
            if f is None:
                self.worst[key] = Finding(self.step, kind, text, other, measured, required, self.moment)
            elif isinstance(measured, float) and isinstance(f.measured, float):
                if (kind == "overlap" or kind == "off-frame") and measured > f.measured:
                    f.measured = measured
                elif kind in ("too-small", "low-contrast") and measured < f.measured:
                    f.measured = measured

    def error(self, e: BaseException) -> None:
        msg = " ".join(str(e).split()) or type(e).__name__
        self.worst[(self.step, "error", msg, None)] = Finding(self.step, "error", f"{type(e).__name__}: {msg}",
                                                              None, None, None, self.moment)

    def finish(self) -> ChapterReport:
        r = self.report
        r.moments = self.moment
        r.texts_seen = list(self.seen_texts)
        r.findings = list(self.worst.values())
        r.seconds = time.perf_counter() - self.t0
        return r


def audited(scene_cls, recorder: Recorder, tolerant: bool = False) -> type:
    """A subclass of scene_cls that shows recorder every moment: after every play() and wait(), at every key
    moment (a still) and at the end of render(), which leaves the report on the scene as audit_report. The
    tests' dry runs (tests/scene_utils.py) build chapters through it, so one dry run serves both the chapter's
    own tests and the audit; the renderers (pipeline.worker) audit a video or stills render the same way.

    tolerant: a look that raises becomes an error finding and the render goes on (a render must never fail
    because its audit did); what the chapter itself raises is never caught here."""

    def look(scene, label=None):
        try:
            recorder.look(scene, label)
        except Exception as e:  # noqa: BLE001
            if not tolerant:
                raise
            recorder.error(e)

    class Audited(scene_cls):
        def play(self, *args, **kwargs):
            out = super().play(*args, **kwargs)
            look(self)
            return out

        def wait(self, *args, **kwargs):
            out = super().wait(*args, **kwargs)
            look(self)
            return out

        def key_moment(self, step_id):
            look(self, step_id)
            return super().key_moment(step_id)

        def render(self, *args, **kwargs):
            out = super().render(*args, **kwargs)
            look(self)
            self.audit_report = recorder.finish()
            return out

    # the chapter list finds its number by the class name
    Audited.__name__, Audited.__qualname__ = scene_cls.__name__, scene_cls.__qualname__
    Audited.__module__ = scene_cls.__module__
    return Audited


def audit_scene_class(scene_cls, pixel_height: int, chapter_name: str, **scene_kwargs) -> ChapterReport:
    """Build scene_cls(**scene_kwargs) in dry-run mode and audit every moment (the caller sets the config)."""
    rec = Recorder(pixel_height, chapter_name)
    try:
        scene = audited(scene_cls, rec)(**scene_kwargs)
        scene.render()
        return scene.audit_report
    except Exception as e:  # noqa: BLE001 - a chapter that raises is a finding, not a crash of the check
        rec.error(e)
        return rec.finish()


def dry_run_config(pixel_height: int, media_dir: str) -> dict:
    """Manim's config for an audit: dry run (no files, no frames), the quality's pixel size."""
    return {"dry_run": True, "pixel_height": int(pixel_height), "pixel_width": int(round(pixel_height * 16 / 9)),
            "frame_rate": 15, "disable_caching": True, "verbosity": "ERROR", "progress_bar": "none",
            "media_dir": media_dir}


def audit_chapter(chapter, example, theme, pixel_height: int = 480, model: str | None = None,
                  media_dir: str | None = None) -> ChapterReport:
    """Audit one chapter (number, slug or module) of example in theme at pixel_height."""
    from manim import tempconfig
    from . import get_chapter
    try:
        ch = get_chapter(chapter)
    except KeyError as e:
        raise AuditError(str(e.args[0])) from None
    own = media_dir is None
    folder = media_dir or tempfile.mkdtemp(prefix="ta-check-")
    try:
        with tempconfig(dry_run_config(pixel_height, folder)):
            kwargs = {"example": example, "theme": theme}
            if model:
                kwargs["model"] = model
            try:
                cls = ch.load()
            except Exception as e:  # noqa: BLE001
                return ChapterReport(chapter=ch.slug, findings=[Finding("import", "error", f"{type(e).__name__}: {e}",
                                                                        None, None, None)])
            return audit_scene_class(cls, pixel_height, ch.slug, **kwargs)
    finally:
        if own:
            shutil.rmtree(folder, ignore_errors=True)


def audit_short(topic: str, example, theme, quality: str = "l") -> ChapterReport:
    """Audit one short (scenes/shorts) in its portrait frame at the quality's pixel size (-q l: 540x960),
    the same way as a chapter: every moment, burned-in captions included."""
    from manim import tempconfig
    from .shorts import UnknownTopicError, get_topic
    from .shorts.base import portrait_options
    try:
        t = get_topic(topic)
    except UnknownTopicError as e:
        raise AuditError(str(e)) from None
    folder = tempfile.mkdtemp(prefix="ta-check-")
    opts = dict(portrait_options(quality), dry_run=True, disable_caching=True, verbosity="ERROR",
                progress_bar="none", media_dir=folder)
    try:
        with tempconfig(opts):
            return audit_scene_class(t.load(), opts["pixel_height"], t.slug, example=example, theme=theme)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _audit_worker(args):
    chapter, example_json, theme_name, pixel_height, model = args
    from mathcore import Example
    from .theme import get_theme
    ex = Example.load(example_json)
    return audit_chapter(chapter, ex, get_theme(theme_name), pixel_height, model)


def audit_chapters(chapters, example, theme, pixel_height: int = 480, model: str | None = None,
                   jobs: int = 1) -> list[ChapterReport]:
    """Audit chapters (numbers), in jobs processes at once; reports in the order given."""
    from . import get_chapter
    if pixel_height < 1:
        raise AuditError(f"The pixel height must be positive, not {pixel_height}.")
    chs = []
    for c in chapters:
        try:
            chs.append(get_chapter(c))
        except KeyError as e:
            raise AuditError(str(e.args[0])) from None
    if jobs <= 1 or len(chs) <= 1:
        return [audit_chapter(ch.number, example, theme, pixel_height, model) for ch in chs]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    with tempfile.TemporaryDirectory(prefix="ta-check-") as tmp:
        path = os.path.join(tmp, "example.json")
        example.save(path)
        todo = sorted(chs, key=lambda c: -c.cost)     # the longest first, so no chapter finishes alone
        ctx = multiprocessing.get_context("forkserver" if "forkserver" in multiprocessing.get_all_start_methods()
                                          else "spawn")
        with ProcessPoolExecutor(max_workers=min(jobs, len(chs)), mp_context=ctx) as pool:
            futures = {c.number: pool.submit(_audit_worker, (c.number, path, theme.name, pixel_height, model))
                       for c in todo}
            return [futures[c.number].result() for c in chs]


# ------------------------------------------------------------------ reports
def report_dict(reports: list[ChapterReport], pixel_height: int, theme_name: str | None = None) -> dict:
    out = {"thresholds": Limits(int(pixel_height)).as_dict(), "chapters": []}
    if theme_name:
        out["theme"] = theme_name
    for r in reports:
        d = asdict(r)
        d["seconds"] = round(r.seconds, 2)
        for f in d["findings"]:
            f.pop("moment", None)
        out["chapters"].append(d)
    return out


def report_summary(report: ChapterReport, pixel_height: int) -> dict:
    """What a render keeps of its chapter's audit (in the chapter's steps.json, or a stills worker's answer):
    the pixel height it was measured at, its counts and its findings, without the list of texts seen."""
    d = asdict(report)
    d.pop("texts_seen")
    for f in d["findings"]:
        f.pop("moment", None)
    d["seconds"] = round(report.seconds, 2)
    d["pixel_height"] = int(pixel_height)
    return d


def report_from_summary(d: dict) -> ChapterReport:
    """The ChapterReport that report_summary (or report_dict's chapters) describes."""
    fields = {k: d[k] for k in ("chapter", "moments", "texts", "seconds") if k in d}
    return ChapterReport(findings=[Finding(**f) for f in d.get("findings", [])], **fields)


def warning_text(reports: list[ChapterReport], command: str = "render.py check") -> str | None:
    """The warning a renderer prints when its render's audit found something (None when nothing was): how
    many findings in which chapters, the table, and the command that shows them again."""
    dirty = [r for r in reports if r.findings]
    if not dirty:
        return None
    n = findings_count(dirty)
    names = ", ".join(r.chapter for r in dirty)
    return (f"Warning: the layout audit found {n} problem{'s' * (n != 1)} in {names} (overlapping, clipped, "
            f"too small or faint text; see docs/layout-audit.md). The files were written; `{command}` with "
            "the same options lists them again.\n" + format_table(dirty))


def findings_count(reports) -> int:
    return sum(len(r.findings) for r in reports)


def _short(s: str | None, n: int = 36) -> str:
    if s is None:
        return ""
    s = " ".join(str(s).split())
    return s if len(s) <= n else s[: n - 1] + "…"


def format_table(reports: list[ChapterReport], max_texts: int = 4) -> str:
    """One line per (chapter, step, kind, measured, required) with the texts it concerns (the first few and
    how many more), then a summary line."""
    groups: dict[tuple, list[str]] = {}
    for r in reports:
        for f in r.findings:
            text = _short(f.text, 70 if f.kind == "error" else 24) + (f" / {_short(f.other, 24)}" if f.other else "")
            key = (r.chapter, _short(f.step, 34), f.kind, "" if f.measured is None else str(f.measured),
                   "" if f.required is None else str(f.required))
            groups.setdefault(key, []).append(text)
    rows = []
    for (chapter, step, kind, meas, req), texts in groups.items():
        shown = ", ".join(texts[:max_texts]) + (f" (+{len(texts) - max_texts} more)" if len(texts) > max_texts else "")
        rows.append((chapter, step, kind, shown, meas, req))
    lines = []
    if rows:
        head = ("chapter", "step", "kind", "text", "measured", "required")
        widths = [max(len(str(x[i])) for x in [head, *rows]) for i in range(len(head))]
        fmt = "  ".join("{:<%d}" % w for w in widths)
        lines.append(fmt.format(*head).rstrip())
        lines.append(fmt.format(*("-" * w for w in widths)).rstrip())
        lines.extend(fmt.format(*row).rstrip() for row in rows)
        lines.append("")
    n = findings_count(reports)
    clean = sum(1 for r in reports if not r.findings)
    lines.append(f"{n} finding{'s' * (n != 1)}; {clean} of {len(reports)} chapters clean "
                 f"({sum(r.moments for r in reports)} moments, {sum(r.texts for r in reports)} texts checked).")
    return "\n".join(lines)


def write_json(path, data: dict) -> None:
    """data as JSON at path, atomically (a temporary name, then os.replace)."""
    from pathlib import Path
    path = Path(path)
    tmp = path.with_name("." + path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False))
    os.replace(tmp, path)
