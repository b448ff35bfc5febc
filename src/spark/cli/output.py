"""Where ``spark generate`` writes its script, checked before any tokens are paid for.

``-o`` naming an existing folder, or ending in ``/``, is a folder (created if missing);
anything else is a file path. An existing file with other content is never overwritten
without ``--force``: the new script goes beside it as ``Name.cs.new`` so nothing is lost.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from spark.errors import UsageError


@dataclass(frozen=True, slots=True)
class OutputTarget:
    """A checked destination: a folder (file named after the class) or an explicit file."""

    folder: Path
    file_name: str | None  # None: use the generated ClassName.cs

    def path_for(self, generated_file_name: str) -> Path:
        return self.folder / (self.file_name or generated_file_name)


def plan_output(raw: str | None, *, cwd: Path | None = None) -> OutputTarget:
    """Resolve and check ``-o``; raise UsageError when it cannot be written."""
    base = cwd or Path.cwd()
    if raw is None or raw == "":
        target = OutputTarget(base, None)
    else:
        path = Path(raw).expanduser()
        if not path.is_absolute():
            path = base / path
        is_folder = raw.endswith(("/", os.sep)) or path.is_dir()
        if is_folder:
            target = OutputTarget(path, None)
        else:
            if path.suffix.lower() != ".cs":
                raise UsageError(
                    f"Output file '{raw}' does not end in .cs.",
                    hint="Name a .cs file, or end the path with / to mean a folder.",
                )
            target = OutputTarget(path.parent, path.name)
    _check_writable_folder(target.folder, raw)
    return target


def _check_writable_folder(folder: Path, raw: str | None) -> None:
    shown = raw or str(folder)
    existing = folder
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise UsageError(
            f"Cannot write to '{shown}': '{existing}' is a file, not a folder.",
            hint="Choose another output path with -o.",
        )
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(
            f"Cannot write to '{shown}': no permission to write in '{existing}'.",
            hint="Choose another output path with -o.",
        )


def write_script(path: Path, code: str, *, force: bool) -> tuple[Path, bool]:
    """Write ``code`` atomically; return the path written and whether it was diverted.

    When ``path`` exists with different content and ``force`` is off, the script is written to
    ``path + ".new"`` instead.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    diverted = False
    if path.exists() and not force:
        if path.read_text(encoding="utf-8", errors="replace") == code:
            return path, False
        path, diverted = path.with_name(path.name + ".new"), True
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(code)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path, diverted
