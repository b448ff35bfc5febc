"""Scripts as Unity assets: ``.meta`` files, ``.zip`` and ``.unitypackage`` exports.

Unity tracks every asset by the GUID in its ``.meta`` file; a script's ``.meta`` is a
``MonoImporter`` block, written here in the layout Unity itself writes (so Unity keeps it as is
and version control shows no change after the first import).

A ``.unitypackage`` is a gzip-compressed tar with one folder per asset, named after its GUID,
holding ``asset`` (the file), ``asset.meta`` and ``pathname`` (its path in the project,
``Assets/...``). Unity creates missing folders on import. A ``.zip`` holds the scripts and their
``.meta`` files at their ``Assets/...`` paths, to unzip over a project.

These functions return bytes, so the CLI writes them to files and the web app can send them as
downloads.
"""

from __future__ import annotations

import io
import posixpath
import tarfile
import time
import uuid
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from spark.errors import UsageError

DEFAULT_EXPORT_FOLDER = "Assets/Scripts/SPARK"


def new_guid() -> str:
    """A fresh asset GUID: 32 lower-case hex digits, as Unity writes them."""
    return uuid.uuid4().hex


def script_meta(guid: str) -> str:
    """The ``.meta`` of a C# script (Unity's MonoImporter layout, trailing spaces included)."""
    return (
        "fileFormatVersion: 2\n"
        f"guid: {guid}\n"
        "MonoImporter:\n"
        "  externalObjects: {}\n"
        "  serializedVersion: 2\n"
        "  defaultReferences: []\n"
        "  executionOrder: 0\n"
        "  icon: {instanceID: 0}\n"
        "  userData: \n"
        "  assetBundleName: \n"
        "  assetBundleVariant: \n"
    )


def folder_meta(guid: str) -> str:
    """The ``.meta`` of a folder."""
    return (
        "fileFormatVersion: 2\n"
        f"guid: {guid}\n"
        "folderAsset: yes\n"
        "DefaultImporter:\n"
        "  externalObjects: {}\n"
        "  userData: \n"
        "  assetBundleName: \n"
        "  assetBundleVariant: \n"
    )


@dataclass(frozen=True, slots=True)
class ExportedScript:
    """One script placed in a project: its ``Assets/...`` path, text and GUID."""

    pathname: str
    code: str
    guid: str

    @property
    def meta(self) -> str:
        return script_meta(self.guid)


class StoredScript(Protocol):
    """What export needs of a generation from history (``GenerationRecord`` has it)."""

    @property
    def id(self) -> int: ...

    @property
    def class_name(self) -> str | None: ...

    @property
    def generated_code(self) -> str | None: ...


def scripts_of(generations: Iterable[StoredScript]) -> list[tuple[str, str]]:
    """(``ClassName.cs``, code) for each generation; UsageError for one without a script."""
    found = []
    for generation in generations:
        if not generation.generated_code or not generation.class_name:
            raise UsageError(
                f"Generation {generation.id} has no script to export (it failed or was cut short).",
                hint="See `spark history` for the generations that produced a script.",
            )
        found.append((f"{generation.class_name}.cs", generation.generated_code))
    return found


def check_export_folder(folder: str) -> str:
    """``folder`` as a clean ``Assets/...`` path, or UsageError."""
    text = folder.strip().replace("\\", "/")
    parts = [p for p in text.split("/") if p not in ("", ".")]
    if not parts or parts[0] != "Assets" or ".." in parts or text.startswith("/"):
        raise UsageError(
            f"The export folder '{folder}' is not inside Assets/.",
            hint="Name a folder like Assets/Scripts/Enemies.",
        )
    return "/".join(parts)


def place_scripts(
    scripts: Iterable[tuple[str, str]], folder: str = DEFAULT_EXPORT_FOLDER
) -> list[ExportedScript]:
    """(file name, code) pairs placed in ``folder`` with fresh GUIDs; two scripts with the same
    file name cannot share a folder (UsageError)."""
    base = check_export_folder(folder)
    placed: dict[str, ExportedScript] = {}
    for file_name, code in scripts:
        name = posixpath.basename(file_name.replace("\\", "/"))
        if not name.endswith(".cs") or name in (".cs", ""):
            raise UsageError(f"'{file_name}' is not a C# script name.")
        if name in placed:
            raise UsageError(
                f"Two scripts are named {name}; Unity needs one file per class name.",
                hint="Export them separately, into different folders (--folder).",
            )
        placed[name] = ExportedScript(f"{base}/{name}", code, new_guid())
    return list(placed.values())


def zip_bytes(scripts: Sequence[ExportedScript]) -> bytes:
    """A zip of the scripts and their ``.meta`` files at their ``Assets/...`` paths."""
    buffer = io.BytesIO()
    stamp = time.localtime()[:6]
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for script in scripts:
            for name, text in (
                (script.pathname, script.code),
                (f"{script.pathname}.meta", script.meta),
            ):
                info = zipfile.ZipInfo(name, date_time=stamp)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, text.encode("utf-8"))
    return buffer.getvalue()


def _tar_add(archive: tarfile.TarFile, name: str, data: bytes, mtime: float) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(mtime)
    info.mode = 0o644
    archive.addfile(info, io.BytesIO(data))


def unitypackage_bytes(scripts: Sequence[ExportedScript]) -> bytes:
    """A ``.unitypackage`` (gzip tar, one folder per GUID) of the scripts."""
    buffer = io.BytesIO()
    now = time.time()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.GNU_FORMAT) as archive:
        for script in scripts:
            folder = tarfile.TarInfo(script.guid)
            folder.type = tarfile.DIRTYPE
            folder.mode = 0o755
            folder.mtime = int(now)
            archive.addfile(folder)
            _tar_add(archive, f"{script.guid}/asset", script.code.encode("utf-8"), now)
            _tar_add(archive, f"{script.guid}/asset.meta", script.meta.encode("utf-8"), now)
            _tar_add(archive, f"{script.guid}/pathname", script.pathname.encode("utf-8"), now)
    return buffer.getvalue()
