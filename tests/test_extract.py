"""Finding the script in a model reply and naming its file."""

from __future__ import annotations

import pytest

from spark.unity.extract import DEFAULT_CLASS_NAME, extract_code, main_class_name

SCRIPT = "using UnityEngine;\n\npublic class CoinSpinner : MonoBehaviour\n{\n}\n"


def test_prefers_the_csharp_block_over_a_larger_other_block() -> None:
    reply = f"Intro\n```json\n{{{'x' * 500}}}\n```\n```csharp\n{SCRIPT}```\nOutro"
    found = extract_code(reply)
    assert found.code == SCRIPT
    assert found.class_name == "CoinSpinner"
    assert found.file_name == "CoinSpinner.cs"
    assert found.from_fence and not found.unterminated


@pytest.mark.parametrize("tag", ["cs", "c#", "CSharp", "C#"])
def test_other_csharp_tags(tag: str) -> None:
    assert extract_code(f"```{tag}\n{SCRIPT}```").class_name == "CoinSpinner"


def test_largest_untagged_block_when_none_is_csharp() -> None:
    reply = f"```\nshort\n```\ntext\n```\n{SCRIPT}```"
    assert extract_code(reply).code == SCRIPT


def test_whole_reply_when_it_is_code() -> None:
    assert extract_code(SCRIPT).code == SCRIPT


def test_prose_only_reply_has_no_code() -> None:
    found = extract_code("I cannot help with that, but here is an idea: use a class.")
    assert found.code == ""
    assert found.class_name == DEFAULT_CLASS_NAME


def test_reply_cut_off_inside_a_fence_keeps_the_code() -> None:
    found = extract_code(
        "Here you go:\n```csharp\nusing UnityEngine;\n"
        "public class Half : MonoBehaviour\n{\n    void Upd"
    )
    assert found.unterminated
    assert found.class_name == "Half"
    assert found.code.startswith("using UnityEngine;")


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("class Helper {}\npublic class Player : MonoBehaviour {}", "Player"),
        ("public class A {}\n[CreateAssetMenu]\npublic class Data : ScriptableObject {}", "Data"),
        ("internal class Foo {}\npublic sealed class Bar {}", "Bar"),
        ("class Only {}", "Only"),
        ("namespace Game {\n    public partial class Door : MonoBehaviour { }\n}", "Door"),
        ("[RequireComponent(typeof(Rigidbody))] public class Mover : MonoBehaviour {}", "Mover"),
        ("public class Gen<T> : MonoBehaviour where T : Component {}", "Gen"),
        ("// no class at all", DEFAULT_CLASS_NAME),
    ],
)
def test_main_class_name(code: str, expected: str) -> None:
    assert main_class_name(code) == expected


def test_the_prose_around_the_script_is_kept_apart() -> None:
    from spark.unity.extract import prose_of

    reply = "Here you go.\n\n```csharp\nclass A {}\n```\n\nSetup: add a **Rigidbody2D**."
    assert prose_of(reply) == "Here you go.\n\nSetup: add a **Rigidbody2D**."
    assert prose_of("using UnityEngine;\npublic class A : MonoBehaviour {}") == ""
    assert prose_of("Almost done:\n```csharp\nclass A {\n") == "Almost done:"  # cut off
    # An untagged block that is the script goes; a JSON example stays.
    kept = prose_of('Try:\n```\nclass A {}\n```\nThen:\n```json\n{"a": 1}\n```')
    assert kept == 'Try:\n\nThen:\n```json\n{"a": 1}\n```'
