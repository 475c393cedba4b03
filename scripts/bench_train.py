#!/usr/bin/env python3
"""Time the training of the default worked example on one core (the budget is 5 seconds).

    .venv/bin/python scripts/bench_train.py            # 5 repeats, prints each and the best
    .venv/bin/python scripts/bench_train.py -n 1 --all # one repeat of the default and the layout configurations

Exits 1 when the best time of the default exceeds the budget. Not a test: timings depend on the machine
and its load, so the tests never assert them.
"""
from __future__ import annotations

import os

# One core: numpy's BLAS must not start threads (set before numpy is imported), and the process stays on
# one CPU.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
    os.environ[var] = "1"

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from mathcore import Config, model  # noqa: E402
from mathcore.example import prepare  # noqa: E402
from mathcore.train import train  # noqa: E402

BUDGET = 5.0  # seconds, for the default example


def time_training(cfg: Config):
    vocab, _, _ = prepare(cfg)
    weights = model.init_weights(cfg, len(vocab))
    t0 = time.perf_counter()
    run = train(cfg, weights, vocab)
    return time.perf_counter() - t0, run


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--repeats", type=int, default=5)
    parser.add_argument("--all", action="store_true", help="also time the layout configurations of the tests")
    args = parser.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    configs = {"default": Config()}
    if args.all:
        from conftest import LAYOUT_CONFIGS
        configs.update({k: v for k, v in LAYOUT_CONFIGS.items() if k != "default"})
    best_default = None
    for name, cfg in configs.items():
        times, run = [], None
        for _ in range(max(args.repeats, 1)):
            t, run = time_training(cfg)
            times.append(t)
        best = min(times)
        if name == "default":
            best_default = best
        print(f"{name:<14} {run.steps:>4} steps  reproduces {'yes' if run.reproduced else 'no ':<3}  "
              f"loss {run.losses[0]:.3f} -> {run.final_loss:.3f}  decimals {run.decimals}  "
              f"best {best:.3f} s  median {statistics.median(times):.3f} s  "
              f"({best / max(run.steps + 1, 1) * 1e3:.2f} ms per step)")
    ok = best_default <= BUDGET
    print(f"default example: {best_default:.3f} s on one core, budget {BUDGET:.0f} s: {'ok' if ok else 'OVER BUDGET'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
