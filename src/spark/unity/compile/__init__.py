"""The compile check: compile scripts in the context of a Unity project, without Unity running.

- :mod:`.discovery` finds a compiler (the project's Unity Editor, ``SPARK_CSC``, PATH);
- :mod:`.references` finds what to compile against (``Assembly-CSharp.csproj``, else the
  Editor's assemblies and the project's folders);
- :mod:`.build` runs the compiler and caches the project's own scripts as an assembly;
- :mod:`.output` turns compiler output into the validator's diagnostics;
- :mod:`.check` ties them together; :mod:`.report` is the result.

See docs/unity-projects.md.
"""

from spark.unity.compile.check import CheckedScript, CompileEnvironment, prepare_environment
from spark.unity.compile.discovery import Compiler, EditorInstall, find_compiler, find_editor
from spark.unity.compile.report import CompileReport, format_for_repair

__all__ = [
    "CheckedScript",
    "CompileEnvironment",
    "CompileReport",
    "Compiler",
    "EditorInstall",
    "find_compiler",
    "find_editor",
    "format_for_repair",
    "prepare_environment",
]
