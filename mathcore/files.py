"""Files written whole or not at all: a temporary name in the same folder, then os.replace. A leaf: it
imports nothing of the project, so every layer (narration's voice cache, the run folder, the published
files) writes through it."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path


def write_atomic(path: Path, data: str | bytes) -> Path:
    """Write to a temporary name in the same folder, then rename: never a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the usual permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path

DATA_MARKER = ".transformer-anim-data"   # names a folder of CSV tables that the data command may replace


class FolderInUseError(ValueError):
    """A folder to replace holds files that are not ours."""


def write_folder_atomic(folder: Path, files: dict[str, str]) -> Path:
    """Make folder hold exactly files (and a marker): written beside it, then swapped in, so it never mixes
    with an earlier example's files and is never half-written. A folder that exists without the marker
    and is not empty is someone else's: FolderInUseError."""
    folder = Path(folder)
    if folder.exists() and not (folder / DATA_MARKER).exists() and any(folder.iterdir()):
        raise FolderInUseError(f"The folder {folder} already holds other files; give a new or empty folder "
                               "with --out.")
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".part", dir=folder.parent))
    old = tmp.with_suffix(".old")
    try:
        for name, text in files.items():
            (tmp / name).write_text(text, encoding="utf-8")
        (tmp / DATA_MARKER).write_text("CSV tables written by transformer-anim's data command; the folder is "
                                       "replaced as a whole on the next run.\n")
        os.chmod(tmp, 0o777 & ~_umask())
        if folder.exists():
            os.replace(folder, old)
        os.replace(tmp, folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
    return folder


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
