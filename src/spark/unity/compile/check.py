"""Compile scripts in the context of a Unity project and report what the compiler says.

:func:`prepare_environment` finds the compiler and the reference set once (see
:mod:`.discovery` and :mod:`.references`); :meth:`CompileEnvironment.check` then compiles
scripts against them. The project's own scripts are compiled once into a cached assembly
(:mod:`.build`) and each check compiles only the checked scripts against it, which keeps a
check of one script within about a second. If the project's scripts do not compile with the
compiler found, the checked scripts are compiled together with them instead and only their own
findings are reported, with a note.

With a project, a script declaring a class the project already has is an error
(``SPK-PROJECT``) whether or not a compiler is found: Unity needs one class per name, and the
message names the file that has it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree.ElementTree import ParseError

from spark.unity.compile.build import (
    CHECK_ASSEMBLY,
    CompilerMissingError,
    CompilerRun,
    build_assembly,
    run_compiler,
)
from spark.unity.compile.discovery import Compiler, EditorInstall, find_compiler, find_editor
from spark.unity.compile.output import CompilerMessage, parse_output, same_file, to_diagnostics
from spark.unity.compile.references import (
    AssemblyPlan,
    ReferenceSet,
    references_from_folders,
    references_from_project_file,
)
from spark.unity.compile.report import CompileReport, CompileStatus
from spark.unity.project import UnityProject
from spark.unity.project_scripts import ScriptIndex, declared_types
from spark.unity.report import SEVERITY_ORDER, Diagnostic, SourceText, ValidationReport

PROJECT_FILE = "Assembly-CSharp.csproj"
_STALE_SHARE = 0.5  # more references missing than this: the .csproj is from another machine


@dataclass(frozen=True, slots=True)
class CheckedScript:
    """A script to check: its name in reports, its text, and its file if it has one."""

    name: str
    code: str
    path: Path | None = None


@dataclass(frozen=True, slots=True)
class CompileEnvironment:
    """A compiler and a reference set, found once and reused for every check."""

    compiler: Compiler | None
    references: ReferenceSet | None
    cache_dir: Path
    project: UnityProject | None = None
    index: ScriptIndex | None = None
    timeout: float = 120.0
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def skip_reason(self) -> str | None:
        """Why compiling cannot happen here, or None when it can."""
        if self.compiler is None:
            return (
                "no C# compiler found (install the project's Unity version with Unity Hub, "
                "set SPARK_UNITY_EDITOR or SPARK_CSC, or put csc, mcs or dotnet on PATH)"
            )
        if self.references is None:
            return (
                "no Unity assemblies to compile against (open the project in Unity once so it "
                f"writes {PROJECT_FILE}, or set SPARK_UNITY_EDITOR to a Unity installation)"
            )
        return None

    @property
    def can_compile(self) -> bool:
        return self.skip_reason is None

    def check(self, scripts: Sequence[CheckedScript]) -> CompileReport:
        """Compile ``scripts`` in this environment; never raises for what the compiler says."""
        started = time.perf_counter()
        collisions = {s.name: self._collisions(s) for s in scripts}
        reason = self.skip_reason
        if reason is not None:
            return self._report(scripts, collisions, {}, [reason], started, skipped=True)
        assert self.compiler is not None and self.references is not None
        try:
            found, notes, stopped = _compile(
                self.compiler,
                self.references,
                scripts,
                cache_dir=self.cache_dir,
                timeout=self.timeout,
            )
        except CompilerMissingError as exc:
            note = f"the compiler could not be started ({exc})"
            return self._report(scripts, collisions, {}, [note], started, skipped=True)
        except subprocess.TimeoutExpired:
            note = f"the compiler did not finish within {self.timeout:g} s"
            return self._report(scripts, collisions, {}, [note], started, skipped=True)
        report = self._report(scripts, collisions, found, notes, started, skipped=False)
        if stopped and report.status == "ok":
            return _with_status(report, "incomplete")
        return report

    def _collisions(self, script: CheckedScript) -> list[Diagnostic]:
        if self.index is None:
            return []
        src = SourceText(script.code)
        own = os.path.normcase(str(script.path.resolve())) if script.path else None
        found: list[Diagnostic] = []
        for info in declared_types(script.code):
            if "." in info.name:
                continue
            simple = info.name.split("<")[0]
            others = [
                f.path
                for f in self.index.declaring(simple)
                if own is None or os.path.normcase(str(self.index.root / f.path)) != own
            ]
            if others:
                found.append(
                    src.diagnostic(
                        rule_id="SPK-PROJECT",
                        severity="error",
                        message=f"the project already has a class named '{simple}' "
                        f"({others[0]}): choose another name",
                        start=(info.line - 1, 0),
                        end=(info.line - 1, len(src.line_text(info.line - 1))),
                        hint="Unity needs one class per name; rename the new class (and its "
                        "file), or extend the existing one.",
                        char_columns=True,
                    )
                )
        return found

    def _report(
        self,
        scripts: Sequence[CheckedScript],
        collisions: Mapping[str, list[Diagnostic]],
        found: Mapping[str, list[Diagnostic]],
        notes: list[str],
        started: float,
        *,
        skipped: bool,
    ) -> CompileReport:
        files = []
        for script in scripts:
            diagnostics = sorted(
                [*collisions.get(script.name, []), *found.get(script.name, [])],
                key=lambda d: (d.line, d.column, SEVERITY_ORDER[d.severity], d.rule_id),
            )
            files.append((script.name, ValidationReport(diagnostics=tuple(diagnostics))))
        failed = any(not report.ok for _, report in files)
        status: CompileStatus = "failed" if failed else "skipped" if skipped else "ok"
        return CompileReport(
            status=status,
            files=tuple(files),
            compiler=self.compiler.describe if self.compiler else None,
            references=self.references.describe if self.references else None,
            notes=(*notes, *self.notes),
            seconds=time.perf_counter() - started,
        )


def _with_status(report: CompileReport, status: CompileStatus) -> CompileReport:
    return CompileReport(
        status, report.files, report.compiler, report.references, report.notes, report.seconds
    )


# -- finding the environment --------------------------------------------------------------------


def prepare_environment(
    *,
    cache_dir: Path,
    project: UnityProject | None = None,
    index: ScriptIndex | None = None,
    unity_version: str | None = None,
    editor_setting: str | None = None,
    csc_setting: str | None = None,
    timeout: float = 120.0,
    path: str | None = None,
    platform: str = sys.platform,
    environ: Mapping[str, str] = os.environ,
    home: Path | None = None,
) -> CompileEnvironment:
    """Find the compiler and the references for ``project`` (or, without one, for the Editor
    of ``unity_version``); never raises: what is missing ends up in ``skip_reason``."""
    notes: list[str] = []
    version = (project.unity_version if project else None) or unity_version
    editor, editor_note = find_editor(
        version, editor_setting=editor_setting, platform=platform, environ=environ, home=home
    )
    if editor_note:
        notes.append(editor_note)
    compiler = find_compiler(editor=editor, csc_setting=csc_setting, path=path)
    roslyn = compiler is not None and compiler.kind == "roslyn"
    references = _references(project, index, editor, roslyn, notes)
    return CompileEnvironment(
        compiler=compiler,
        references=references,
        cache_dir=cache_dir,
        project=project,
        index=index,
        timeout=timeout,
        notes=tuple(notes),
    )


def _references(
    project: UnityProject | None,
    index: ScriptIndex | None,
    editor: EditorInstall | None,
    roslyn: bool,
    notes: list[str],
) -> ReferenceSet | None:
    from_file: ReferenceSet | None = None
    if project is not None and (project.root / PROJECT_FILE).is_file():
        try:
            from_file = references_from_project_file(project.root / PROJECT_FILE, project.root)
        except (OSError, ParseError) as exc:
            notes.append(f"{PROJECT_FILE} cannot be read ({exc}); it was ignored")
        else:
            named = len(from_file.plan.references) + len(from_file.missing)
            if not from_file.missing:
                return from_file
            if editor is None or len(from_file.missing) <= _STALE_SHARE * named:
                notes.append(
                    f"{len(from_file.missing)} assemblies named in {PROJECT_FILE} are not on "
                    f"this machine (first: {from_file.missing[0]})"
                )
                return from_file
            notes.append(
                f"{PROJECT_FILE} names {len(from_file.missing)} assemblies that are not on this "
                "machine (written elsewhere?); using the Editor's assemblies instead"
            )
    if editor is not None:
        return references_from_folders(editor=editor, roslyn=roslyn, project=project, index=index)
    return from_file


# -- compiling ----------------------------------------------------------------------------------


def _compile(
    compiler: Compiler,
    references: ReferenceSet,
    scripts: Sequence[CheckedScript],
    *,
    cache_dir: Path,
    timeout: float,
) -> tuple[dict[str, list[Diagnostic]], list[str], bool]:
    """Compile the scripts; their diagnostics by name, notes, and whether the compiler stopped
    at syntax it is too old for."""
    excluded = {s.path.resolve() for s in scripts if s.path is not None}
    references = references.without(excluded)
    plan = references.plan
    notes: list[str] = []
    cache_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="check-", dir=cache_dir))
    try:
        written = _write_scripts(work, scripts)
        extra: list[Path] = []
        together: tuple[Path, ...] = ()
        if plan.sources or plan.dependencies:
            built = build_assembly(compiler, plan, cache_dir=cache_dir, timeout=timeout)
            if all(b.path is not None for b in built):
                extra = [b.path for b in built if b.path is not None]
            else:
                broken = next(b for b in built if b.path is None)
                notes.append(_broken_note(broken.name, broken.failure_output, compiler))
                together = (*_all_sources(plan), *plan.sources)
        out = work / f"{CHECK_ASSEMBLY}.dll"
        run = run_compiler(
            compiler,
            out=out,
            sources=[*dict.fromkeys(together), *written.values()],
            references=[*_all_references(plan), *extra],
            plan=plan,
            timeout=timeout,
        )
        return _diagnostics(run, compiler, scripts, written, notes)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _write_scripts(work: Path, scripts: Sequence[CheckedScript]) -> dict[str, Path]:
    written: dict[str, Path] = {}
    for number, script in enumerate(scripts):
        folder = work / str(number)
        folder.mkdir()
        name = Path(script.name).name if script.name.endswith(".cs") else "Script.cs"
        target = folder / name
        target.write_text(script.code, "utf-8")
        written[script.name] = target
    return written


def _all_sources(plan: AssemblyPlan) -> list[Path]:
    """The sources of the plan's dependencies, for compiling everything in one go."""
    found: list[Path] = []
    for dependency in plan.dependencies:
        found += [*_all_sources(dependency), *dependency.sources]
    return found


def _all_references(plan: AssemblyPlan) -> list[Path]:
    found = list(plan.references)
    for dependency in plan.dependencies:
        found += _all_references(dependency)
    return list(dict.fromkeys(found))


def _broken_note(name: str, output: str, compiler: Compiler) -> str:
    errors = [m for m in parse_output(output) if m.severity == "error"]
    first = errors[0].format() if errors else (output.strip().splitlines() or ["no output"])[-1]
    return (
        f"the project's {name} scripts do not compile with {compiler.name} "
        f"({len(errors)} errors; first: {first}); checked together with them instead"
    )


def _diagnostics(
    run: CompilerRun,
    compiler: Compiler,
    scripts: Sequence[CheckedScript],
    written: Mapping[str, Path],
    notes: list[str],
) -> tuple[dict[str, list[Diagnostic]], list[str], bool]:
    from spark.unity.syntax import check_syntax

    messages = parse_output(run.output)
    found: dict[str, list[Diagnostic]] = {}
    stopped_any = False
    claimed: set[int] = set()
    for script in scripts:
        mine: list[CompilerMessage] = []
        for number, message in enumerate(messages):
            if message.file and same_file(message.file, str(written[script.name]), run.cwd):
                mine.append(message)
                claimed.add(number)
        syntax_ok = not check_syntax(SourceText(script.code)).diagnostics
        diagnostics, stopped = to_diagnostics(
            mine,
            script.code,
            too_old=compiler.language_limit is not None and syntax_ok,
            compiler_name=compiler.name.split(" ")[0],
        )
        found[script.name] = diagnostics
        if stopped:
            stopped_any = True
            notes.append(
                f"{compiler.name} stopped at syntax newer than C# {compiler.language_limit} in "
                f"{script.name}, so its types and members were not checked"
            )
    failing = [name for name, ds in found.items() if any(d.severity == "error" for d in ds)]
    if compiler.kind == "mcs" and failing and len(failing) < len(scripts):
        notes.append(
            "mcs stops at the first stage with errors, so the other scripts may have errors it "
            "did not reach: check them again once these are fixed"
        )
    others = [m for n, m in enumerate(messages) if n not in claimed and m.severity == "error"]
    if others:
        notes.append(
            f"{len(others)} compiler errors outside the checked scripts: {others[0].format()}"
        )
    own_errors = any(d.severity == "error" for ds in found.values() for d in ds)
    if not run.succeeded and not own_errors and not stopped_any:
        # The build failed for reasons outside the checked scripts: they may not have been
        # checked fully (mcs stops at a parse error anywhere).
        stopped_any = True
        if not messages:
            last = (run.output.strip().splitlines() or ["no output"])[-1]
            notes.append(f"the compiler failed without a diagnostic: {last}")
    return found, notes, stopped_any
