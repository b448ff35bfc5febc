"""Folders and files only their owner may read: SPARK's data folder (0700), the SQLite database
and the session key (0600).

The database holds password hashes and every user's prompts and code; the key signs sessions.
Both are created with these modes from the start (never created readable, then narrowed),
whatever the umask. SQLite gives a database's ``-wal`` and ``-shm`` files the mode of the
database file, so they follow. Files and folders that already exist keep their modes.
"""

from __future__ import annotations

import os
from pathlib import Path

FOLDER_MODE = 0o700
FILE_MODE = 0o600


def make_private_folder(path: Path) -> None:
    """Create ``path`` (and missing parents) if it does not exist; ``path`` itself 0700."""
    path.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)


def create_private_file(path: Path) -> int | None:
    """Create ``path`` empty with mode 0600 and return a descriptor open for writing, or None
    when it already exists (O_EXCL: of several processes creating it at once, one wins)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return None
    os.fchmod(fd, FILE_MODE)  # the umask may have taken bits away; never adds any
    return fd
