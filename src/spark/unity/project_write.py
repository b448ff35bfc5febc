"""Writing a generated script into a Unity project: ``Assets/<folder>/<ClassName>.cs`` + ``.meta``.

The only code that writes into a project. It never writes outside the project's ``Assets/``
folder (paths are resolved, symbolic links and ``..`` included, before anything is written),
never overwrites a script without ``force``, and refuses a class name the project already has
in another file (Unity needs one class per name), naming that file. A script written over an
existing one keeps the existing ``.meta`` (its GUID is what scenes and prefabs refer to); a new
one gets a fresh GUID, and each folder SPARK creates gets its own folder ``.meta``.

:func:`plan_destination` checks the destination before a generation is paid for;
:func:`write_script` writes once the class name is known.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from spark.errors import UsageError
from spark.files import replace_atomically
from spark.unity.export import folder_meta, new_guid, script_meta
from spark.unity.project_scripts import ScriptIndex


@dataclass(frozen=True, slots=True)
class ProjectDestination:
    """Where a script goes in a project: a folder under Assets/, and maybe a fixed file name."""

    root: Path  # the project, resolved
    folder: Path  # absolute, resolved, inside root/Assets
    file_name: str | None = None  # from an explicit -o FILE

    def path_for(self, generated_file_name: str) -> Path:
        return self.folder / (self.file_name or generated_file_name)

    def relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()


@dataclass(frozen=True, slots=True)
class WrittenScript:
    """What :func:`write_script` wrote."""

    path: Path
    meta: Path
    guid: str
    created_meta: bool
    folders: tuple[Path, ...]  # folders created, each with its .meta


def _assets(root: Path) -> Path:
    return (root / "Assets").resolve()


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or path.is_relative_to(folder)


def _resolved(path: Path) -> Path:
    """``path`` with symbolic links and ``..`` resolved, for the parts that exist."""
    return Path(os.path.realpath(path))


def plan_destination(
    root: Path, *, folder: str, output: str | None = None, cwd: Path | None = None
) -> ProjectDestination:
    """Check where a script will be written in the project at ``root``; raise UsageError for a
    destination outside the project's Assets/ folder.

    ``folder`` is the setting (relative to Assets/); ``output`` an explicit ``-o`` (a .cs file
    or a folder, relative to ``cwd``), which must be inside Assets/ too.
    """
    root = root.resolve()
    assets = _assets(root)
    if not assets.is_dir():
        raise UsageError(
            f"The project {root} has no Assets/ folder to write into.",
            hint="Pass the folder that holds Assets/ and ProjectSettings/.",
        )
    file_name: str | None = None
    if output:
        raw = Path(output).expanduser()
        target = raw if raw.is_absolute() else (cwd or Path.cwd()) / raw
        if output.endswith(("/", os.sep)) or target.is_dir():
            chosen = target
        else:
            if target.suffix.lower() != ".cs":
                raise UsageError(
                    f"Output file '{output}' does not end in .cs.",
                    hint="Name a .cs file, or end the path with / to mean a folder.",
                )
            chosen, file_name = target.parent, target.name
        shown = output
    else:
        relative = Path(folder.strip().replace("\\", "/"))
        if relative.is_absolute():
            raise UsageError(
                f"The scripts folder '{folder}' must be a folder under Assets/, not an absolute "
                "path.",
                hint="Set SPARK_UNITY_SCRIPTS_FOLDER to something like Scripts/SPARK.",
            )
        if relative.parts[:1] == ("Assets",):  # "Assets/Scripts" means the same as "Scripts"
            relative = Path(*relative.parts[1:])
        chosen = assets / relative
        shown = f"Assets/{relative.as_posix()}"
    resolved = _resolved(chosen)
    if not _inside(resolved, assets):
        raise UsageError(
            f"'{shown}' is outside the project's Assets/ folder ({assets}); SPARK writes into a "
            "project only under Assets/.",
            hint="Choose a folder under Assets/ with -o, or leave out --project to write "
            "elsewhere.",
        )
    existing = resolved
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(
            f"Cannot write to '{shown}': no permission to write in '{existing}'.",
            hint="Choose another folder under Assets/ with -o.",
        )
    return ProjectDestination(root, resolved, file_name)


def check_class_name(
    destination: ProjectDestination, path: Path, class_name: str, index: ScriptIndex | None
) -> None:
    """Raise UsageError when another file of the project declares ``class_name``."""
    if index is None:
        return
    own = destination.relative(path)
    others = [f.path for f in index.declaring(class_name) if f.path != own]
    if others:
        raise UsageError(
            f"The project already has a class named {class_name} in {others[0]}; "
            f"SPARK did not write {own}.",
            hint="Ask for another class name, or change the existing script.",
        )


def _write_atomic(path: Path, text: str) -> None:
    replace_atomically(path, text.encode("utf-8"))


def _make_folders(destination: ProjectDestination, folder: Path) -> list[Path]:
    """Create ``folder`` and its missing parents, each with a folder .meta."""
    assets = _assets(destination.root)
    missing: list[Path] = []
    current = folder
    while not current.exists() and _inside(current, assets):
        missing.append(current)
        current = current.parent
    for created in reversed(missing):
        created.mkdir()
        _write_atomic(created.with_name(created.name + ".meta"), folder_meta(new_guid()))
    return list(reversed(missing))


def write_script(
    destination: ProjectDestination,
    file_name: str,
    code: str,
    *,
    class_name: str,
    force: bool,
    index: ScriptIndex | None,
) -> WrittenScript:
    """Write the script and its .meta (see the module docstring); UsageError when refused."""
    path = destination.path_for(file_name)
    final = _resolved(path)
    if not _inside(final, _assets(destination.root)):  # a symlink planted since planning
        raise UsageError(f"'{path}' resolves outside the project's Assets/ folder.")
    check_class_name(destination, path, class_name, index)
    if path.exists() and not force and path.read_text("utf-8", "replace") != code:
        raise UsageError(
            f"{destination.relative(path)} already exists; SPARK did not overwrite it.",
            hint="Use --force to overwrite it (its .meta and GUID are kept).",
        )
    folders = _make_folders(destination, path.parent)
    _write_atomic(path, code)
    meta = path.with_name(path.name + ".meta")
    guid = _existing_guid(meta)
    created = guid is None
    if guid is None:
        guid = new_guid()
        _write_atomic(meta, script_meta(guid))
    return WrittenScript(path, meta, guid, created, tuple(folders))


def _existing_guid(meta: Path) -> str | None:
    try:
        text = meta.read_text("utf-8", "replace")
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("guid:"):
            return line.split(":", 1)[1].strip() or None
    return None
