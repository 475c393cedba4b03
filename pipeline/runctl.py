"""Run control: the processes a command starts, how they stop, and one render per run folder at a time.

- Workers start in a process group of their own (a new session), so a Ctrl-C at the terminal reaches only
  the command, which then decides: it forwards the signal to each worker's group, sends SIGTERM after
  FORWARD_GRACE seconds to any group still alive and SIGKILL after TERM_GRACE more, all within 5 s. A worker
  also gets SIGKILL from the kernel if the command itself dies (even by SIGKILL), so no orphan keeps writing
  into a run folder that the next run is about to use.
- SIGINT and SIGTERM raise Stopped in the command's main thread; render.py's main() stops the workers, prints
  one line and exits 128 + the signal's number (130, 143). Files reach their final names only by
  os.replace, so a stop leaves finished files and temporary ones (dot-names, and .work/), never half a file.
- run_lock(folder) holds a flock on <folder>/.render.lock for the duration of a render: a second render of
  the same folder waits, then finds the first one's chapters finished. The kernel drops a flock when its
  holder dies, however it dies, and the descriptor is not inherited by workers (Python opens it
  close-on-exec), so a killed run never blocks the next one. The lock is reentrant within a process.
"""
from __future__ import annotations

import ctypes
import errno
import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from pipeline.errors import RenderError
from pipeline.runfolder import finished_chapters

FORWARD_GRACE = 1.5   # seconds a worker has to exit after the forwarded signal before it gets SIGTERM
TERM_GRACE = 1.0      # seconds after SIGTERM before SIGKILL
KILL_WAIT = 1.0       # seconds to wait for the kernel to reap after SIGKILL
LOCK_NAME = ".render.lock"
WAITING = "Waiting for another render of this run folder to finish…"

_children: list[subprocess.Popen] = []   # the workers started by spawn() that may still run
_last_folder: Path | None = None         # the run folder of the latest lock, for the stop message


class Stopped(BaseException):
    """SIGINT or SIGTERM arrived. A BaseException, like KeyboardInterrupt, so no `except Exception` swallows it
    (and not a KeyboardInterrupt, which the command line would turn into "Aborted!" and exit status 1)."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.exit_code = 128 + signum


# ---------------------------------------------------------------- signals

def install_signal_handlers():
    """Turn SIGINT and SIGTERM into Stopped in the main thread (call from the command's main())."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _on_signal)


_deferred = 0                 # depth of signals_deferred() blocks in the main thread
_pending: int | None = None   # a signal that arrived inside one, raised at the next check_stop()


def _on_signal(signum, frame):
    # one stop per run: a second Ctrl-C while the workers are being stopped (at most a few seconds) must not
    # interrupt the stopping itself
    global _pending
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)
    if _deferred:
        _pending = signum
        return
    raise Stopped(signum)


@contextmanager
def signals_deferred():
    """Inside the block a signal does not raise wherever the main thread happens to be: it raises Stopped at
    the next check_stop() call, or when the block ends. For loops that drive a rich progress display (an
    exception raised while the main thread holds one of its locks can deadlock its refresh thread, and the
    command then never exits) or start workers (a Popen interrupted between fork and its return leaves a
    child nobody tracks)."""
    global _deferred
    _deferred += 1
    try:
        yield
    finally:
        _deferred -= 1
        if not _deferred:
            check_stop()


def check_stop():
    """Raise Stopped for a signal that arrived inside signals_deferred()."""
    global _pending
    if _pending is not None:
        signum, _pending = _pending, None
        raise Stopped(signum)


def stopped_line(folder: Path | None = None) -> str:
    """The one line a stopped command prints."""
    n = finished_chapters(folder or _last_folder)
    return f"Stopped; {n} chapter{'s' * (n != 1)} finished, rerun the same command to resume"


# ---------------------------------------------------------------- processes

def spawn(cmd: list[str], **popen_kwargs) -> subprocess.Popen:
    """Popen in a new session (so its own process group, whose id is its pid); on Linux the child gets SIGKILL
    when this process dies. Note that the kernel ties that to the *thread* that spawns: spawn from the main
    thread, or from a thread that outlives the child."""
    _children[:] = [p for p in _children if p.returncode is None]
    proc = subprocess.Popen(cmd, start_new_session=True, preexec_fn=_die_with_parent(), **popen_kwargs)
    _children.append(proc)
    return proc


def _die_with_parent():
    """A preexec_fn that asks the kernel for SIGKILL when the parent dies (Linux prctl PR_SET_PDEATHSIG)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl   # resolved before the fork: the child only calls it
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def preexec():
        prctl(1, int(signal.SIGKILL))   # 1 = PR_SET_PDEATHSIG
        if os.getppid() != parent:      # the parent died before prctl took effect
            os._exit(1)

    return preexec


def stop(procs: list[subprocess.Popen] | None = None, first: int | None = None):
    """Stop processes started by spawn() (default: all still running) and everything in their process groups:
    `first` (the signal the command got, forwarded), SIGTERM after FORWARD_GRACE s, SIGKILL after TERM_GRACE s.
    Returns when all are reaped (at most about FORWARD_GRACE + TERM_GRACE + KILL_WAIT seconds)."""
    procs = [p for p in (_children if procs is None else procs) if p.returncode is None]
    first = first or signal.SIGTERM
    steps = [(first, FORWARD_GRACE)]
    if first != signal.SIGTERM:
        steps.append((signal.SIGTERM, TERM_GRACE))
    steps.append((signal.SIGKILL, KILL_WAIT))
    for sig, grace in steps:
        alive = [p for p in procs if p.poll() is None]
        if not alive:
            break
        for p in alive:
            _signal_group(p, sig)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and any(p.poll() is None for p in alive):
            time.sleep(0.05)
    for p in procs:     # what the workers started themselves (LaTeX, say) may outlive them
        _signal_group(p, signal.SIGKILL)


def _signal_group(proc: subprocess.Popen, sig: int):
    try:
        os.killpg(proc.pid, sig)    # the group id is the leader's pid (start_new_session)
    except (ProcessLookupError, PermissionError):
        pass


# ---------------------------------------------------------------- one render per run folder

@contextmanager
def run_lock(folder: Path, echo=print):
    """Hold the run folder's lock for the block; wait (saying so once) while another process holds it.

    Reentrant in one process (a post renders stills under the same lock). If the block raises, the workers
    still running are stopped before the lock is released, so the next holder never shares the folder with
    them."""
    from filelock import FileLock, Timeout
    global _last_folder
    folder = Path(folder)
    # flock only: a soft lock (a marker file) would survive a killed holder
    lock = FileLock(folder.resolve() / LOCK_NAME, is_singleton=True, fallback_to_soft=False)
    _last_folder = folder
    try:
        try:
            lock.acquire(blocking=False)
        except Timeout:
            echo(WAITING)
            lock.acquire()
    except OSError as e:
        if e.errno not in (errno.ENOSYS, errno.ENOLCK, errno.EOPNOTSUPP):
            raise
        raise RenderError(f"Cannot lock the run folder {folder} ({e.strerror}): its filesystem has no "
                                   "file locks; choose another --out.") from None
    try:
        yield folder
    except BaseException as e:
        stop(first=getattr(e, "signum", None))
        raise
    finally:
        lock.release()


# ---------------------------------------------------------------- disk and permission errors

DISK_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
NO_ACCESS = (errno.EACCES, errno.EPERM, errno.EROFS)


def os_error_line(e: OSError) -> str | None:
    """One sentence for an OSError that is the disk's or the folder's fault, else None (a bug: let it raise)."""
    path = getattr(e, "filename", None) or _last_folder
    where = f" {path}" if path else ""
    if e.errno in DISK_FULL:
        return (f"The disk is full: could not write to{where}. Free some space (or choose another --out), then "
                "rerun the same command; finished chapters are kept.")
    if e.errno in NO_ACCESS:
        return f"Cannot write to{where}: {e.strerror}; choose another --out."
    return None


def disk_full(log: Path | None, folder: Path | None = None) -> bool:
    """Did a worker fail because the disk filled up? Its log says so, or (when the full disk also cut the log
    short) the disk that holds the folder has next to no space left."""
    try:
        if log is not None and log.exists():
            text = log.read_text(errors="replace")[-20000:]
            if "No space left on device" in text or "Disk quota exceeded" in text or "[Errno 28]" in text:
                return True
        probe = folder or (log.parent if log is not None else None)
        if probe is not None and probe.exists():
            st = os.statvfs(probe)
            return st.f_bavail * st.f_frsize < 1 << 20
    except OSError:
        return False
    return False
