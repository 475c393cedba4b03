"""An independent true-peak meter for the tests: ITU-R BS.1770-4, Annex 2, written from the standard.

The signal is oversampled 4 times by the Annex's own interpolating filter (48 taps as 4 phases of 12,
Table 1 of the Annex), and the true peak is the largest magnitude of the oversampled signal. It shares
nothing with narration/audio.py (which oversamples with scipy's resample_poly and its Kaiser-window filter), so the
two can only agree by both being right.
"""
from __future__ import annotations

import numpy as np

# ITU-R BS.1770-4 Annex 2, Table 1: phase p interpolates the point p/4 of a sample period on
PHASES = np.array([
    [0.0017089843750, 0.0109863281250, -0.0196533203125, 0.0332031250000, -0.0594482421875, 0.1373291015625,
     0.9721679687500, -0.1022949218750, 0.0476074218750, -0.0266113281250, 0.0148925781250, -0.0083007812500],
    [-0.0291748046875, 0.0292968750000, -0.0517578125000, 0.0891113281250, -0.1665039062500, 0.4650878906250,
     0.7797851562500, -0.2003173828125, 0.1015625000000, -0.0582275390625, 0.0330810546875, -0.0189208984375],
    [-0.0189208984375, 0.0330810546875, -0.0582275390625, 0.1015625000000, -0.2003173828125, 0.7797851562500,
     0.4650878906250, -0.1665039062500, 0.0891113281250, -0.0517578125000, 0.0292968750000, -0.0291748046875],
    [-0.0083007812500, 0.0148925781250, -0.0266113281250, 0.0476074218750, -0.1022949218750, 0.9721679687500,
     0.1373291015625, -0.0594482421875, 0.0332031250000, -0.0196533203125, 0.0109863281250, 0.0017089843750],
])


def oversampled(x: np.ndarray) -> np.ndarray:
    """The signal at 4 times its rate: y[4n + p] = sum_k PHASES[p][k] x[n - k] (zeros before and after)."""
    x = np.asarray(x, dtype=np.float64)
    phases = [np.convolve(x, h) for h in PHASES]          # full convolution: the filter's tail included
    return np.stack(phases, axis=1).reshape(-1)


def true_peak_dbtp(x: np.ndarray) -> float:
    """The true peak in dBTP (dB relative to full scale, 1.0), -inf for silence."""
    x = np.asarray(x, dtype=np.float64)
    if x.size == 0:
        return float("-inf")
    peak = float(np.abs(oversampled(x)).max())
    return 20 * np.log10(peak) if peak > 0 else float("-inf")


def sample_peak_db(x: np.ndarray) -> float:
    peak = float(np.abs(np.asarray(x, dtype=np.float64)).max())
    return 20 * np.log10(peak) if peak > 0 else float("-inf")
