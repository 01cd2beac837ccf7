"""One local stack per data directory: a lock file that names its holder.

Two stacks on one data dir fight over RocksDB and the Temporal SQLite file
and fail with the children's own errors ("database is locked
(SQLITE_BUSY)"), far from the cause. The supervisor takes an exclusive
``flock`` on ``<data dir>/stigmer.lock`` before starting anything and writes
its pid into it; a second one is refused in one line naming that pid.

The lock belongs to the open file, so the children inherit it (the fd is
passed to them): the directory is free only once the supervisor *and* every
child are gone, and the kernel releases it however they die; a stale file
from a dead stack never blocks.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

from stigmer_cli.errors import UsageError

LOCK_FILE = "stigmer.lock"
# After a supervisor dies its children get a parent-death signal; give them this
# long to exit (and release the inherited lock) before naming them as the holder.
EXITING_GRACE_SECONDS = 10.0


def _recorded_pid(path: Path) -> int | None:
    try:
        text = path.read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def lock_data_dir(data_dir: Path, grace_seconds: float = EXITING_GRACE_SECONDS) -> int:
    """Take the data dir's lock; return its fd (inheritable: pass it to the children).

    Raises:
        UsageError: another stack holds it ("another stigmer server (pid N) uses DIR"),
            or the children of a dead one still do after ``grace_seconds``.
    """
    path = data_dir / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as error:
        raise UsageError(f"cannot use data dir {data_dir}: {error.strerror or error}") from None
    deadline = time.monotonic() + grace_seconds
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except OSError as error:
            if not isinstance(error, BlockingIOError):
                os.close(fd)
                raise UsageError(f"cannot lock {path}: {error.strerror or error}") from None
            pid = _recorded_pid(path)
            if pid is not None and _alive(pid):
                os.close(fd)
                raise UsageError(f"another stigmer server (pid {pid}) uses {data_dir}") from None
            # Holder exited (its children are still exiting) or has not written its pid yet.
            if time.monotonic() >= deadline:
                os.close(fd)
                who = f"pid {pid}" if pid is not None else "pid unknown"
                raise UsageError(
                    f"processes of a stopped stigmer server ({who}) still use {data_dir}"
                ) from None
            time.sleep(0.1)
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
    return fd
