"""Synthetic speech for the loudness and peak tests: syllables of harmonics on a gliding pitch, at random
levels, with pauses, and sibilants at a quarter of the sample rate.

Like the voice's speech, it has a crest factor that needs a few dB of limiting at -16 LUFS under -2 dBTP
(piper's clips need 3 to 8). The sibilants are bursts of a sine at fs/4 with a 45 degree phase, whose
samples all sit 3.01 dB under the wave's peak: a meter or limiter that only reads samples misses their true
peak by 3 dB. Their samples reach the level of the loudest vowel, so they hold the signal's true peak
(real sibilants are quieter; here they are the test's trap)."""
from __future__ import annotations

import numpy as np


def speech(rate: int, seconds: float = 6.0, seed: int = 1, sibilants: bool = True) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = np.zeros(int(rate * seconds))
    hiss = np.zeros(out.size)
    t = 0.05
    while t < seconds - 0.4:
        dur = rng.uniform(0.12, 0.3)
        n = int(dur * rate)
        i = int(t * rate)
        k = np.arange(n)
        env = np.hanning(n) * rng.lognormal(0.0, 0.5)
        f0 = rng.uniform(95, 180) * (1 + 0.15 * k / n * rng.choice([-1, 1]))
        phase = 2 * np.pi * np.cumsum(f0) / rate
        voiced = sum(np.sin(h * phase + rng.uniform(0, 2 * np.pi)) / h for h in range(1, 12)
                     if h * f0.max() < rate / 2.2)
        out[i:i + n] += env * voiced
        t += dur
        if sibilants and rng.random() < 0.15:           # an "s": a burst at fs/4, 45 degrees
            m = int(rng.uniform(0.015, 0.03) * rate)
            j = int(t * rate)
            if j + m < out.size:
                s = np.sin(2 * np.pi * np.arange(m) / 4 + np.pi / 4)
                hiss[j:j + m] += np.hanning(m) ** 0.2 * s
            t += m / rate
        t += rng.choice([0.02, 0.05, 0.25, 0.45], p=[0.5, 0.3, 0.15, 0.05])   # between syllables, words, phrases
    # the sibilants' samples as high as the loudest vowel's: their true peaks are the signal's, 3 dB higher
    out += hiss * np.abs(out).max() / np.abs(hiss).max()
    return out / np.abs(out).max() * 0.5
