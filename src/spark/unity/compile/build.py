"""Running a compiler, and the cached assemblies of a project's unchanged scripts.

Compiling a project's thousands of scripts for every check would take far longer than the
check's budget, so each :class:`AssemblyPlan` is compiled once into SPARK's cache folder, keyed
by a hash of everything that goes into it (compiler, references, defines, language version, and
each script's path, modification time and size): any change makes a new key, an unchanged
project reuses the assembly. A checked script is then compiled alone against that assembly.
The assembly is built with ``[assembly: InternalsVisibleTo("SparkCheck")]``, so a checked script
(compiled as ``SparkCheck``) also sees the project's ``internal`` classes, as it would inside
Assembly-CSharp. A plan that fails to compile is cached as failed too, with its output, so a
broken project costs one failed build, not one per check.

All files are written under the cache folder or a temporary folder; never in the project.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from spark.unity.compile.discovery import Compiler
from spark.unity.compile.references import AssemblyPlan

CHECK_ASSEMBLY = "SparkCheck"
KEEP_BUILDS = 24  # cached assemblies kept; the least recently used beyond that are removed
_BUILD_FORMAT = "1"
_VISIBLE_TO = (
    "// Written by SPARK: lets the checked script see this assembly's internal types.\n"
    f'[assembly: System.Runtime.CompilerServices.InternalsVisibleTo("{CHECK_ASSEMBLY}")]\n'
)


class CompilerMissingError(RuntimeError):
    """The compiler's program could not be started."""


@dataclass(frozen=True, slots=True)
class CompilerRun:
    """What one compiler invocation printed and returned."""

    returncode: int
    output: str
    seconds: float
    cwd: str

    @property
    def succeeded(self) -> bool:
        return self.returncode == 0


@dataclass(frozen=True, slots=True)
class BuiltAssembly:
    """A plan compiled into the cache (or not: ``path`` is None and ``run`` says why)."""

    name: str
    path: Path | None
    run: CompilerRun | None  # None when it came from the cache
    cached: bool
    failure_output: str = ""


def compiler_arguments(
    compiler: Compiler,
    *,
    out: Path,
    sources: Sequence[Path],
    references: Sequence[Path],
    plan: AssemblyPlan,
) -> tuple[list[str], list[str]]:
    """(command-line options, response-file options) for compiling ``sources`` into ``out``.

    Options that must be on the command line itself (Roslyn's ``-shared`` and ``-noconfig``)
    come first; everything else goes in a response file, which every compiler reads and which
    keeps long project builds within the command-line limits of Windows.
    """
    line: list[str] = []
    if compiler.kind == "roslyn":
        line += ["-shared"] if compiler.shared else []
        line += ["-noconfig", "-nologo"]
    options = ["-target:library", f"-out:{out}", "-debug-", "-warn:4"]
    if compiler.kind == "mcs":
        options.append("-fullpaths")
    elif plan.lang_version:
        options.append(f"-langversion:{plan.lang_version}")
    if plan.nostdlib:
        options.append("-nostdlib+")
    if plan.unsafe:
        options.append("-unsafe+")
    if plan.defines:
        options.append("-define:" + ";".join(plan.defines))
    if plan.nowarn:
        options.append("-nowarn:" + ",".join(plan.nowarn))
    options += [f"-r:{_quote(r)}" for r in references]
    options += [_quote(s) for s in sources]
    return line, options


def _quote(path: Path) -> str:
    text = str(path)
    return f'"{text}"' if any(ch in text for ch in ' \t"') else text


def run_compiler(
    compiler: Compiler,
    *,
    out: Path,
    sources: Sequence[Path],
    references: Sequence[Path],
    plan: AssemblyPlan,
    timeout: float,
) -> CompilerRun:
    """Compile once; raise CompilerMissingError when the program cannot be started and
    subprocess.TimeoutExpired when it runs longer than ``timeout`` seconds."""
    line, options = compiler_arguments(
        compiler, out=out, sources=sources, references=references, plan=plan
    )
    work = out.parent
    response = work / f"{out.stem}.rsp"
    response.write_text("\n".join(options) + "\n", "utf-8")
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [*compiler.command, *line, f"@{response}"],
            cwd=work,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            timeout=timeout,
            check=False,
            env={**os.environ, "DOTNET_CLI_TELEMETRY_OPTOUT": "1", "DOTNET_NOLOGO": "1"},
        )
    except (FileNotFoundError, PermissionError, NotADirectoryError) as exc:
        raise CompilerMissingError(f"{compiler.command[0]}: {exc.strerror or exc}") from exc
    return CompilerRun(
        done.returncode, done.stdout + done.stderr, time.perf_counter() - started, str(work)
    )


# -- cached project assemblies -------------------------------------------------------------------


def _stamp(path: Path) -> list[object]:
    try:
        stat = path.stat()
    except OSError:
        return [str(path), None]
    return [str(path), stat.st_mtime_ns, stat.st_size]


def plan_key(compiler: Compiler, plan: AssemblyPlan, built_references: Sequence[Path]) -> str:
    """A hash of everything that decides the plan's assembly."""
    data = {
        "format": _BUILD_FORMAT,
        "compiler": [compiler.kind, *compiler.command],
        "name": plan.name,
        "defines": plan.defines,
        "lang": plan.lang_version,
        "nowarn": plan.nowarn,
        "unsafe": plan.unsafe,
        "nostdlib": plan.nostdlib,
        "references": [_stamp(r) for r in [*plan.references, *built_references]],
        "sources": [_stamp(s) for s in plan.sources],
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:24]


def build_assembly(
    compiler: Compiler, plan: AssemblyPlan, *, cache_dir: Path, timeout: float
) -> list[BuiltAssembly]:
    """Build ``plan`` and its dependencies into the cache (reusing earlier builds); the list
    ends with ``plan``'s own result, preceded by its dependencies'."""
    results: list[BuiltAssembly] = []
    built: list[Path] = []
    for dependency in plan.dependencies:
        deps = build_assembly(compiler, dependency, cache_dir=cache_dir, timeout=timeout)
        results += deps
        if deps[-1].path is not None:
            built.append(deps[-1].path)
    folder = cache_dir / "assemblies" / plan_key(compiler, plan, built)
    target = folder / f"{plan.name}.dll"
    failed = folder / "failed.txt"
    if target.is_file():
        _touch(folder)
        return [*results, BuiltAssembly(plan.name, target, None, cached=True)]
    if failed.is_file():
        output = failed.read_text("utf-8", "replace")
        return [*results, BuiltAssembly(plan.name, None, None, cached=True, failure_output=output)]
    work = Path(tempfile.mkdtemp(prefix="build-", dir=_ensure(cache_dir / "assemblies")))
    try:
        visible = work / "SparkInternalsVisibleTo.cs"
        visible.write_text(_VISIBLE_TO, "utf-8")
        run = run_compiler(
            compiler,
            out=work / target.name,
            sources=[*plan.sources, visible],
            references=[*plan.references, *built],
            plan=plan,
            timeout=timeout,
        )
        if run.succeeded and (work / target.name).is_file():
            _publish(work / target.name, folder, target.name)
            _prune(folder.parent, keep=KEEP_BUILDS)
            return [*results, BuiltAssembly(plan.name, target, run, cached=False)]
        _publish_text(run.output, folder, failed.name)
        _prune(folder.parent, keep=KEEP_BUILDS)
        return [
            *results,
            BuiltAssembly(plan.name, None, run, cached=False, failure_output=run.output),
        ]
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _touch(folder: Path) -> None:
    with contextlib.suppress(OSError):
        os.utime(folder)


def _prune(builds: Path, *, keep: int) -> None:
    """Remove all but the ``keep`` most recently used builds (a project's old versions)."""
    try:
        folders = [p for p in builds.iterdir() if p.is_dir() and not p.name.startswith("build-")]
        folders.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    except OSError:
        return
    for old in folders[keep:]:
        shutil.rmtree(old, ignore_errors=True)


def _ensure(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _publish(source: Path, folder: Path, name: str) -> None:
    """Move a finished file into its cache folder atomically (another process may race us)."""
    _ensure(folder)
    temporary = folder / f".{name}.{os.getpid()}.tmp"
    shutil.copyfile(source, temporary)
    os.replace(temporary, folder / name)


def _publish_text(text: str, folder: Path, name: str) -> None:
    _ensure(folder)
    temporary = folder / f".{name}.{os.getpid()}.tmp"
    temporary.write_text(text, "utf-8")
    os.replace(temporary, folder / name)
