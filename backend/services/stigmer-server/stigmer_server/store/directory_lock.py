"""Exactly one stigmer-server process owns a data directory.

RocksDB has its own LOCK file, but its error ("lock hold by current process ...
No locks available") does not tell an operator what is going on. This lock is
taken first, with ``fcntl.flock`` (released by the kernel when the process dies,
so a ``kill -9`` never leaves a stale lock), and its error names the directory
and the pid of the owner.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

LOCK_FILE_NAME = "stigmer-server.lock"


class DataDirectoryInUse(RuntimeError):
    """Another process holds the data directory."""


class DirectoryLock:
    """An exclusive, non-blocking advisory lock on ``<data_dir>/stigmer-server.lock``."""

    def __init__(self, data_dir: Path) -> None:
        self._path = data_dir / LOCK_FILE_NAME
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        """Takes the lock or fails at once.

        Raises:
            DataDirectoryInUse: Another process owns the directory.
        """
        self._path.parent.mkdir(parents=True, exist_ok=True)
        handle = self._path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            owner = handle.read().strip() or "unknown"
            handle.close()
            raise DataDirectoryInUse(
                f"data directory {self._path.parent} is already used by another "
                f"stigmer-server process (pid {owner}); stop it or set STIGMER_DATA_DIR "
                "to another directory"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._file = handle

    def release(self) -> None:
        """Drops the lock (closing the file releases the flock)."""
        if self._file is not None:
            self._file.close()
            self._file = None
