#!/usr/bin/env python3
"""Regenerate tests/golden/default_torch.json: the default worked example as PyTorch computes it.

The file holds the default config, the vocabulary, the tokens, the weights, and every step id with its value
from the torch reference (tests/torch_reference.py), -inf (masked scores) as null. tests/test_golden.py checks
mathcore against it without needing torch. Run this after an intended change to the default example or to
its steps (a new, renamed or removed step id); the output is deterministic, so an unchanged model gives an
unchanged file.

    .venv/bin/python scripts/make_golden.py            # write the file
    .venv/bin/python scripts/make_golden.py --check    # exit 1 if the file is out of date, write nothing
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # mathcore, and the torch reference beside the tests

import numpy as np  # noqa: E402

try:
    import torch_reference  # noqa: E402
except ModuleNotFoundError as e:
    if e.name != "torch":
        raise
    sys.exit("make_golden: PyTorch is needed for the reference; install the test extras (pip install -e '.[test]').")

from mathcore import Config, build_example  # noqa: E402

torch_reference.torch.set_num_threads(1)  # tiny matrices: threads only add overhead

GOLDEN = ROOT / "tests" / "golden" / "default_torch.json"
SIGNIFICANT = 15  # digits kept: hides last-bit noise between BLAS builds, far below the tests' 1e-6


def _number(x):
    if isinstance(x, int):
        return x
    if math.isinf(x) and x < 0:
        return None                       # JSON has no -inf: masked scores
    if not math.isfinite(x):
        raise ValueError(f"unexpected value {x!r} in the reference")
    return float(f"{x:.{SIGNIFICANT}g}") + 0.0   # + 0.0: no -0.0


def _nested(a: np.ndarray):
    a = np.asarray(a)
    if a.dtype.kind in "iu":
        return a.astype(np.int64).tolist()
    return _nested_float(a.astype(np.float64).tolist())


def _nested_float(v):
    return [_nested_float(x) for x in v] if isinstance(v, list) else _number(v)


def _dump(obj, indent: str = "") -> str:
    """JSON with one matrix row per line: readable, diffable, deterministic."""
    inner = indent + "  "
    if isinstance(obj, dict):
        items = [f"{inner}{json.dumps(k, ensure_ascii=False)}: {_dump(v, inner)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}" if items else "{}"
    if isinstance(obj, list) and any(isinstance(x, (list, dict)) for x in obj):
        return "[\n" + ",\n".join(inner + _dump(x, inner) for x in obj) + "\n" + indent + "]"
    return json.dumps(obj, ensure_ascii=False, allow_nan=False)


def golden_text() -> str:
    ex = build_example(Config())
    ref = torch_reference.reference_for(ex)
    if ref.near_ties:
        raise SystemExit(f"make_golden: the default example has near-tied argmax steps {ref.near_ties}; "
                         "a golden file would not be stable.")
    missing = [s.id for s in ex.steps if s.id not in ref.values]
    if missing:
        raise SystemExit(f"make_golden: the torch reference does not compute {missing}; extend tests/torch_reference.py.")
    data = {
        "about": "The default worked example as PyTorch computes it (tests/torch_reference.py). "
                 "Regenerate with scripts/make_golden.py; checked by tests/test_golden.py. null = -inf.",
        "config": ex.config.to_dict(),
        "vocab": list(ex.vocab),
        "tokens": {k: list(v) for k, v in ex.tokens.items()},
        "weights": {k: _nested(v) for k, v in ex.weights.items()},
        # in the Example's step order; torch's value for each step id
        "steps": {s.id: _nested(ref.values[s.id]) for s in ex.steps},
    }
    return _dump(data) + "\n"


def same_golden(a, b, tol: float = 1e-12) -> bool:
    """The same structure, ids, tokens and weights, and the same numbers up to `tol` (relative and absolute):
    torch builds differ in the last bits of a product (1e-14 here), which is not a change to the model."""
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(same_golden(a[k], b[k], tol) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_golden(x, y, tol) for x, y in zip(a, b))
    if isinstance(a, float) or isinstance(b, float):
        return (isinstance(a, (int, float)) and isinstance(b, (int, float))
                and abs(a - b) <= tol * max(1.0, abs(a), abs(b)))
    return a == b


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the golden file is out of date; write nothing")
    args = parser.parse_args(argv)
    text = golden_text()
    if args.check:
        current = GOLDEN.read_text(encoding="utf-8") if GOLDEN.exists() else None
        if current is None or not same_golden(json.loads(current), json.loads(text)):
            print(f"make_golden: {GOLDEN.relative_to(ROOT)} is out of date; run scripts/make_golden.py.", file=sys.stderr)
            return 1
        print(f"make_golden: {GOLDEN.relative_to(ROOT)} is up to date.")
        return 0
    GOLDEN.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{GOLDEN.name}.", suffix=".tmp", dir=GOLDEN.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a tracked file should be readable
        os.replace(tmp, GOLDEN)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    print(f"make_golden: wrote {GOLDEN.relative_to(ROOT)} ({len(json.loads(text)['steps'])} steps).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
