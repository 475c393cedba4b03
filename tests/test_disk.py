"""A run folder that cannot be written, and a disk that fills up (in the command or in a chapter worker): one
clear line, a non-zero exit, no traceback; earlier results intact and nothing half-written under a final name.
The disks are small tmpfs mounts made by the tests (root only; skipped where mount is not allowed)."""
import os
import subprocess
from pathlib import Path

import pytest

from test_signals import FAST, assert_nothing_partial, chapter_files, run

COMMANDS = {   # each rendering command, as small as it gets
    "video": ["2", *FAST],
    "stills": ["2", "-q", "draft"],
    "post": ["2", "-q", "draft"],
    "bench": ["2", "--qualities", "draft"],
}


def _mount(where: Path, options: str) -> bool:
    if os.geteuid() != 0:
        return False
    where.mkdir(parents=True, exist_ok=True)
    return subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)],
                          capture_output=True).returncode == 0


def _umount(where: Path):
    if subprocess.run(["umount", str(where)], capture_output=True).returncode != 0:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


@pytest.fixture
def tmpfs(tmp_path):
    """mount(options) -> a fresh tmpfs under tmp_path; unmounted after the test whatever happens."""
    mounted = []

    def mount(options: str) -> Path:
        where = tmp_path / f"disk{len(mounted)}"
        if not _mount(where, options):
            pytest.skip("needs root and permission to mount a tmpfs")
        mounted.append(where)
        return where

    try:
        yield mount
    finally:
        for where in reversed(mounted):
            _umount(where)


def resize(disk: Path, free_kb: int):
    """Leave exactly free_kb kilobytes free on a tmpfs."""
    st = os.statvfs(disk)
    used_kb = (st.f_blocks - st.f_bfree) * st.f_frsize // 1024
    subprocess.run(["mount", "-o", f"remount,size={used_kb + free_kb}k", str(disk)], check=True)


def one_error_line(output: str) -> str:
    assert "Traceback" not in output, output
    errors = [line for line in output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, output
    return errors[0]


@pytest.mark.parametrize("command", list(COMMANDS))
def test_unwritable_out(tmp_path, tmpfs, command):
    if os.geteuid() == 0:
        disk = tmpfs("ro,size=1m")      # root writes through any chmod; a read-only mount stops it
    else:
        disk = tmp_path / "locked"
        disk.mkdir()
        disk.chmod(0o500)
    rc, output = run(command, *COMMANDS[command], out=disk / "run", timeout=60)
    assert rc != 0
    assert "Cannot write to the folder" in one_error_line(output)
    assert not (disk / "run").exists()


@pytest.mark.parametrize("command", list(COMMANDS))
def test_disk_full_in_the_command(tmpfs, command):
    """The first thing a command writes (example.json) does not fit."""
    disk = tmpfs("size=128k")
    rc, output = run(command, *COMMANDS[command], out=disk / "run", timeout=60)
    assert rc == 1
    assert one_error_line(output).startswith("Error: The disk is full")
    assert sorted(p.name for p in (disk / "run").iterdir()) == [".render.lock"]   # no half example.json


@pytest.mark.slow
def test_disk_filling_up_mid_run_keeps_finished_chapters(tmpfs):
    disk = tmpfs("size=64m")
    out = disk / "run"
    rc, output = run("video", "2", *FAST, out=out)
    assert rc == 0, output
    ch02 = chapter_files(out, "ch02-embedding")
    example_kb = (out / "example.json").stat().st_size // 1024 + 1

    # the command itself runs out of space while assembling the course (example.json, rewritten, still fits)
    for name in ("course.mp4", "thumbnail.png", "ch02-embedding.thumbnail.png"):
        (out / name).unlink(missing_ok=True)
    resize(disk, example_kb + 8)
    rc, output = run("video", "2", *FAST, out=out)
    assert rc == 1 and "Every chapter is up to date" in output
    assert one_error_line(output).startswith("Error: The disk is full")
    assert chapter_files(out, "ch02-embedding") == ch02
    assert_nothing_partial(out)

    # a chapter worker runs out of space (its own log may be cut short by the same full disk)
    resize(disk, example_kb + 64)
    rc, output = run("video", "2", "3", *FAST, out=out)
    assert rc == 1
    line = one_error_line(output)
    assert line.startswith("Error: The disk is full: chapter 3 (Positional encoding)"), line
    assert chapter_files(out, "ch02-embedding") == ch02
    assert not list(out.glob("ch03-*")) and not (out / ".ch03-positional.key").exists()
    assert not list((out / ".work").glob("ch03-positional-*"))   # its half-written frames are gone
    assert_nothing_partial(out)

    # space again: the rerun reuses chapter 2 and finishes the course
    resize(disk, 32 * 1024)
    rc, output = run("video", "2", *FAST, out=out)
    assert rc == 0 and "Every chapter is up to date" in output, output
    assert chapter_files(out, "ch02-embedding") == ch02
    assert (out / "course.mp4").exists()
    assert_nothing_partial(out)
