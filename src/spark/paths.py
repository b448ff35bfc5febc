"""SPARK's data folder, without importing the settings machinery (fast commands need it)."""

from __future__ import annotations

import os
from pathlib import Path


def default_data_dir() -> Path:
    """The per-user data folder (``$XDG_DATA_HOME/spark`` or ``~/.local/share/spark``)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "spark"
