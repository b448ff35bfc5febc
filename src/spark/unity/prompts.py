"""The system prompt that makes a model answer with one complete, compilable Unity script.

``SYSTEM_PROMPT_VERSION`` is stored with each generation so that results can be compared across
prompt changes; bump it whenever the wording changes. The API advice follows the target's Unity
version (:mod:`spark.unity.api_guidance`, from the validator's own data), and the render
pipeline, text and input packages follow the target and its project when they are known.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Literal

from spark.unity.api_guidance import api_advice_line

if TYPE_CHECKING:
    from spark.unity.project import UnityProject

# .2: API advice by target version, render pipeline advice.
SYSTEM_PROMPT_VERSION = "2026-12-03.2"

_INPUT_RULES = {
    "legacy": "Read input with the legacy `UnityEngine.Input` class (the project does not use "
    "the Input System package).",
    "new": "The project uses the Input System package only: read input with "
    "`UnityEngine.InputSystem` (e.g. `Keyboard.current`, `InputAction`), never the legacy "
    "`Input` class.",
    "both": "The project accepts both input back-ends; prefer the legacy `Input` class for "
    "simple scripts unless the user asks for the Input System.",
}


# What materials and post-processing look like in each render pipeline (None: not known).
_PIPELINE_RULES = {
    "built-in": "Rendering is the built-in pipeline: materials use the `Standard` shader "
    "(colour `_Color`, texture `_MainTex`); no URP or HDRP types.",
    "urp": "Rendering is URP: materials use `Universal Render Pipeline/Lit` (colour "
    "`_BaseColor`, texture `_BaseMap`); post-processing through `Volume` profiles "
    "(`UnityEngine.Rendering`), no `OnRenderImage` or built-in image effects.",
    "hdrp": "Rendering is HDRP: materials use `HDRP/Lit` (colour `_BaseColor`, texture "
    "`_BaseColorMap`); lights and volumes from `UnityEngine.Rendering.HighDefinition`, no "
    "`OnRenderImage` or built-in image effects.",
    "custom": "Rendering is a custom scriptable render pipeline: no `OnRenderImage`, and do "
    "not assume shader property names (expose materials as serialized fields).",
}


def build_system_prompt(
    *,
    unity_version: str = "6000.0",
    input_system: Literal["legacy", "new", "both"] = "both",
    project_context: str | None = None,
    render_pipeline: str | None = None,
) -> str:
    """The system prompt for a target Unity version, input back-end and render pipeline (None:
    not known, not mentioned); ``project_context`` (from :func:`project_prompt`) describes the
    user's project."""
    base = _base_prompt(unity_version, input_system, render_pipeline)
    return f"{base}\n\n{project_context}" if project_context else base


@lru_cache(maxsize=128)  # a handful of targets per server; built on every generation
def _base_prompt(
    unity_version: str, input_system: Literal["legacy", "new", "both"], pipeline: str | None
) -> str:
    advice = api_advice_line(unity_version)
    api_line = f"\n- {advice}" if advice else ""
    pipeline_line = f"\n- {_PIPELINE_RULES[pipeline]}" if pipeline in _PIPELINE_RULES else ""
    return f"""You are SPARK, an expert Unity developer. You write one complete C# script for \
Unity {unity_version} from the user's description.

Answer with exactly one fenced code block marked ```csharp that holds the whole script, \
followed by at most three short sentences on how to use it in the editor. Rules for the script:
- It must compile as-is in Unity {unity_version}: include every `using` it needs, starting with \
`using UnityEngine;`. No placeholders, no "..." and no omitted parts.
- One public class, deriving from MonoBehaviour unless the user asks for something else \
(ScriptableObject, a plain C# class, an editor script). The class name is PascalCase and \
describes the behaviour; the file will be saved as ClassName.cs.
- Tunables are `[SerializeField] private` fields with a `[Tooltip]` or a short comment giving \
units and sensible defaults; no public fields for inspector values.
- Use only APIs that exist in Unity {unity_version} and are not obsolete there.{api_line}
- Compare tags with `CompareTag` (not `tag ==`). Cache `GetComponent` results in `Awake`; apply \
physics in `FixedUpdate`; use `Time.deltaTime` in `Update`. Do not use `?.` or `??` on \
UnityEngine.Object values.
- {_INPUT_RULES[input_system]}{pipeline_line}
- Keep Unity message names and signatures exact (`Update`, `OnTriggerEnter(Collider other)`, \
`OnCollisionEnter(Collision collision)`); no empty Unity messages.
- When the user asks for a change to a script from earlier in the conversation, answer with \
the complete revised script, not a diff."""


def build_repair_prompt(findings: str) -> str:
    """The follow-up message asking the model to fix its own script once."""
    return (
        "The script you wrote has problems that SPARK's validator found:\n\n"
        f"{findings}\n\n"
        "Fix them and answer with the complete corrected script in one ```csharp block. "
        "Change nothing else."
    )


# Short reminders for packages whose APIs models mix up, keyed by package name; a callable
# gets the installed major version.
_PACKAGE_HINTS = {
    "com.unity.textmeshpro": "For text use TextMeshPro (`TMPro.TMP_Text`, `TextMeshProUGUI`), "
    "not the legacy `UnityEngine.UI.Text`.",
    "com.unity.netcode.gameobjects": "Networked scripts derive from `Unity.Netcode."
    "NetworkBehaviour`.",
    "com.unity.addressables": "Load assets with `UnityEngine.AddressableAssets.Addressables` "
    "rather than `Resources.Load`.",
}
_CINEMACHINE = {
    2: "Cinemachine 2: namespace `Cinemachine`, cameras are `CinemachineVirtualCamera`.",
    3: "Cinemachine 3: namespace `Unity.Cinemachine`, cameras are `CinemachineCamera` (not "
    "`CinemachineVirtualCamera`).",
}


def project_prompt(project: UnityProject, types_summary: str) -> str:
    """The system prompt's section on the user's project: packages, and the project's own
    types (``types_summary``, from :func:`spark.unity.project_summary.summarise_types`)."""
    lines = ["The user's Unity project (write for it; do not assume packages it lacks):"]
    if project.notable_packages:
        lines.append("- Packages: " + ", ".join(p.label for p in project.notable_packages) + ".")
    else:
        lines.append("- No notable packages: use only the built-in Unity API.")
    # The render pipeline is the target's (set from the project), said in the base prompt.
    enabled = [name for name in _PACKAGE_HINTS if project.package(name) is not None]
    lines += [f"- {_PACKAGE_HINTS[name]}" for name in enabled]
    if project.has_textmeshpro and "com.unity.textmeshpro" not in enabled:
        lines.append(f"- {_PACKAGE_HINTS['com.unity.textmeshpro']}")
    elif not project.has_textmeshpro:
        lines.append(
            "- TextMeshPro is not installed: for UI text use the legacy `UnityEngine.UI.Text`."
        )
    cinemachine = project.package("com.unity.cinemachine")
    if cinemachine is not None:
        major = int(cinemachine.version.split(".")[0]) if cinemachine.version[:1].isdigit() else 2
        lines.append(f"- {_CINEMACHINE[3 if major >= 3 else 2]}")
    if types_summary:
        lines.append(
            "\nThe project's own types, most relevant first. Use them instead of writing new "
            "ones, and never give the new class the name of an existing type:"
        )
        lines.append(types_summary)
    return "\n".join(lines)
