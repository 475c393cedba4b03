"""How a course is rendered: the quality table, the containers, and RenderSettings (one look of one run:
quality, frame rate, theme, format, voice), with the tag that names its folder and the cache key that
says whether a chapter must be rendered again."""
from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]   # the repository: what a chapter process runs from

QUALITIES = {  # Manim's presets, plus a tiny draft for tests and quick looks: the one quality table
    "l": "low_quality", "m": "medium_quality", "h": "high_quality", "p": "production_quality",
    "k": "fourk_quality", "draft": None,
}
FRAME_RATES = {"l": 15, "m": 30, "h": 60, "p": 60, "k": 60, "draft": 5}
DRAFT = {"pixel_width": 256, "pixel_height": 144, "frame_rate": FRAME_RATES["draft"]}
FORMATS = ("mp4", "webm", "gif", "mov")
# x264 for mp4 and mov: the "veryfast" preset at CRF 21 measured the same PSNR as Manim's default (medium,
# CRF 23) on our frames, 4 % larger, with a third less encoding time
X264_OPTIONS = {"preset": "veryfast", "crf": "21"}


def code_version() -> str:
    """Changes whenever the drawing, the math, the timing or the voice changes, so cached renders are redone."""
    h = hashlib.sha256()
    for p in sorted([*ROOT.glob("scenes/**/*.py"), *ROOT.glob("mathcore/*.py"), *ROOT.glob("narration/*.py")]):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


@dataclass(frozen=True)
class RenderSettings:
    quality: str = "l"
    fps: int | None = None
    theme: str = "dark"
    transparent: bool = False
    fmt: str = "mp4"
    verbose: bool = False
    code: str = ""          # version of the drawing code: part of the cache key
    model: str = "gpt3-175b"  # the preset the scale chapters describe
    voice: str | None = "joe"  # the narrating voice (narration.voice.VOICES), or None for a silent course
    voice_rate: float = 1.0    # speaking speed: 2 is twice as fast
    check: bool = True         # audit the layout while rendering (scenes.audit); warnings only, not in the key

    def tag(self) -> str:
        """The run's sub-folder name: what makes two renders of the same sentence differ on disk, so a
        draft and a 1080p60 render (or dark and light) can run at once and both be kept."""
        if self.quality == "draft":
            size, fps = "draft", None
        else:
            size, fps = {"l": (480, 15), "m": (720, 30), "h": (1080, 60), "p": (1440, 60), "k": (2160, 60)}[self.quality]
            size = f"{size}p{self.fps or fps}"
        parts = [size if self.quality != "draft" or not self.fps else f"draft{self.fps}", self.theme]
        if self.transparent:
            parts.append("transparent")
        if self.fmt not in ("mp4", "png"):
            parts.append(self.fmt)
        if self.model != RenderSettings.model:
            parts.append(self.model)
        if self.fmt != "png":   # stills are silent whatever the voice
            if self.voice is None:
                parts.append("silent")
            elif self.voice != RenderSettings.voice or self.voice_rate != 1.0:
                parts.append(f"{self.voice}{self.voice_rate:g}x")
        return "-".join(parts)

    def key(self, example_json: str, slug: str) -> str:
        s = dataclasses.asdict(self)
        s.pop("verbose")
        s.pop("check")
        blob = json.dumps(s, sort_keys=True) + slug + example_json
        return hashlib.sha256(blob.encode()).hexdigest()[:20]
