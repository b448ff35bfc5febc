"""What a script is written for: a Unity version, input handling, render pipeline, a project.

:class:`UnityTarget` is a small value that every adapter can hold per user or per request: the
CLI builds it from settings and ``--project``, the web app will store one per user (its
:meth:`UnityTarget.to_dict` / :meth:`UnityTarget.from_dict` round-trip through JSON). With a
project, the project's own version and input handling replace the global defaults
(``SPARK_UNITY_VERSION``, ``SPARK_INPUT_SYSTEM``), as :func:`resolve_target` does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

from spark.errors import UsageError
from spark.unity.project import RenderPipeline, UnityProject, read_project
from spark.unity.report import InputSystem

if TYPE_CHECKING:
    from spark.config import Settings

_PIPELINES: tuple[str, ...] = get_args(RenderPipeline)
_INPUTS: tuple[str, ...] = get_args(InputSystem)
_PIPELINE_NAMES = {"built-in": "built-in pipeline", "urp": "URP", "hdrp": "HDRP", "custom": "SRP"}


@dataclass(frozen=True, slots=True)
class UnityTarget:
    """The Unity a script must work in (see the module docstring)."""

    unity_version: str = "6000.0"
    input_system: InputSystem = "both"
    render_pipeline: RenderPipeline | None = None  # None: not known, not mentioned
    project: UnityProject | None = None

    def with_project(self, project: UnityProject) -> UnityTarget:
        """This target with what ``project`` says (what it does not say stays as it was)."""
        return replace(
            self,
            unity_version=project.unity_version or self.unity_version,
            input_system=project.input_system or self.input_system,
            render_pipeline=project.render_pipeline,
            project=project,
        )

    def describe(self) -> str:
        """``Unity 2022.3.10f1, input both, URP, project /path/Game`` for displays."""
        parts = [f"Unity {self.unity_version}", f"input {self.input_system}"]
        if self.render_pipeline:
            parts.append(_PIPELINE_NAMES[self.render_pipeline])
        if self.project is not None:
            parts.append(f"project {self.project.root}")
        return ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """The target as JSON (the project as its folder, read again by ``from_dict``)."""
        return {
            "unity_version": self.unity_version,
            "input_system": self.input_system,
            "render_pipeline": self.render_pipeline,
            "project": str(self.project.root) if self.project is not None else None,
        }

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], *, defaults: UnityTarget | None = None
    ) -> UnityTarget:
        """A target from stored JSON; unknown or missing values keep ``defaults``. The project
        folder is not read here (see :func:`resolve_target`)."""
        base = defaults or cls()
        version = data.get("unity_version")
        input_system = data.get("input_system")
        pipeline = data.get("render_pipeline")
        return replace(
            base,
            unity_version=check_unity_version(version) if version else base.unity_version,
            input_system=input_system if input_system in _INPUTS else base.input_system,
            render_pipeline=pipeline if pipeline in _PIPELINES else base.render_pipeline,
        )


def check_unity_version(value: object) -> str:
    """``value`` as a Unity version (``2022.3``, ``6000.0.23f1``), or UsageError."""
    text = str(value).strip()
    head = text.split(".")
    if len(head) < 2 or not head[0].isdigit() or not head[1][:1].isdigit() or len(text) > 32:
        raise UsageError(
            f"'{text}' is not a Unity version.", hint="Write it like 2022.3 or 6000.0.23f1."
        )
    return text


def default_target(settings: Settings) -> UnityTarget:
    """The target from ``SPARK_UNITY_VERSION`` and ``SPARK_INPUT_SYSTEM`` alone."""
    return UnityTarget(unity_version=settings.unity_version, input_system=settings.input_system)


def resolve_target(
    settings: Settings,
    *,
    project: str | Path | None = None,
    stored: Mapping[str, Any] | None = None,
    allow_project: bool = True,
) -> UnityTarget:
    """The target for one request: settings, then ``stored`` values (a user's saved target),
    then the project (``project``, else the stored one, else ``SPARK_UNITY_PROJECT``) read
    from disk. ``allow_project=False`` ignores stored and configured project folders (a shared
    server must not read arbitrary folders). Raises ProjectError for a folder that is not a
    Unity project."""
    target = default_target(settings)
    if stored:
        target = UnityTarget.from_dict(stored, defaults=target)
    folder: str | Path | None = project
    if folder is None and allow_project:
        folder = (stored or {}).get("project") or settings.unity_project
    if folder:
        target = target.with_project(read_project(Path(folder)))
    return target
