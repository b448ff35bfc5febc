"""bench/fetch_npm_corpus.py without the network: sampling, reading a package tarball, and
keeping the manifest's rows of other sources (the npm CLI itself is only run by the script)."""

from __future__ import annotations

import importlib.util
import io
import sys
import tarfile
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "fetch_npm_corpus.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fetch_npm_corpus", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["fetch_npm_corpus"] = module
    spec.loader.exec_module(module)
    return module


fetch = _load()


def _tarball(path: Path, files: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def test_sampling_spreads_over_the_whole_package() -> None:
    paths = [f"Runtime/F{i:02}.cs" for i in range(20)]
    picked = fetch.sample_evenly(list(reversed(paths)), 4)
    assert picked == ["Runtime/F00.cs", "Runtime/F05.cs", "Runtime/F10.cs", "Runtime/F15.cs"]
    assert fetch.sample_evenly(paths[:3], 4) == paths[:3]


def test_only_scripts_are_read_byte_for_byte(tmp_path: Path) -> None:
    crlf = b"\xef\xbb\xbfusing UnityEngine;\r\npublic class A : MonoBehaviour { }\r\n"
    tarball = _tarball(
        tmp_path / "p.tgz",
        {
            "package/Runtime/A.cs": crlf,
            "package/Runtime/A.cs.meta": b"guid: 1",
            "package/README.md": b"# p",
            "package/../evil.cs": b"class Evil { }",
        },
    )
    assert fetch.scripts_in(tarball) == {"Runtime/A.cs": crlf}
    assert fetch.describe(crlf) == (2, True, True)
    assert fetch.describe(b"class A { }") == (1, False, False)


def test_the_manifest_keeps_the_github_rows(tmp_path: Path) -> None:
    manifest = tmp_path / "MANIFEST.tsv"
    github = "github-search\tindex id 7\tMove.cs\t-\t12\tno\tno\tgameplay"
    manifest.write_text(
        "\t".join(fetch.MANIFEST_HEADER)
        + f"\n{github}\nnpm\told.pkg\tX.cs\t1.0\t3\tno\tno\tlibrary\n",
        encoding="utf-8",
    )
    row = ("npm", "new.pkg", "Y.cs", "2.0", "5", "yes", "no", "library")
    fetch.write_manifest(tmp_path, [row])
    lines = manifest.read_text(encoding="utf-8").splitlines()
    assert lines == ["\t".join(fetch.MANIFEST_HEADER), github, "\t".join(row)]


def test_every_pinned_package_has_an_exact_version() -> None:
    assert len({name for name, _, _ in fetch.PACKAGES}) == len(fetch.PACKAGES)
    for _, version, quota in fetch.PACKAGES:
        assert version[0].isdigit() and quota > 0


def test_list_prints_the_pins(capsys: pytest.CaptureFixture[str]) -> None:
    assert fetch.main(["/nonexistent", "--list"]) == 0
    assert '"package": "com.neuecc.unirx"' in capsys.readouterr().out
