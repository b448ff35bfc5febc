"""Writing scripts into a Unity project (.cs + .meta, only under Assets/) and exporting them as
.zip and .unitypackage archives, opened again here to check their layout."""

from __future__ import annotations

import io
import re
import tarfile
import zipfile
from pathlib import Path

import pytest

from spark.errors import UsageError
from spark.unity.export import (
    check_export_folder,
    folder_meta,
    place_scripts,
    script_meta,
    scripts_of,
    unitypackage_bytes,
    zip_bytes,
)
from spark.unity.project_scripts import load_script_index
from spark.unity.project_write import plan_destination, write_script

GUID = re.compile(r"^[0-9a-f]{32}$")
COIN = "using UnityEngine;\n\npublic class Coin : MonoBehaviour { }\n"


def meta_guid(text: str) -> str:
    match = re.search(r"^guid: (\S+)$", text, re.M)
    assert match is not None
    return match.group(1)


def test_script_meta_is_unitys_monoimporter_layout() -> None:
    assert script_meta("0123456789abcdef0123456789abcdef") == (
        "fileFormatVersion: 2\n"
        "guid: 0123456789abcdef0123456789abcdef\n"
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
    assert "folderAsset: yes\nDefaultImporter:\n" in folder_meta("f" * 32)


def test_a_new_script_goes_to_the_folder_setting_with_its_meta(project_files: Path) -> None:
    destination = plan_destination(project_files, folder="Scripts/SPARK")
    assert destination.folder == (project_files / "Assets" / "Scripts" / "SPARK").resolve()
    written = write_script(destination, "Coin.cs", COIN, class_name="Coin", force=False, index=None)
    assert written.path == destination.folder / "Coin.cs"
    assert written.path.read_text() == COIN
    meta = written.meta.read_text()
    assert written.meta.name == "Coin.cs.meta" and meta == script_meta(written.guid)
    assert GUID.match(written.guid) and written.created_meta
    # Assets/Scripts existed; Assets/Scripts/SPARK was created, with a folder .meta.
    assert written.folders == (destination.folder,)
    folder = (destination.folder.parent / "SPARK.meta").read_text()
    assert "folderAsset: yes" in folder and GUID.match(meta_guid(folder))


def test_overwriting_needs_force_and_keeps_the_guid(project_files: Path) -> None:
    destination = plan_destination(project_files, folder="Assets/Scripts/SPARK")
    first = write_script(destination, "Coin.cs", COIN, class_name="Coin", force=False, index=None)
    same = write_script(destination, "Coin.cs", COIN, class_name="Coin", force=False, index=None)
    assert same.guid == first.guid and not same.created_meta  # identical text: nothing to refuse
    changed = COIN.replace("{ }", "{ public int value; }")
    with pytest.raises(UsageError, match=r"Assets/Scripts/SPARK/Coin.cs already exists"):
        write_script(destination, "Coin.cs", changed, class_name="Coin", force=False, index=None)
    assert first.path.read_text() == COIN
    forced = write_script(
        destination, "Coin.cs", changed, class_name="Coin", force=True, index=None
    )
    assert forced.path.read_text() == changed
    assert forced.guid == first.guid and not forced.created_meta


def test_a_class_the_project_has_elsewhere_is_refused_naming_the_file(
    project_files: Path, tmp_path: Path
) -> None:
    index = load_script_index(project_files, cache_dir=tmp_path / "cache")
    destination = plan_destination(project_files, folder="Scripts/SPARK")
    code = "public class Health : UnityEngine.MonoBehaviour { }\n"
    with pytest.raises(UsageError) as refused:
        write_script(destination, "Health.cs", code, class_name="Health", force=True, index=index)
    assert "already has a class named Health in Assets/Scripts/Combat/Health.cs" in str(
        refused.value
    )
    assert not (destination.folder / "Health.cs").exists()
    # Writing over the file that declares it is replacing it, not a second class.
    own = plan_destination(project_files, folder="Scripts/Combat")
    write_script(own, "Health.cs", code, class_name="Health", force=True, index=index)


@pytest.mark.parametrize(
    "folder", ["../Outside", "Scripts/../../Outside", "Assets/../ProjectSettings"]
)
def test_the_folder_setting_cannot_leave_assets(project_files: Path, folder: str) -> None:
    with pytest.raises(UsageError, match="outside the project's Assets/ folder"):
        plan_destination(project_files, folder=folder)


def test_the_folder_setting_is_relative(project_files: Path) -> None:
    with pytest.raises(UsageError, match="not an absolute path"):
        plan_destination(project_files, folder="/etc")


def test_an_explicit_output_must_be_inside_assets(project_files: Path, tmp_path: Path) -> None:
    inside = plan_destination(
        project_files, folder="unused", output="Assets/Scripts/Coins/Gold.cs", cwd=project_files
    )
    assert inside.folder == (project_files / "Assets" / "Scripts" / "Coins").resolve()
    assert inside.path_for("Coin.cs").name == "Gold.cs"
    as_folder = plan_destination(
        project_files, folder="x", output="Assets/Loot/", cwd=project_files
    )
    assert (
        as_folder.path_for("Coin.cs") == (project_files / "Assets" / "Loot").resolve() / "Coin.cs"
    )
    for outside in (str(tmp_path / "Coin.cs"), "ProjectSettings/", "../Coin.cs"):
        with pytest.raises(UsageError, match="outside the project's Assets/"):
            plan_destination(project_files, folder="x", output=outside, cwd=project_files)
    with pytest.raises(UsageError, match=r"does not end in \.cs"):
        plan_destination(project_files, folder="x", output="Assets/Coin.txt", cwd=project_files)


def test_a_symlink_out_of_assets_is_refused(project_files: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (project_files / "Assets" / "Linked").symlink_to(elsewhere)
    with pytest.raises(UsageError, match="outside the project's Assets/"):
        plan_destination(project_files, folder="Linked")
    # A link planted after planning is caught when writing.
    destination = plan_destination(project_files, folder="Scripts/Late")
    destination.folder.parent.mkdir(exist_ok=True)
    destination.folder.symlink_to(elsewhere)
    with pytest.raises(UsageError, match="resolves outside"):
        write_script(destination, "Coin.cs", COIN, class_name="Coin", force=False, index=None)
    assert list(elsewhere.iterdir()) == []


# -- exports ----------------------------------------------------------------------------------


def placed() -> list:
    return place_scripts(
        [("Coin.cs", COIN), ("Door.cs", "public class Door { }\n")], "Assets/Scripts/Loot"
    )


def test_zip_layout() -> None:
    scripts = placed()
    with zipfile.ZipFile(io.BytesIO(zip_bytes(scripts))) as archive:
        assert archive.namelist() == [
            "Assets/Scripts/Loot/Coin.cs",
            "Assets/Scripts/Loot/Coin.cs.meta",
            "Assets/Scripts/Loot/Door.cs",
            "Assets/Scripts/Loot/Door.cs.meta",
        ]
        assert archive.read("Assets/Scripts/Loot/Coin.cs").decode() == COIN
        meta = archive.read("Assets/Scripts/Loot/Coin.cs.meta").decode()
        assert meta == script_meta(scripts[0].guid)


def test_unitypackage_layout() -> None:
    scripts = placed()
    data = unitypackage_bytes(scripts)
    assert data[:2] == b"\x1f\x8b"  # gzip
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        names = archive.getnames()
        assert names == [
            name
            for s in scripts
            for name in (s.guid, f"{s.guid}/asset", f"{s.guid}/asset.meta", f"{s.guid}/pathname")
        ]
        for script in scripts:
            assert GUID.match(script.guid)
            read = archive.extractfile(f"{script.guid}/pathname")
            assert read is not None and read.read().decode() == script.pathname
            asset = archive.extractfile(f"{script.guid}/asset")
            assert asset is not None and asset.read().decode() == script.code
            meta = archive.extractfile(f"{script.guid}/asset.meta")
            assert meta is not None and meta_guid(meta.read().decode()) == script.guid
    assert len({s.guid for s in scripts}) == 2


def test_export_folders_and_names_are_checked() -> None:
    assert check_export_folder("Assets\\Scripts\\X\\") == "Assets/Scripts/X"
    for bad in ("Scripts/X", "Assets/../Library", "/Assets/X", ""):
        with pytest.raises(UsageError, match="not inside Assets/"):
            check_export_folder(bad)
    with pytest.raises(UsageError, match=r"Two scripts are named Coin\.cs"):
        place_scripts([("Coin.cs", COIN), ("Coin.cs", COIN)])


def test_generations_without_a_script_cannot_be_exported() -> None:
    class Row:
        def __init__(self, id: int, class_name: str | None, code: str | None) -> None:
            self.id, self.class_name, self.generated_code = id, class_name, code

    assert scripts_of([Row(1, "Coin", COIN)]) == [("Coin.cs", COIN)]
    with pytest.raises(UsageError, match="Generation 2 has no script"):
        scripts_of([Row(1, "Coin", COIN), Row(2, None, None)])
