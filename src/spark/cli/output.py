"""Where ``spark generate`` writes its script, checked before any tokens are paid for.

``-o`` naming an existing folder, or ending in ``/``, is a folder (created if missing);
anything else is a file path. A file is never overwritten without ``--force``: when
``Name.cs`` holds other content, the script goes beside it as ``Name.cs.new``, then
``Name.cs.new-2``, ``Name.cs.new-3``, … (the first free name). Each name is claimed with an
exclusive create (``O_EXCL``), so two runs writing at the same moment never pick the same one.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from spark.errors import SparkError, UsageError
from spark.files import replace_atomically


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
    try:
        return _plan_output(raw, base)
    except OSError as exc:  # e.g. a name longer than the file system allows
        raise UsageError(
            f"Cannot write to '{raw}': {exc.strerror or exc}.",
            hint="Choose another output path with -o.",
        ) from None


def _plan_output(raw: str | None, base: Path) -> OutputTarget:
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
    existing = _check_writable_folder(target.folder, raw)
    if target.file_name is not None:
        _check_name_length(existing, target.file_name)
    return target


def _check_writable_folder(folder: Path, raw: str | None) -> Path:
    """Raise UsageError unless ``folder`` can be written or created; return its nearest
    existing folder."""
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
    return existing


def _check_name_length(folder: Path, name: str) -> None:
    try:
        limit = os.pathconf(folder, "PC_NAME_MAX")
    except (AttributeError, OSError, ValueError):  # not known here (e.g. Windows)
        return
    if len(os.fsencode(name)) > limit:
        raise OSError(errno.ENAMETOOLONG, os.strerror(errno.ENAMETOOLONG), name)


# Beyond this many ``.new`` files beside one script something is wrong; say so, don't loop.
MAX_NEW_FILES = 1000


def sibling_names(path: Path) -> Iterator[Path]:
    """``path``, then the names tried when it is taken: ``.new``, ``.new-2``, ``.new-3``, …"""
    yield path
    yield path.with_name(f"{path.name}.new")
    for number in range(2, MAX_NEW_FILES + 1):
        yield path.with_name(f"{path.name}.new-{number}")


def write_script(path: Path, code: str, *, force: bool) -> Path:
    """Write ``code`` to ``path`` or, if that holds other content, to the first free sibling
    name (see :func:`sibling_names`); return the path that holds the script.

    A file that already holds exactly ``code`` is reused rather than copied. With ``force``,
    ``path`` is replaced atomically. Any failure raises ``OSError`` and leaves no partial file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    data = code.encode("utf-8")
    if force:
        replace_atomically(path, data)
        return path
    for candidate in sibling_names(path):
        try:
            _create(candidate, data)
        except FileExistsError:
            if _holds(candidate, data):
                return candidate
            continue
        return candidate
    raise FileExistsError(
        errno.EEXIST, f"{path.name} and {MAX_NEW_FILES} .new files beside it exist", str(path)
    )


def _create(path: Path, data: bytes) -> None:
    """Create ``path`` (failing if it exists) and write ``data``; remove it if writing fails."""
    handle = open(path, "xb")  # noqa: SIM115 - closed before the clean-up below
    try:
        with handle:
            handle.write(data)
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def _holds(path: Path, data: bytes) -> bool:
    """Whether ``path`` is a regular file holding exactly ``data`` (reads no more than that)."""
    try:
        # Non-blocking, so that a FIFO in the way is skipped rather than waited on.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:  # a file we may not read, one removed meanwhile
        return False
    if not stat.S_ISREG(os.fstat(fd).st_mode):  # a folder, a FIFO, a device
        os.close(fd)
        return False
    with os.fdopen(fd, "rb") as handle:
        try:
            return handle.read(len(data) + 1) == data
        except OSError:
            return False


class SaveError(SparkError):
    """The script could be written neither where asked nor to the unsaved folder."""


@dataclass(frozen=True, slots=True)
class SavedScript:
    """Where a script went: ``path`` is the file asked for, a ``.new`` beside it, a file in
    the unsaved folder, or None when nothing could be written; ``failures`` lists each write
    that failed, with its error."""

    requested: Path
    path: Path | None
    unsaved: bool
    failures: tuple[tuple[Path, OSError], ...]

    @property
    def diverted(self) -> bool:
        return self.path != self.requested

    def failure_text(self) -> str:
        """The failed writes as ``path (reason)``, joined for one line."""
        return "; ".join(f"{path} ({exc.strerror or exc})" for path, exc in self.failures)


def save_script(requested: Path, code: str, *, rescue: Path, force: bool) -> SavedScript:
    """Write ``code`` to ``requested`` (see :func:`write_script`); if that fails, to ``rescue``
    (in the unsaved folder), never overwriting there."""
    failures: list[tuple[Path, OSError]] = []
    for path, overwrite, unsaved in ((requested, force, False), (rescue, False, True)):
        try:
            written = write_script(path, code, force=overwrite)
        except OSError as exc:
            failures.append((path, exc))
            continue
        return SavedScript(requested, written, unsaved, tuple(failures))
    return SavedScript(requested, None, False, tuple(failures))
