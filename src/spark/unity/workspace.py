"""A target and what is derived from its project, built when first needed and then reused.

The generation engine asks a :class:`Workspace` for the system prompt's project section for a
prompt (:meth:`prompt_context`) and a compile check of a generated script (:meth:`compile`,
which skips quietly; :meth:`check` is the explicit check that says why it could not compile).
The script index is reloaded for each prompt (cheap: it is cached per file by modification
time) so a long-running server sees new classes; the compiler and reference set are found once
per workspace.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from spark.unity.project_scripts import ScriptIndex, load_script_index
from spark.unity.target import UnityTarget

if TYPE_CHECKING:  # the compile check loads when a script is first compiled
    from spark.config import Settings
    from spark.unity.compile import CompileEnvironment, CompileReport


@dataclass(frozen=True, slots=True)
class WorkspaceOptions:
    """Settings a workspace needs (from :class:`spark.config.Settings`)."""

    cache_dir: Path
    editor: str | None = None
    csc: str | None = None
    compile_check: bool = True
    compile_timeout: float = 120.0
    context_tokens: int = 1500

    @classmethod
    def from_settings(cls, settings: Settings) -> WorkspaceOptions:
        return cls(
            cache_dir=settings.data_dir / "cache",
            editor=settings.unity_editor,
            csc=settings.csc,
            compile_check=settings.compile_check,
            compile_timeout=settings.compile_timeout,
            context_tokens=settings.project_context_tokens,
        )


class Workspace:
    """One target's project index and compile environment (see the module docstring)."""

    def __init__(self, target: UnityTarget, options: WorkspaceOptions) -> None:
        self.target = target
        self.options = options
        self._environment: CompileEnvironment | None = None
        self._lock = threading.Lock()

    def index(self) -> ScriptIndex | None:
        """The project's scripts, or None without a project."""
        project = self.target.project
        if project is None:
            return None
        return load_script_index(project.root, cache_dir=self.options.cache_dir)

    def prompt_context(self, prompt: str) -> str | None:
        """The system prompt's section on the project, most relevant types first."""
        project = self.target.project
        if project is None:
            return None
        from spark.unity.project_summary import summarise_types
        from spark.unity.prompts import project_prompt

        index = self.index()
        summary = (
            summarise_types(index, prompt, budget_tokens=self.options.context_tokens)
            if index is not None
            else ""
        )
        return project_prompt(project, summary)

    def environment(self) -> CompileEnvironment:
        """The compiler and references for this target, found on first use."""
        from spark.unity.compile import prepare_environment

        with self._lock:
            if self._environment is None:
                self._environment = prepare_environment(
                    cache_dir=self.options.cache_dir / "compile",
                    project=self.target.project,
                    index=self.index(),
                    unity_version=self.target.unity_version,
                    editor_setting=self.options.editor,
                    csc_setting=self.options.csc,
                    timeout=self.options.compile_timeout,
                )
            return self._environment

    def may_compile(self) -> bool:
        """False when :meth:`compile` is known to do nothing (so callers skip it cheaply)."""
        if not self.options.compile_check:
            return False
        known = self._environment
        return self.target.project is not None or known is None or known.can_compile

    def compile(self, code: str, file_name: str, path: Path | None = None) -> CompileReport | None:
        """Check a generated script in the project (``path``: where it will be written, if
        known; a file there is replaced, not duplicated); None when there is nothing to check
        it against (no project, and no compiler with Unity references) or checks are off."""
        if not self.may_compile():
            return None
        if self.target.project is None and not self.environment().can_compile:
            return None
        return self.check(code, file_name, path)

    def check(self, code: str, file_name: str, path: Path | None = None) -> CompileReport:
        """Compile a script in the project (or against Unity's assemblies alone), whatever
        the settings say; without a compiler the report is ``skipped`` and its note says why."""
        from spark.unity.compile import CheckedScript

        environment = self.environment()
        if self.target.project is not None:  # classes added since: for the name collision check
            environment = replace(environment, index=self.index())
        return environment.check([CheckedScript(file_name, code, path)])
