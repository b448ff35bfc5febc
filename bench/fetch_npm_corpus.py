"""Fetch the npm part of the real-world corpus: C# scripts of Unity packages on the npm registry.

The corpus is third-party code and never part of the repository; this script rebuilds its npm
part the same way on any machine that reaches the registry (`npm` on the PATH, standard library
otherwise):

    .venv/bin/python bench/fetch_npm_corpus.py /tmp/unity-corpus-300 [--cache DIR]

For each pinned package below it runs `npm pack NAME@VERSION` (the registry checks the tarball's
integrity; no install script runs), reads the `.cs` files in the tarball without extracting it,
and keeps up to the package's quota, sampled evenly over the sorted paths so that every part of a
big package is represented.  Files are written to `OUT/files/npm/NAME/PATH` (the original file
name, which rules such as SPK001 compare with the class name), byte for byte (BOM and CRLF kept),
and described in `OUT/MANIFEST.tsv`: source, repository or package, path, commit or version,
lines, CRLF, BOM, kind (`library` here).  Rows of other sources already in the manifest (the
GitHub part, gathered by hand with the search tool) are kept; the npm rows are replaced.  See
docs/validation.md ("Fifth check") for the whole corpus and `bench/corpus_check.py` for the check.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path, PurePosixPath

# (package, version, quota): Unity packages published on npmjs.org, pinned.  The quota caps the
# big libraries so that no single code base dominates the corpus.
PACKAGES: tuple[tuple[str, str, int], ...] = (
    ("com.neuecc.unirx", "7.1.0", 18),
    ("com.cysharp.unitask", "2.2.5", 16),
    ("com.crowdin.unity-plugin", "0.12.0", 16),
    ("jp.keijiro.osc-jack", "2.0.0", 15),
    ("jp.keijiro.klak.hap", "1.0.0", 10),
    ("jp.keijiro.klak.testtools", "3.1.1", 6),
    ("jp.keijiro.libsoundio", "1.0.6", 8),
    ("jp.keijiro.recorder.ffmpeg", "1.0.2", 4),
    ("jp.keijiro.mlsd", "1.0.0", 3),
    ("jp.keijiro.mediapipe.blazeface", "1.2.0", 3),
    ("io.justtrack.justtrack-unity-sdk", "8.0.0", 14),
    ("com.caffeine", "1.1.11", 14),
    ("com.github.asus4.onnxruntime", "0.4.9", 8),
    ("com.github.asus4.onnxruntime.unity", "0.4.9", 6),
    ("com.taptap.sdk.login", "4.10.9", 12),
    ("ga.fuquna.vatbaker", "1.0.5", 4),
    ("app.hypergames.hypersdk", "1.10.0", 12),
)

MANIFEST_HEADER = (
    "source",
    "repository_or_package",
    "path",
    "commit_or_version",
    "lines",
    "crlf",
    "bom",
    "kind",
)


def sample_evenly(paths: list[str], quota: int) -> list[str]:
    """Up to `quota` of the sorted paths, spread evenly from the first to the last."""
    ordered = sorted(paths)
    if len(ordered) <= quota:
        return ordered
    step = len(ordered) / quota
    return [ordered[int(i * step)] for i in range(quota)]


def pack(name: str, version: str, cache: Path) -> Path:
    """The package's tarball in `cache`, fetched with `npm pack` unless it is there already."""
    tarball = cache / f"{name}-{version}.tgz"
    if not tarball.exists():
        subprocess.run(
            ["npm", "pack", f"{name}@{version}", "--silent", "--pack-destination", str(cache)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    if not tarball.exists():
        raise SystemExit(f"npm pack {name}@{version} did not produce {tarball.name}")
    return tarball


def scripts_in(tarball: Path) -> dict[str, bytes]:
    """The `.cs` files of a package tarball, by path inside the package (`package/` dropped)."""
    found: dict[str, bytes] = {}
    with tarfile.open(tarball, "r:gz") as archive:
        for member in archive.getmembers():
            path = PurePosixPath(member.name)
            if not member.isfile() or path.suffix != ".cs" or ".." in path.parts:
                continue
            handle = archive.extractfile(member)
            if handle is not None:
                found[str(PurePosixPath(*path.parts[1:]))] = handle.read()
    return found


def describe(data: bytes) -> tuple[int, bool, bool]:
    """Lines, CRLF line ends, BOM."""
    lines = data.count(b"\n") + (not data.endswith(b"\n") and bool(data))
    return lines, b"\r\n" in data, data.startswith(b"\xef\xbb\xbf")


def fetch(out: Path, cache: Path) -> list[tuple[str, ...]]:
    """Write the sampled scripts under `out/files/npm` and return their manifest rows."""
    rows: list[tuple[str, ...]] = []
    for name, version, quota in PACKAGES:
        scripts = scripts_in(pack(name, version, cache))
        for path in sample_evenly(list(scripts), quota):
            data = scripts[path]
            target = out / "files" / "npm" / name / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            lines, crlf, bom = describe(data)
            yes_no = ("yes" if crlf else "no", "yes" if bom else "no")
            rows.append(("npm", name, path, version, str(lines), *yes_no, "library"))
        print(
            f"{name}@{version}: {min(quota, len(scripts))} of {len(scripts)} scripts",
            file=sys.stderr,
        )
    return rows


def write_manifest(out: Path, npm_rows: list[tuple[str, ...]]) -> None:
    """Replace the npm rows of `out/MANIFEST.tsv`, keeping every other source's rows."""
    manifest = out / "MANIFEST.tsv"
    kept: list[tuple[str, ...]] = []
    if manifest.exists():
        for line in manifest.read_text(encoding="utf-8").splitlines()[1:]:
            row = tuple(line.split("\t"))
            if row and row[0] != "npm":
                kept.append(row)
    text = "\n".join("\t".join(row) for row in [MANIFEST_HEADER, *kept, *npm_rows])
    manifest.write_text(text + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("out", type=Path, help="corpus folder, e.g. /tmp/unity-corpus-300")
    parser.add_argument(
        "--cache", type=Path, help="keep the tarballs here (default: a temporary folder)"
    )
    parser.add_argument(
        "--list", action="store_true", help="print the pinned packages as JSON and stop"
    )
    args = parser.parse_args(argv)
    if args.list:
        print(
            json.dumps([{"package": n, "version": v, "quota": q} for n, v, q in PACKAGES], indent=2)
        )
        return 0
    with tempfile.TemporaryDirectory() as scratch:
        cache = args.cache or Path(scratch)
        cache.mkdir(parents=True, exist_ok=True)
        rows = fetch(args.out, cache)
    write_manifest(args.out, rows)
    print(f"{len(rows)} npm scripts in {args.out / 'files' / 'npm'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
