"""The sound against references that share nothing with narration/audio.py: signals whose true peak is known
analytically, the ITU-R BS.1770-4 Annex 2 true-peak meter written from the standard (tests/bs1770_peak.py),
and pyloudnorm's loudness meter called directly. The README's figures are literals here: -16 LUFS and at
most -1 dBTP."""
import numpy as np
import pyloudnorm
import pytest

from narration import audio as audio_mod
from bs1770_peak import sample_peak_db, true_peak_dbtp
from speechlike import speech

README_LUFS = -16.0          # README: "normalized to −16 LUFS"
README_DBTP = -1.0           # README: "true peaks under −1 dBTP"
RATES = (22050, 48000)       # the voice's rate, the videos' rate


def quarter_rate_sine(rate: int, amplitude: float = 1.0, seconds: float = 1.0) -> np.ndarray:
    """A sine at fs/4 with a 45 degree phase: every sample is ±amplitude/√2, the wave's crests fall halfway
    between samples, so the sample peak is 20·log10(1/√2) = -3.0103 dB under the true peak. Faded in and
    out over 200 samples, so no edge rings."""
    n = np.arange(int(rate * seconds))
    x = amplitude * np.sin(2 * np.pi * n / 4 + np.pi / 4)
    fade = np.ones(n.size)
    fade[:200], fade[-200:] = np.linspace(0, 1, 200), np.linspace(1, 0, 200)
    return x * fade


@pytest.mark.parametrize("rate", RATES)
def test_the_reference_meter_knows_the_answers(rate):
    """The test's own meter first: the quarter-rate sine's true peak is its amplitude (0 dBTP at 1.0), 3.01
    dB over its sample peak; a 997 Hz sine at 0.5 peaks at -6.02 dB whether sampled or not. The Annex's
    filter is flat to ±0.05 dB up to fs/4."""
    x = quarter_rate_sine(rate)
    assert sample_peak_db(x) == pytest.approx(-3.0103, abs=0.001)
    assert true_peak_dbtp(x) == pytest.approx(0.0, abs=0.06)
    tone = 0.5 * np.sin(2 * np.pi * 997 * np.arange(rate) / rate)
    assert true_peak_dbtp(tone) == pytest.approx(-6.0206, abs=0.05)


@pytest.mark.parametrize("rate", RATES)
def test_voice_true_peak_reads_between_the_samples(rate):
    """audio_mod.true_peak_db against the analytic answers, and against the reference meter on speech."""
    for amplitude in (1.0, 0.5, 0.1):
        x = quarter_rate_sine(rate, amplitude)
        assert audio_mod.true_peak_db(x, rate) == pytest.approx(20 * np.log10(amplitude), abs=0.06)
    tone = 0.5 * np.sin(2 * np.pi * 997 * np.arange(rate) / rate)
    assert audio_mod.true_peak_db(tone, rate) == pytest.approx(-6.0206, abs=0.05)
    for seed in (1, 2, 3):
        x = speech(rate, seed=seed)
        assert audio_mod.true_peak_db(x, rate) == pytest.approx(true_peak_dbtp(x), abs=0.1)
        assert true_peak_dbtp(x) > sample_peak_db(x) + 2.5     # the sibilants' crests are between samples


@pytest.mark.parametrize("rate", RATES)
def test_the_limiter_keeps_true_peaks_under_its_ceiling(rate):
    """limit_true_peak at -1 dBTP on speech 6 dB too hot, measured by the reference meter (±0.05 dB of
    filter ripple between the two meters)."""
    x = speech(rate, seed=2)
    x = x * 10 ** ((6.0 - true_peak_dbtp(x)) / 20)
    out = audio_mod.limit_true_peak(x, rate, README_DBTP)
    assert true_peak_dbtp(out) <= README_DBTP + 0.05
    assert true_peak_dbtp(out) > README_DBTP - 1.0        # limited, not crushed


@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize("seed", [2, 3])
@pytest.mark.parametrize("level", [0.02, 0.99])
def test_normalized_speech_is_at_minus_16_lufs_under_minus_1_dbtp(rate, seed, level):
    """normalize_loudness lands within its own 0.2 LU of -16 LUFS (pyloudnorm, called here), with the
    true peak under -1 dBTP (the reference meter), however loud the speech came in. This speech needs about
    3 dB of limiting, so the loudness the limiter takes away must be given back."""
    x = speech(rate, seed=seed)
    out = audio_mod.normalize_loudness(x / np.abs(x).max() * level, rate)
    assert pyloudnorm.Meter(rate).integrated_loudness(out) == pytest.approx(README_LUFS, abs=0.2)
    assert true_peak_dbtp(out) <= README_DBTP


def test_a_signal_that_cannot_reach_the_target_stays_under_the_ceiling():
    """A noisy buzz whose loudness is close to its peak level cannot be at -16 LUFS under -2 dBTP (it tops out
    near -17.2): it is made as loud as MAX_LIMITING allows, louder than the plain gain and the limiter alone,
    and never over the ceiling."""
    rate = 22050
    t = np.arange(6 * rate) / rate
    rng = np.random.default_rng(1)
    buzz = (np.sin(2 * np.pi * 3 * t) > 0.2) * (0.3 + 0.7 * rng.random(t.size) ** 8) * (
        np.sin(2 * np.pi * 180 * t) + 0.5 * np.sin(2 * np.pi * 360 * t + 1) + 0.2 * rng.normal(size=t.size))
    meter = pyloudnorm.Meter(rate)
    out = audio_mod.normalize_loudness(buzz * 0.3, rate)
    plain = audio_mod.limit_true_peak(buzz * 0.3 * 10 ** ((README_LUFS - meter.integrated_loudness(buzz * 0.3)) / 20),
                                  rate, README_DBTP - audio_mod.PEAK_MARGIN)
    assert true_peak_dbtp(out) <= README_DBTP
    assert meter.integrated_loudness(plain) < meter.integrated_loudness(out) < README_LUFS
