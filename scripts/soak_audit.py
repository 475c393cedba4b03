#!/usr/bin/env python3
"""Soak the layout audit: N random examples (default 200) drawn like tests/test_audit.py's property test
(1-12 tokens; words of 1-20 letters from Latin, accented Latin, Cyrillic, CJK and Arabic; d_model 2-8 with
a head count dividing it; dark or light), every chapter of each; prints how many were clean and the
findings of the others.

    .venv/bin/python scripts/soak_audit.py [-n 200] [--seed 0] [--jobs 2] [--chapters 0,4,8]
    .venv/bin/python scripts/soak_audit.py --seed 0 --examples 10,21   # again, only examples 10 and 21 of seed 0

Example k of a seed is the same whatever else is checked, so a dirty example found by a long soak can be
checked again alone after a fix.
"""
import argparse
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mathcore import Config, build_example  # noqa: E402
from scenes import CHAPTERS, audit  # noqa: E402
from scenes.theme import get_theme  # noqa: E402

ALPHABETS = {
    "latin": "abcdefghijklmnopqrstuvwxyz",
    "accented": "àáâäçèéêëíîïñóôöùúûüÿœæ",
    "cyrillic": "абвгдежзийклмнопрстуфхцчшщыэюя",
    "cjk": "的一是不了人我在有他这为之大来以个中上们到说国和地也子时道出而要于就下得可你年生",
    "arabic": "ابتثجحخدذرزسشصضطظعغفقكلمنهوي",
}


def random_config(rng: random.Random) -> tuple[Config, str]:
    """One random example (the property test's distribution) and its theme."""
    def sentence():
        words = []
        for _ in range(rng.randint(1, 12)):
            letters = ALPHABETS[rng.choice(list(ALPHABETS))]
            words.append("".join(rng.choice(letters) for _ in range(rng.randint(1, 20))))
        return " ".join(words)
    d = rng.randint(2, 8)
    heads = rng.choice([h for h in range(1, d + 1) if d % h == 0])
    src, tgt = sentence(), sentence()
    cfg = Config(source=src, target=tgt, corpus=(src, tgt), d_model=d, n_heads=heads, seed=rng.randint(0, 99),
                 train_steps=20)
    return cfg, rng.choice(["dark", "light"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--chapters", default=None, help="comma-separated chapter numbers (default: all)")
    ap.add_argument("--examples", default=None,
                    help="comma-separated example numbers of this seed to check (default: the first n)")
    args = ap.parse_args()
    chapters = [int(c) for c in args.chapters.split(",")] if args.chapters else [c.number for c in CHAPTERS]
    rng = random.Random(args.seed)
    only = sorted({int(k) for k in args.examples.split(",")}) if args.examples else None
    todo = only or list(range(args.n))
    clean = 0
    t0 = time.perf_counter()
    for k in range(max(todo) + 1):
        cfg, theme = random_config(rng)   # every example is drawn, so example k is the same as in a full soak
        if k not in todo:
            continue
        ex = build_example(cfg)
        reports = audit.audit_chapters(chapters, ex, get_theme(theme), 480, jobs=args.jobs)
        if audit.findings_count(reports) == 0:
            clean += 1
        else:
            print(f"example {k} ({theme}, d_model {cfg.d_model}, {cfg.n_heads} heads): {cfg.source!r} -> {cfg.target!r}")
            print(audit.format_table([r for r in reports if r.findings]))
        print(f"{todo.index(k) + 1} examples, {clean} clean ({time.perf_counter() - t0:.0f} s)", flush=True)
    print(f"{clean} of {len(todo)} random examples clean")


if __name__ == "__main__":
    main()
