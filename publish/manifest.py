"""manifest.json: every file a run folder offers, with its size and SHA-256 (and a video's duration)."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def manifest(folder: Path, durations: dict[str, float]) -> str:
    files = []
    for p in sorted(folder.iterdir()):
        if p.is_file() and not p.name.startswith(".") and p.name != "manifest.json":
            entry = {"file": p.name, "bytes": p.stat().st_size, "sha256": sha256_file(p)}
            if p.name in durations:
                entry["duration"] = round(durations[p.name], 3)
            files.append(entry)
    for sub in sorted(q for q in folder.iterdir() if q.is_dir() and not q.name.startswith(".")):
        for p in sorted(sub.rglob("*")):
            if p.is_file() and not p.name.startswith("."):
                files.append({"file": str(p.relative_to(folder)), "bytes": p.stat().st_size,
                              "sha256": sha256_file(p)})
    return json.dumps({"files": files}, indent=1, ensure_ascii=False) + "\n"
