"""The system prompt's API advice follows the target Unity version, checked by the validator.

For each Unity version in the table, the APIs the prompt recommends are put into a script and
validated for that version: none may be flagged (SPK021: obsolete there, or not there yet). The
APIs it warns against are flagged by the same harness (in that version, or for one still working
there but obsolete later, in the newest), which shows the check can fail.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from spark.unity.api_guidance import api_advice
from spark.unity.project import PackageInfo, UnityProject
from spark.unity.prompts import build_system_prompt, project_prompt
from spark.unity.validator import validate

VERSIONS = [
    "2019.4",
    "2020.3",
    "2021.3",
    "2021.3.18f1",
    "2021.3.45f1",
    "2022.1",
    "2022.2.5f1",
    "2022.3",
    "2022.3.10f1",
    "2023.1",
    "2023.2",
    "6000.0",
    "6000.0.23f1",
    "6000.1",
    "6000.3",
]
_SPAN = re.compile(r"(not )?`([^`\n]+)`")
_API = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")


def spans(prompt: str, *, negated: bool) -> set[str]:
    """The API names the prompt shows in backticks: those it says not to use (``negated``),
    or all the others (the fence of the answer format is not a span)."""
    text = prompt.replace("```", "")
    return {m[2] for m in _SPAN.finditer(text) if bool(m[1]) is negated and _API.fullmatch(m[2])}


def recommended(prompt: str) -> set[str]:
    return spans(prompt, negated=False)


def avoided(prompt: str) -> set[str]:
    return spans(prompt, negated=True)


def script_using(apis: set[str]) -> str:
    """A component that uses each API in every way the validator tells apart: as a member of
    a value of its type, as a static, as a call (plain and generic) and as a type."""
    body: list[str] = []
    for i, api in enumerate(sorted(apis)):
        if "." in api:
            owner, member = api.rsplit(".", 1)
            body.append(f"    void M{i}({owner} a) {{ var x = a.{member}; var y = {api}; }}")
        else:
            body.append(f"    {api} f{i};")
            body.append(f"    void M{i}() {{ {api}(); {api}<Camera>(); }}")
    return (
        "using UnityEngine;\nusing UnityEngine.SceneManagement;\nusing UnityEngine.Networking;\n"
        "public class Probe : MonoBehaviour\n{\n" + "\n".join(body) + "\n}\n"
    )


def flagged(apis: set[str], version: str) -> list[str]:
    report = validate(script_using(apis), file_name="Probe.cs", unity_version=version)
    return [d.message for d in report.diagnostics if d.rule_id == "SPK021"]


@pytest.mark.parametrize("version", VERSIONS)
def test_the_prompt_recommends_only_apis_the_validator_accepts_there(version: str) -> None:
    prompt = build_system_prompt(unity_version=version, render_pipeline="urp")
    apis = recommended(prompt)
    assert "CompareTag" in apis  # the extraction finds the prompt's APIs
    assert flagged(apis, version) == []


@pytest.mark.parametrize("version", VERSIONS)
def test_every_api_the_prompt_warns_against_is_flagged_there(version: str) -> None:
    prompt = build_system_prompt(unity_version=version)
    warned = avoided(prompt) - {"tag"}
    assert warned, "the prompt names the APIs not to use"
    for api in sorted(warned):
        # Flagged there, or (a name that still works but is on its way out) in the newest.
        assert flagged({api}, version) or flagged({api}, VERSIONS[-1]), f"{api} in {version}"


@pytest.mark.parametrize(
    ("version", "use", "avoid"),
    [
        ("2021.3", "Rigidbody.velocity", "Rigidbody.linearVelocity"),
        ("2021.3", "FindObjectOfType", "FindFirstObjectByType"),
        ("2021.3.20f1", "FindFirstObjectByType", "FindObjectOfType"),
        ("2022.3", "Rigidbody.velocity", "Rigidbody.linearVelocity"),
        ("2022.3", "FindFirstObjectByType", "FindObjectOfType"),
        ("2022.3", "PhysicMaterial", "PhysicsMaterial"),
        ("6000.0", "Rigidbody.linearVelocity", "Rigidbody.velocity"),
        ("6000.2", "PhysicsMaterial", "PhysicMaterial"),
    ],
)
def test_the_version_table(version: str, use: str, avoid: str) -> None:
    pairs = {(a.use, a.avoid) for a in api_advice(version)}
    assert (use, avoid) in pairs
    prompt = build_system_prompt(unity_version=version)
    assert f"`{use}` (not `{avoid}`" in prompt


def test_the_old_unity_6_advice_would_be_caught_for_2022() -> None:
    # What the prompt used to say whatever the target: the harness flags it for 2022.3.
    assert flagged({"Rigidbody.linearVelocity"}, "2022.3")
    assert not flagged({"Rigidbody.linearVelocity"}, "6000.0")


@pytest.mark.parametrize(
    ("pipeline", "says"),
    [
        ("built-in", "`Standard`"),
        ("urp", "`Universal Render Pipeline/Lit`"),
        ("hdrp", "`HDRP/Lit`"),
        (None, None),
    ],
)
def test_the_render_pipeline_is_said_when_known(pipeline: str | None, says: str | None) -> None:
    prompt = build_system_prompt(unity_version="2022.3", render_pipeline=pipeline)
    if says is None:
        assert "Rendering is" not in prompt
    else:
        assert says in prompt


@pytest.mark.parametrize(
    ("packages", "says", "not_says"),
    [
        ((PackageInfo("com.unity.textmeshpro", "3.0.6"),), "TextMeshProUGUI", "not installed"),
        ((PackageInfo("com.unity.ugui", "2.0.0"),), "TextMeshProUGUI", "not installed"),  # 6000
        ((PackageInfo("com.unity.ugui", "1.0.0"),), "legacy `UnityEngine.UI.Text`", "TMP_Text"),
    ],
)
def test_text_follows_the_project(
    tmp_path: Path, packages: tuple[PackageInfo, ...], says: str, not_says: str
) -> None:
    section = project_prompt(UnityProject(tmp_path, "2022.3", packages=packages), "")
    assert says in section and not_says not in section


def test_a_new_name_in_an_older_target_is_fixed_back_to_the_old_one() -> None:
    from spark.unity.fixer import fix_code
    from tests.test_unity_rules import FIELDS, behaviour

    code = behaviour(
        FIELDS + "    public PhysicsMaterial mat;\n"
        "    void FixedUpdate() { rb.linearVelocity = Vector3.zero; rb.linearDamping = 1; }\n"
        "    void Start() { var cam = FindFirstObjectByType<Camera>(); }"
    )
    fixed = fix_code(code, file_name="Player.cs", unity_version="2021.3").code
    assert "rb.velocity = Vector3.zero; rb.drag = 1;" in fixed
    assert "public PhysicMaterial mat;" in fixed and "FindObjectOfType<Camera>()" in fixed
    # In Unity 6 the same code is already right.
    assert fix_code(code, file_name="Player.cs", unity_version="6000.0").code == code
