"""Plant realistic bugs, one at a time, in a scratch copy of the project, and check that the tests catch each.

Each mutant is one exact text replacement in one file. The project is copied (without .venv, media, .git and
caches) into a temporary folder; the relevant tests run there first unchanged (they must pass, or a "caught"
would mean nothing), then once per mutant, with this interpreter (the project's .venv). A mutant is caught
when its tests fail. The voice cache and Manim's media go to the scratch folder, so nothing made by a mutant
is ever reused by a real run.

    .venv/bin/python scripts/mutants.py                  # every mutant, pytest on 2 processes
    .venv/bin/python scripts/mutants.py --only minus --jobs 0

Prints a table (mutant, file, tests, caught or not, the first failing test, seconds) and exits 1 when a
mutant survives, when a replacement no longer applies, or when the unchanged tests fail.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IGNORE = shutil.ignore_patterns(".venv", "media", ".git", "__pycache__", ".hypothesis", ".pytest_cache",
                                "*.egg-info")

SOUND = ["tests/test_truepeak.py", "tests/test_voice.py"]


@dataclass(frozen=True)
class Mutant:
    name: str
    what: str          # the bug, in words
    file: str
    old: str
    new: str
    tests: tuple[str, ...]


MUTANTS = [
    # the bugs of issue 23's table
    Mutant("captions-ignore-voice", "caption cues ignore the voice's sentence timings", "narration/captions.py",
           "natural = _voice_times(texts, sentences) if sentences else None",
           "natural = None", ("tests/test_captions.py",)),
    Mutant("loudness-23", "loudness target -16 -> -23 LUFS", "narration/audio.py",
           "TARGET_LUFS = -16.0", "TARGET_LUFS = -23.0", tuple(SOUND)),
    Mutant("sample-peak-meter", "the true-peak meter reads sample peaks (no oversampling)", "narration/audio.py",
           "up = np.abs(resample_poly(x[a:b], 4, 1)).reshape(-1, 4).max(axis=1)",
           "up = np.abs(x[a:b])", tuple(SOUND)),
    Mutant("ascii-minus", "on-screen numbers with an ASCII hyphen instead of a true minus",
           "mathcore/display.py", 'return s.replace("-", MINUS)', "return s",
           ("tests/test_numbers_on_screen.py",)),
    Mutant("softmax-1.01", "softmax x1.01", "mathcore/layers.py",
           "return e / np.sum(e, axis=-1, keepdims=True)", "return 1.01 * e / np.sum(e, axis=-1, keepdims=True)",
           ("tests/test_mathcore.py", "tests/test_golden.py")),
    Mutant("no-loudness-correction", "no loudness correction pass after the limiter", "narration/audio.py",
           "    for _ in range(10):\n        if abs(got - target) < LOUDNESS_TOLERANCE / 2:",
           "    for _ in range(0):\n        if abs(got - target) < LOUDNESS_TOLERANCE / 2:", tuple(SOUND)),
    # bugs planted while writing the new tests
    Mutant("long-word-cut-40", "a word longer than a line is cut every 40 characters, not 42", "narration/captions.py",
           "out.append((word[:MAX_LINE], first and bool(out)))\n            word, first = word[MAX_LINE:], False",
           "out.append((word[:MAX_LINE - 2], first and bool(out)))\n            word, first = word[MAX_LINE - 2:], False",
           ("tests/test_captions.py",)),
    Mutant("negative-zero", "a value that rounds to zero keeps its minus (−0.00)", "mathcore/display.py",
           "        s = s.lstrip(\"-\")\n", "        pass\n", ("tests/test_numbers_on_screen.py",)),
    Mutant("cues-from-step-start", "voice-timed cues start at the step's start, not their sentence's", "narration/captions.py",
           "    out, prev = [], start\n    for (a, b), need in zip(windows, needs):\n        a = max(a, prev)",
           "    out, prev = [], start\n    for (a, b), need in zip(windows, needs):\n        a = prev",
           ("tests/test_captions.py",)),
    Mutant("snapshots-skip-in-ci", "pixel snapshots skip in CI on another cairo", "tests/test_snapshots.py",
           "    if in_ci():\n", "    if False:\n",
           ("tests/test_snapshots.py::test_cairo_guard_fails_in_ci_and_skips_elsewhere",)),
]


def copy_project(dest: Path) -> Path:
    shutil.copytree(ROOT, dest, ignore=IGNORE)
    return dest


def run_tests(tree: Path, tests: tuple[str, ...], jobs: int, scratch: Path) -> tuple[int, str, float]:
    env = {**os.environ, "TA_VOICE_CACHE": str(scratch / "voice-cache"), "TA_TEX_CACHE": str(scratch / "tex-cache"),
           "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("PYTEST_XDIST_WORKER", None)
    cmd = [sys.executable, "-m", "pytest", "-q", "-x", "-n", str(jobs), "-p", "no:cacheprovider",
           "-o", "addopts=--dist loadgroup", *tests]
    t0 = time.monotonic()
    res = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True)
    return res.returncode, res.stdout + res.stderr, time.monotonic() - t0


def first_failure(output: str) -> str:
    m = re.search(r"^(?:FAILED|ERROR) (\S+)", output, re.M)
    return m.group(1) if m else ""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", action="append", default=[], help="run only mutants whose name contains this")
    ap.add_argument("--jobs", type=int, default=2, help="pytest-xdist processes (0: none)")
    args = ap.parse_args(argv)
    chosen = [m for m in MUTANTS if not args.only or any(o in m.name for o in args.only)]
    if not chosen:
        print(f"No mutant matches {args.only}: the names are {', '.join(m.name for m in MUTANTS)}.")
        return 2

    rows, ok = [], True
    with tempfile.TemporaryDirectory(prefix="ta-mutants-") as tmp:
        scratch = Path(tmp)
        tree = copy_project(scratch / "project")
        # the unchanged project must pass the tests that will judge the mutants
        tests = tuple(sorted({t for m in chosen for t in m.tests}))
        code, out, secs = run_tests(tree, tests, args.jobs, scratch)
        print(f"unchanged project: {'pass' if code == 0 else 'FAIL'} ({secs:.0f} s) on {' '.join(tests)}")
        if code != 0:
            print(out[-3000:])
            return 1
        for m in chosen:
            path = tree / m.file
            original = path.read_text(encoding="utf-8")
            n = original.count(m.old)
            if n != 1:
                rows.append((m, f"does not apply ({n} matches)", "", 0.0))
                ok = False
                continue
            path.write_text(original.replace(m.old, m.new), encoding="utf-8")
            try:
                code, out, secs = run_tests(tree, m.tests, args.jobs, scratch)
            finally:
                path.write_text(original, encoding="utf-8")
            failed = code == 1 or (code == 2 and bool(first_failure(out)))   # -x under xdist exits 2
            if failed:
                verdict = "caught"
            elif code == 0:
                verdict, ok = "NOT CAUGHT", False
            else:
                verdict, ok = f"error (pytest exit {code})", False
            rows.append((m, verdict, first_failure(out), secs))

    print()
    print("| mutant | planted bug | file | tests | result | first failing test | time |")
    print("|---|---|---|---|---|---|---|")
    for m, verdict, failing, secs in rows:
        tests = ", ".join(t.removeprefix("tests/") for t in m.tests)
        print(f"| {m.name} | {m.what} | {m.file} | {tests} | {verdict} | {failing} | {secs:.0f} s |")
    caught = sum(1 for _, v, _, _ in rows if v == "caught")
    print(f"\n{caught} of {len(rows)} mutants caught.")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
