"""The narration's sound: loudness (ITU-R BS.1770, -16 LUFS), a true-peak limiter (at most -1 dBTP), and
encoding to AAC or Opus with the true peak measured after encoding. Pure signal work on float samples;
WAV and media files are read and written here too."""
from __future__ import annotations

import io
import os
import wave
from pathlib import Path

import numpy as np

TARGET_LUFS = -16.0
MAX_TRUE_PEAK_DB = -1.0
# how the narration is encoded in the videos (scenes/speedups.py for a chapter, pipeline/assemble.py for the course)

# how the narration is encoded in the videos (scenes/speedups.py for a chapter, exports for the course)
AAC_OPTIONS = {"aac_coder": "fast"}   # three times quicker than FFmpeg's default coder, no worse on speech

AUDIO_BIT_RATE = 96_000               # mono speech

AUDIO_RATE = 48_000                   # video's usual sample rate (the voice speaks at 22.05 kHz)

LOSSY_CODECS = ("aac", "libopus", "libvorbis")   # resampled to AUDIO_RATE, peaks checked after encoding


# ---------------------------------------------------------------- loudness


def _peak_envelope(audio: np.ndarray) -> np.ndarray:
    """For each sample, the largest magnitude of the signal oversampled 4 times (ITU-R BS.1770-4) over that
    sample's four phases: float32, computed in blocks so a whole course does not need gigabytes."""
    from scipy.signal import resample_poly
    x = np.asarray(audio, dtype=np.float32)
    env = np.empty(x.size, dtype=np.float32)
    block, pad = 1 << 20, 64
    for i in range(0, x.size, block):
        a, b, n = max(0, i - pad), min(x.size, i + block + pad), min(block, x.size - i)
        up = np.abs(resample_poly(x[a:b], 4, 1)).reshape(-1, 4).max(axis=1)
        env[i:i + n] = up[i - a:i - a + n]
    return env


def true_peak_db(audio: np.ndarray, rate: int) -> float:
    """ITU-R BS.1770-4 true peak: the sample peak of the signal oversampled 4 times, in dBTP."""
    if audio.size == 0:
        return -np.inf
    peak = float(_peak_envelope(audio).max())
    return 20 * np.log10(peak) if peak > 0 else -np.inf


def integrated_loudness(audio: np.ndarray, rate: int) -> float:
    """ITU-R BS.1770 integrated loudness in LUFS (pyloudnorm), padded to one 400 ms block if shorter."""
    import pyloudnorm
    if audio.size < int(0.4 * rate) + 1:
        audio = np.concatenate([audio, np.zeros(int(0.4 * rate) + 1 - audio.size)])
    return float(pyloudnorm.Meter(rate).integrated_loudness(audio))


def _limit(audio: np.ndarray, rate: int, ceiling_db: float, env: np.ndarray | None = None) -> np.ndarray:
    """A look-ahead peak limiter: smooth gain that keeps the 4x-oversampled peak under the ceiling."""
    from scipy.ndimage import maximum_filter1d, uniform_filter1d
    ceiling = np.float32(10 ** (ceiling_db / 20))
    if env is None:
        env = _peak_envelope(audio)
    need = np.minimum(np.float32(1.0), ceiling / np.maximum(env, np.float32(1e-12)))
    window = max(1, int(0.005 * rate))                    # 5 ms attack and hold
    gain = -maximum_filter1d(-need, size=2 * window + 1)  # the smallest gain around each sample
    gain = uniform_filter1d(gain, size=window)            # smoothed, so it does not click
    gain = np.minimum(gain, -maximum_filter1d(-need, size=3))
    return audio * gain

LOUDNESS_TOLERANCE = 0.2   # LU: normalize_loudness lands this close to its target (whenever the ceiling allows)

MAX_LIMITING = 12.0        # dB of gain the loudness search may add beyond the plain gain (speech needs 2 to 8)

PEAK_MARGIN = 1.0   # dB kept below the ceiling in the clips: AAC encoding (twice: chapter, then course)


def limit_true_peak(audio: np.ndarray, rate: int, ceiling: float = MAX_TRUE_PEAK_DB) -> np.ndarray:
    """The audio (float32) with its true peak at most `ceiling` dBTP; unchanged where it is under."""
    x = np.asarray(audio, dtype=np.float32)
    env = _peak_envelope(x)
    if x.size == 0 or float(env.max()) <= 10 ** (ceiling / 20):
        return x
    return _limit(x, rate, ceiling, env)


def normalize_loudness(audio: np.ndarray, rate: int, target: float = TARGET_LUFS,
                       ceiling: float = MAX_TRUE_PEAK_DB) -> np.ndarray:
    """The audio at `target` LUFS integrated, within LOUDNESS_TOLERANCE, with its true peak at most
    PEAK_MARGIN dB under `ceiling` dBTP.

    A gain, then the limiter where the peaks would be over. The limiter takes loudness away with the peaks, so
    the gain is searched (secant steps on the gain in dB, each applied to the original audio, so the limiter
    never works on its own output) until the limited result measures `target`. Speech needs a few dB more
    than the plain gain. A signal whose loudness is close to its peak level (a steady tone) cannot reach
    `target` under the ceiling: it gets at most MAX_LIMITING dB more than the plain gain, and is as loud as
    that allows."""
    x = np.asarray(audio, dtype=np.float64)
    lufs = integrated_loudness(x, rate)
    if not np.isfinite(lufs):
        return audio
    peak_ceiling = ceiling - PEAK_MARGIN
    plain = target - lufs

    def at(gain_db: float) -> tuple[np.ndarray, float]:
        y = x * 10 ** (gain_db / 20)
        if true_peak_db(y, rate) > peak_ceiling:
            y = _limit(y, rate, peak_ceiling).astype(np.float64)
        return y, integrated_loudness(y, rate)

    gain = plain
    out, got = at(gain)
    best, prev = (abs(got - target), out), None
    for _ in range(10):
        if abs(got - target) < LOUDNESS_TOLERANCE / 2:
            break
        slope = 1.0
        if prev is not None and prev[0] != gain:
            slope = min(1.0, max(0.1, (got - prev[1]) / (gain - prev[0])))
        step = min(plain + MAX_LIMITING, gain + (target - got) / slope)
        if step == gain:
            break                      # as loud as the ceiling allows
        prev, gain = (gain, got), step
        out, got = at(gain)
        if abs(got - target) < best[0]:
            best = (abs(got - target), out)
    return np.clip(best[1], -1.0, 1.0)


# ---------------------------------------------------------------- encoding and files


def encode_under_ceiling(samples: np.ndarray, rate: int, write, read, ceiling: float = MAX_TRUE_PEAK_DB,
                         tries: int = 4):
    """Encode with a lossy codec and keep the promise of at most `ceiling` dBTP in what a viewer decodes.

    write(samples) encodes the mono samples; read() decodes what was written, as (samples, rate). AAC lets
    true peaks overshoot, usually by about half a dB but by over 1 dB on some speech, so the result is
    measured: while it is over, the samples are limited by the excess (and a quarter dB more) and encoded
    again. Returns the true peak of the result in dBTP."""
    x = np.asarray(samples, dtype=np.float32)
    peak = -np.inf
    for _ in range(tries):
        write(x)
        decoded = read()
        peak = true_peak_db(*decoded) if decoded is not None else -np.inf
        if peak <= ceiling:
            break
        x = limit_true_peak(x, rate, true_peak_db(x, rate) - (peak - ceiling) - 0.25)
    return peak


def read_audio(path: Path) -> tuple[np.ndarray, int] | None:
    """A media file's sound as mono float32 samples (the mean of its channels) and their rate; None if it has
    no sound."""
    import av
    with av.open(str(path)) as c:
        if not c.streams.audio:
            return None
        s = c.streams.audio[0]
        rate = s.codec_context.sample_rate
        parts = []
        for frame in c.decode(s):
            a = frame.to_ndarray()
            if not frame.format.is_planar:     # interleaved: one row of channel-interleaved samples
                a = a.reshape(-1, len(frame.layout.channels)).T
            if a.dtype != np.float32:
                a = a.astype(np.float32) / (np.iinfo(a.dtype).max + 1 if a.dtype.kind == "i" else 1)
            parts.append(a.mean(axis=0, dtype=np.float32) if a.shape[0] > 1 else a[0])
    return (np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)), rate


def encode_mono(out, samples: np.ndarray, rate: int, codec: str) -> list:
    """Add a mono sound stream to the open container `out` and encode the float samples into it (AAC with
    the fast coder at AUDIO_BIT_RATE, resampled to AUDIO_RATE; any other codec FFmpeg knows, as it is);
    returns the packets, to be muxed by the caller."""
    import av
    from fractions import Fraction
    aac = codec == "aac"
    target = AUDIO_RATE if codec in LOSSY_CODECS else rate
    stream = out.add_stream(codec, rate=target, options=AAC_OPTIONS if aac else None)
    stream.layout = "mono"
    if aac or codec == "libopus":
        stream.bit_rate = AUDIO_BIT_RATE
    frame = av.AudioFrame.from_ndarray(np.asarray(samples, dtype=np.float32).reshape(1, -1), format="flt",
                                       layout="mono")
    frame.sample_rate = rate
    frame.pts = 0
    frame.time_base = Fraction(1, rate)
    resampler = av.AudioResampler(format=stream.codec_context.format.name, layout="mono", rate=target,
                                  frame_size=stream.codec_context.frame_size or None)
    packets = []
    for f in [*resampler.resample(frame), *resampler.resample(None)]:
        packets.extend(stream.encode(f))
    packets.extend(stream.encode(None))
    return [p for p in packets if p.pts is not None]


def read_wav(path: str | os.PathLike) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as w:
        rate, n = w.getframerate(), w.getnframes()
        raw = np.frombuffer(w.readframes(n), dtype=np.int16)
    return raw.astype(np.float64) / 32767.0, rate


def wav_bytes(audio: np.ndarray, rate: int) -> bytes:
    """Mono 16-bit PCM WAV of float samples in [-1, 1]."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.clip(audio, -1, 1) * 32767).round().astype("<i2").tobytes())
    return buf.getvalue()
