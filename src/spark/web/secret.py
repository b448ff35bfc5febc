"""The key that signs session cookies.

``SPARK_SECRET_KEY`` when set (required when serving beyond this machine, and the same on every
instance behind one address). Otherwise a random key generated once and kept in
``SPARK_DATA_DIR/secret_key`` (mode 0600, in a 0700 folder when SPARK creates it), so sessions
survive a restart of a local server.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

from spark.config import Settings
from spark.errors import ConfigError
from spark.private_files import create_private_file, make_private_folder

SECRET_FILE = "secret_key"
MIN_LENGTH = 32


def secret_key(settings: Settings) -> str:
    """The session key from the settings, or the data folder's (created if missing)."""
    if settings.session_key is not None:
        key = settings.session_key.get_secret_value().strip()
        if len(key) < MIN_LENGTH:
            raise ConfigError(
                f"SPARK_SECRET_KEY must have at least {MIN_LENGTH} characters.",
                hint='Generate one: python -c "import secrets; print(secrets.token_urlsafe(48))"',
            )
        return key
    return _stored_key(settings.data_dir.expanduser() / SECRET_FILE)


def _stored_key(path: Path) -> str:
    key = secrets.token_urlsafe(48)
    try:
        make_private_folder(path.parent)
        # Created 0600 from the start (no moment where others could read it); O_EXCL so that
        # workers starting together agree on one key.
        fd = create_private_file(path)
    except OSError as exc:
        raise _unusable(path, exc) from None
    if fd is None:
        return _read_key(path)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key + "\n")
    return key


def _read_key(path: Path) -> str:
    for _ in range(20):  # another worker may be writing it this very moment
        try:
            existing = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise _unusable(path, exc) from None
        if len(existing) >= MIN_LENGTH:
            return existing
        time.sleep(0.05)
    raise ConfigError(
        f"The session key file {path} is too short.",
        hint="Delete it (a new one is generated) or set SPARK_SECRET_KEY.",
    )


def _unusable(path: Path, exc: OSError) -> ConfigError:
    return ConfigError(
        f"Cannot use the session key file {path}: {exc.strerror or exc}.",
        hint="Set SPARK_SECRET_KEY, or SPARK_DATA_DIR to a writable folder.",
    )
