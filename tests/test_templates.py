"""The offline template provider: library, matching, filling, naming, streaming, follow-ups."""

from __future__ import annotations

import re
import shutil
from importlib.resources import as_file
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spark.errors import AIError, ErrorKind
from spark.providers.base import ChatMessage, Chunk, Provider, StreamOptions
from spark.providers.template_fill import (
    extract_numbers,
    format_value,
    match_template,
    render_conversation,
    render_template_for_prompt,
)
from spark.providers.template_index import (
    ParamSpec,
    TemplateLibraryError,
    get_library,
    library_root,
    load_library,
)
from spark.providers.templates import TemplateProvider, compose_reply, split_reply

LIBRARY = get_library()
SAMPLES = [(t.id, s) for t in LIBRARY.templates for s in t.samples]
DEPRECATED = [
    re.compile(r"\.velocity\b"),
    re.compile(r"\.(?:angularD|d)rag\b"),
    re.compile(r"\bFindObjectsOfType\b"),
    re.compile(r"\bFindObjectOfType\b"),
    re.compile(r"\btag\s*==|==\s*\w*\.?tag\b"),
    re.compile(r"\bPhysicMaterial\b"),
    re.compile(r"Application\.LoadLevel"),
    re.compile(r"\bOnLevelWasLoaded\b"),
    re.compile(r"\?\.|\?\?"),
]
UNITY_MESSAGES = "Awake|Start|Update|FixedUpdate|LateUpdate|OnEnable|OnDisable|OnDestroy|Reset"
EMPTY_MESSAGE = re.compile(rf"void\s+(?:{UNITY_MESSAGES})\s*\([^)]*\)\s*\{{\s*\}}")
CLASS_DECL = re.compile(r"^public class (\w+)\b", re.M)
PASCAL = re.compile(r"[A-Z][A-Za-z0-9]*")
FENCE = re.compile(r"```csharp\n(.*?)\n```", re.S)


def strip_strings_and_comments(code: str) -> str:
    code = re.sub(r"//[^\n]*", "", code)
    code = re.sub(r"/\*.*?\*/", "", code, flags=re.S)
    return re.sub(r'\$?"(?:\\.|[^"\\])*"', '""', code)


def balanced(code: str) -> bool:
    pairs = {")": "(", "]": "[", "}": "{"}
    stack: list[str] = []
    for ch in strip_strings_and_comments(code):
        if ch in "([{":
            stack.append(ch)
        elif ch in pairs and (not stack or stack.pop() != pairs[ch]):
            return False
    return not stack


# -- the library ----------------------------------------------------------------------------------


def test_library_has_the_required_templates() -> None:
    ids = {t.id for t in LIBRARY.templates}
    required = {
        "player_2d",
        "player_3d",
        "camera_follow",
        "rotator",
        "spawner",
        "health",
        "patrol",
        "collectible",
        "timer",
        "door",
        "scene_loader",
        "game_manager",
        "scriptable_data",
    }
    assert required <= ids
    assert len(ids) >= 12
    assert LIBRARY.fallback in ids


def test_library_is_loaded_once() -> None:
    assert get_library() is get_library()


@pytest.mark.parametrize(("template_id", "prompt"), SAMPLES)
def test_every_sample_renders_a_complete_script(template_id: str, prompt: str) -> None:
    render = render_template_for_prompt(prompt)
    assert render.template_id == template_id
    code = render.code
    assert CLASS_DECL.findall(code) == [render.class_name]
    assert PASCAL.fullmatch(render.class_name)
    assert code.startswith("using ") and "using UnityEngine;" in code
    assert "{{" not in code and "}}" not in code
    assert balanced(code)
    assert "[SerializeField] private" in code or "[SerializeField, " in code
    assert "[Tooltip(" in code
    for pattern in DEPRECATED:
        assert not pattern.search(strip_strings_and_comments(code)), pattern.pattern
    assert not EMPTY_MESSAGE.search(code)


def test_defaults_render_as_csharp_literals() -> None:
    for template in LIBRARY.templates:
        for param in template.params:
            text = format_value(param, param.default)
            if param.type == "float":
                assert re.fullmatch(r"-?\d+(?:\.\d+)?f", text), (template.id, param.name, text)
            elif param.type == "int":
                assert re.fullmatch(r"-?\d+", text)
            elif param.type == "bool":
                assert text in ("true", "false")


@pytest.mark.parametrize(
    ("value", "kind", "expected"),
    [
        (90.0, "float", "90f"),
        (7.5, "float", "7.5f"),
        (-45.0, "float", "-45f"),
        (0.00001, "float", "0.00001f"),
        (1e6, "float", "1000000f"),
        (100, "int", "100"),
        (True, "bool", "true"),
        ('say "hi"', "string", 'say \\"hi\\"'),
    ],
)
def test_format_value(value: float | int | bool | str, kind: str, expected: str) -> None:
    param = ParamSpec(name="x", type=kind, default=value, label="x", unit="")  # type: ignore[arg-type]
    assert format_value(param, value) == expected


# -- validation of the library's files ------------------------------------------------------------


@pytest.fixture
def library_copy(tmp_path: Path) -> Path:
    with as_file(library_root()) as source:
        return Path(shutil.copytree(source, tmp_path / "library"))


def test_copied_library_loads(library_copy: Path) -> None:
    assert len(load_library(library_copy).templates) == len(LIBRARY.templates)


def test_unknown_placeholder_names_the_file(library_copy: Path) -> None:
    path = library_copy / "Rotator.cs.tmpl"
    path.write_text(path.read_text().replace("{{speed}}", "{{sped}}"))
    with pytest.raises(TemplateLibraryError, match=r"Rotator\.cs\.tmpl.*\{\{sped\}\}"):
        load_library(library_copy)


def test_unused_parameter_names_the_file(library_copy: Path) -> None:
    path = library_copy / "Bobber.cs.tmpl"
    path.write_text(path.read_text().replace("{{frequency}}", "1f"))
    with pytest.raises(TemplateLibraryError, match=r"Bobber\.cs\.tmpl.*frequency"):
        load_library(library_copy)


def test_stray_braces_are_rejected(library_copy: Path) -> None:
    path = library_copy / "Bobber.cs.tmpl"
    path.write_text(path.read_text().replace("{{amplitude}}", "{{ Amplitude }}"))
    with pytest.raises(TemplateLibraryError, match=r"Bobber\.cs\.tmpl"):
        load_library(library_copy)


def test_missing_template_file_names_the_file(library_copy: Path) -> None:
    (library_copy / "Chaser.cs.tmpl").unlink()
    with pytest.raises(TemplateLibraryError, match=r"Chaser\.cs\.tmpl"):
        load_library(library_copy)


# -- choosing a template --------------------------------------------------------------------------

MATCHES = [
    ("2D player controller with jump", "player_2d"),
    ("platformer character using Rigidbody2D", "player_2d"),
    ("player controller", "player_3d"),  # a tie between 2D and 3D: priority picks 3D
    ("3D character controller with gravity", "player_3d"),
    ("camera that follows the player", "camera_follow"),
    ("smooth follow cam", "camera_follow"),
    ("rotate an object at 90 degrees per second", "rotator"),
    ("spinning windmill blades", "rotator"),
    ("spawn enemies every 2 seconds", "spawner"),
    ("object pooling for bullets spawner", "spawner"),
    ("100 health", "health"),
    ("something that can take damage and die", "health"),
    ("enemy that patrols between waypoints", "patrol"),
    ("a guard walking back and forth", "patrol"),
    ("a coin that spins", "collectible"),
    ("pick up gems to raise the score", "collectible"),
    ("a 60 second countdown", "timer"),
    ("a stopwatch", "timer"),
    ("door that opens when the player walks up", "door"),
    ("castle gate", "door"),
    ("load the next scene", "scene_loader"),
    ("restart level button", "scene_loader"),
    ("singleton game manager", "game_manager"),
    ("track lives and game over", "game_manager"),
    ("ScriptableObject for weapon data", "scriptable_data"),
    ("config asset with CreateAssetMenu", "scriptable_data"),
    ("a bullet", "projectile"),
    ("homing missile", "projectile"),
    ("zombie that chases the player", "chase"),
    ("enemy that pursues you", "chase"),
    ("floating crystal that bobs", "bobber"),
    ("hovering drone", "bobber"),
    ("top-down movement with WASD", "mover"),
]


@pytest.mark.parametrize(("prompt", "template_id"), MATCHES)
def test_prompt_chooses_template(prompt: str, template_id: str) -> None:
    match = match_template(prompt)
    assert match is not None
    assert match.template.id == template_id


def test_every_template_has_two_matching_prompts() -> None:
    covered = [tid for _, tid in MATCHES] + [tid for tid, _ in SAMPLES]
    for template in LIBRARY.templates:
        assert covered.count(template.id) >= 2, template.id


@pytest.mark.parametrize("prompt", ["make it purple", "", "hello there", "日本語のプロンプト"])
def test_nothing_matches_uses_the_general_template_and_says_so(prompt: str) -> None:
    assert match_template(prompt) is None
    render = render_template_for_prompt(prompt)
    assert render.fell_back
    assert render.template_id == LIBRARY.fallback
    assert any("Nothing in your prompt matched" in note for note in render.notes)


def test_matching_is_deterministic() -> None:
    prompt = "a spinning coin pickup that the player collects"
    assert {match_template(prompt).template.id for _ in range(5)} == {"collectible"}  # type: ignore[union-attr]


# -- numbers --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prompt", "values"),
    [
        ("1,000 health", [1000.0]),
        ("0.5 seconds", [0.5]),
        ("rotate at -45 degrees", [-45.0]),
        ("gravity of −9.8", [-9.8]),
        (".5 units", [0.5]),
        ("spawn every 2s", [2.0]),
        ("7.5f", [7.5]),
        ("a 2D or 3D game, 2nd level, Vector3", []),
        ("1,2,3 and v1.2.3", []),
        ("60-second countdown", [60.0]),
        ("ninety degrees", []),
    ],
)
def test_extract_numbers(prompt: str, values: list[float]) -> None:
    assert [n.value for n in extract_numbers(prompt)] == values


@pytest.mark.parametrize(
    ("prompt", "template_id", "param", "value"),
    [
        ("rotate an object at 90 degrees per second", "rotator", "speed", 90.0),
        ("a rotator at 2 rpm", "rotator", "speed", 12.0),
        ("2D player with jump height 3", "player_2d", "jump_height", 3.0),
        ("player controller with a speed of 7.5", "player_3d", "move_speed", 7.5),
        ("spawn enemies every 2 seconds", "spawner", "interval", 2.0),
        ("100 health", "health", "max_health", 100),
        ("enemy with 1,000 health", "health", "max_health", 1000),
        ("a 60 second countdown", "timer", "duration", 60.0),
        ("a 60-second countdown", "timer", "duration", 60.0),
        ("countdown of 2 minutes", "timer", "duration", 120.0),
        ("timer 0.5 seconds", "timer", "duration", 0.5),
        ("patrol at 4 m/s", "patrol", "speed", 4.0),
        ("guard patrol that waits 2 seconds", "patrol", "wait_time", 2.0),
        ("coin worth 10 points", "collectible", "score_value", 10),
        ("door that swings open 110 degrees", "door", "open_angle", 110.0),
        ("game manager with 5 lives", "game_manager", "lives", 5),
        ("bullet that deals 25 damage", "projectile", "damage", 25),
        ("camera follow with smoothing 0.3", "camera_follow", "smooth_time", 0.3),
        ("player that can double jump", "player_3d", "extra_jumps", 1),
        ("patrol at -4 m/s", "patrol", "speed", 4.0),  # made positive, with a note
    ],
)
def test_numbers_fill_the_right_field(
    prompt: str, template_id: str, param: str, value: float | int
) -> None:
    render = render_template_for_prompt(prompt)
    assert render.template_id == template_id
    assert render.filled[param] == value
    assert type(render.params[param]) is type(value)


def test_rotator_speed_lands_in_the_code() -> None:
    render = render_template_for_prompt("rotate an object at 90 degrees per second")
    assert "private float speed = 90f;" in render.code
    render = render_template_for_prompt("rotator at 7.5 degrees per second")
    assert "private float speed = 7.5f;" in render.code


def test_int_fields_get_int_literals() -> None:
    render = render_template_for_prompt("enemy with 99.6 health")
    assert "private int maxHealth = 100;" in render.code
    assert any("whole number" in note for note in render.notes)


def test_several_numbers_each_find_their_field() -> None:
    render = render_template_for_prompt(
        "3D player controller with jump height 3, speed of 7.5 and gravity 30"
    )
    assert render.filled == {"move_speed": 7.5, "jump_height": 3.0, "gravity": 30.0}


def test_negative_and_out_of_range_values_are_noted() -> None:
    render = render_template_for_prompt("enemy with -5 hp")
    assert render.params["max_health"] == 5
    assert any("negative" in note for note in render.notes)
    render = render_template_for_prompt("spawner with at most 99999999 alive")
    assert render.params["max_alive"] == 10000
    assert any("out of range" in note for note in render.notes)


def test_unclaimed_numbers_are_reported() -> None:
    render = render_template_for_prompt("a rotator and 42 bananas")
    assert "speed" not in render.filled
    assert any("42" in note for note in render.notes)


def test_template_options_from_words() -> None:
    render = render_template_for_prompt("3D player controller with double jump and coyote time")
    assert render.params["extra_jumps"] == 1
    assert "coyote_time" in render.filled
    assert "private int extraJumps = 1;" in render.code
    assert render_template_for_prompt("a cube spinning around the x axis").params["axis"] == "x"
    assert "Vector3.right" in render_template_for_prompt("rotator around the x axis").code
    assert render_template_for_prompt("sliding door").params["motion"] == "Slide"
    scene = render_template_for_prompt('load the "Level 2" scene when the player touches it')
    assert scene.params["scene_name"] == "Level 2"
    assert scene.params["load_on_trigger"] is True
    assert 'sceneName = "Level 2";' in scene.code


def test_2d_prompts_adjust_the_3d_templates() -> None:
    assert render_template_for_prompt("2D spinning saw blade").params["axis"] == "z"
    chaser = render_template_for_prompt("2D bat that chases the player")
    assert chaser.params["keep_height"] is False
    assert chaser.params["turn_speed"] == 0.0
    assert render_template_for_prompt("2D camera follow").params["height"] == 0.0
    bullet = render_template_for_prompt("a 2D bullet")
    assert bullet.template_id == "projectile"
    assert any("Rigidbody2D" in note for note in bullet.notes)


# -- class names ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prompt", "class_name"),
    [
        ("enemy that patrols between waypoints", "EnemyPatrol"),
        ("a coin that spins", "SpinningCoin"),
        ("spawn enemies every 2 seconds", "EnemySpawner"),
        ("a spinning planet", "PlanetRotator"),
        ("player health with 100 hp", "PlayerHealth"),
        ("a scriptable object for weapon data", "WeaponData"),
        ('load the "MainMenu" scene', "MainMenuSceneLoader"),
        ("rotate an object at 90 degrees per second", "Rotator"),
        ("a 60 second countdown", "CountdownTimer"),
        ("", "SimpleMover"),
        ("class that rotates", "Rotator"),  # a keyword alone is not a name
        ("public static void patrol", "WaypointPatrol"),
        ("3d enemy that patrols", "EnemyPatrol"),  # leading digits dropped
        ("2nd enemy chaser", "EnemyChaser"),
        ("café door", "CafeDoor"),  # folded to ASCII for file names
        ("敵 that patrols", "WaypointPatrol"),  # nothing ASCII left: default
        ("first person character controller", "PlayerController"),  # clashes with Unity's type
        ("update that rotates", "UpdateRotator"),
        ("an UFO that hovers", "UFOBobber"),
        ("ENEMY THAT PATROLS", "EnemyPatrol"),
    ],
)
def test_class_name_from_prompt(prompt: str, class_name: str) -> None:
    render = render_template_for_prompt(prompt)
    assert render.class_name == class_name
    assert CLASS_DECL.findall(render.code) == [class_name]


def test_class_name_clash_is_explained() -> None:
    render = render_template_for_prompt("first person character controller")
    assert any("CharacterController" in note for note in render.notes)


@settings(max_examples=150, deadline=None)
@given(st.text())
def test_any_prompt_gives_a_valid_script(prompt: str) -> None:
    render = render_template_for_prompt(prompt)
    reply = compose_reply(render)
    blocks = FENCE.findall(reply)
    assert len(blocks) == 1
    names = CLASS_DECL.findall(blocks[0])
    assert names == [render.class_name]
    assert PASCAL.fullmatch(names[0])
    assert balanced(blocks[0])
    assert "{{" not in blocks[0]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=40), min_size=1, max_size=3))
def test_any_conversation_gives_a_valid_script(turns: list[str]) -> None:
    render = render_conversation(turns)
    assert PASCAL.fullmatch(render.class_name)
    assert balanced(render.code)


# -- the provider ---------------------------------------------------------------------------------


async def collect(provider: TemplateProvider, *turns: str, **options: int) -> list[Chunk]:
    roles = ["user", "assistant"]
    messages = [ChatMessage(roles[i % 2], t) for i, t in enumerate(turns)]  # type: ignore[arg-type]
    return [c async for c in provider.stream(messages, "spark-templates", StreamOptions(**options))]


async def test_provider_identity() -> None:
    provider = TemplateProvider()
    assert isinstance(provider, Provider)
    assert provider.name == "offline"
    assert await provider.list_models() == ["spark-templates"]


async def test_stream_concatenates_to_the_reply_and_ends_with_usage() -> None:
    prompt = "rotate an object at 90 degrees per second"
    chunks = await collect(TemplateProvider(), prompt)
    *texts, final = chunks
    assert len(texts) > 10
    assert all(c.text and not c.final for c in texts)
    reply = "".join(c.text for c in texts)
    assert reply == compose_reply(render_template_for_prompt(prompt))
    assert final.final and final.text == "" and final.stop_reason == "end"
    assert final.usage.input_tokens == -(-len(prompt) // 4)
    assert final.usage.output_tokens == -(-len(reply) // 4)


async def test_reply_says_it_is_a_template() -> None:
    chunks = await collect(TemplateProvider(), "rotate an object at 90 degrees per second")
    reply = "".join(c.text for c in chunks)
    first_paragraph = reply.split("\n\n")[0]
    assert "Offline template **Rotator**" in first_paragraph
    assert "no AI model was used" in first_paragraph
    assert "speed = 90°/s" in first_paragraph
    assert reply.count("```csharp") == 1


async def test_stream_yields_to_the_event_loop_between_chunks() -> None:
    import asyncio

    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    chunks = await collect(TemplateProvider(chunk_delay=0), "a door")
    task.cancel()
    assert ticks >= len(chunks) // 2


async def test_max_tokens_truncates() -> None:
    chunks = await collect(TemplateProvider(), "a door", max_tokens=20)
    assert chunks[-1].stop_reason == "max_tokens"
    assert len("".join(c.text for c in chunks)) == 80


async def test_unknown_model_is_an_ai_error() -> None:
    provider = TemplateProvider()
    with pytest.raises(AIError) as caught:
        async for _ in provider.stream([ChatMessage("user", "x")], "gpt-5", StreamOptions()):
            pass
    assert caught.value.kind is ErrorKind.NOT_FOUND
    assert not caught.value.retryable


async def test_no_user_message_is_an_ai_error() -> None:
    provider = TemplateProvider()
    with pytest.raises(AIError):
        async for _ in provider.stream([], "spark-templates", StreamOptions()):
            pass


def test_split_reply_joins_back_exactly() -> None:
    text = compose_reply(render_template_for_prompt("a coin that spins")) + "  \n\n   trailing"
    pieces = split_reply(text)
    assert "".join(pieces) == text
    assert max(len(p) for p in pieces) < 120


# -- follow-ups -----------------------------------------------------------------------------------


async def test_follow_up_keeps_the_template_and_overrides_numbers() -> None:
    chunks = await collect(
        TemplateProvider(),
        "a spinning planet at 90 degrees per second around the x axis",
        "Offline template **Rotator** ...",
        "also make it faster, 180 degrees per second",
    )
    reply = "".join(c.text for c in chunks)
    assert "Offline template **Rotator**" in reply
    assert "private float speed = 180f;" in reply
    assert "Vector3.right" in reply  # the earlier turn's axis is kept
    assert "public class PlanetRotator" in reply


def test_follow_up_that_matches_nothing_says_so() -> None:
    render = render_conversation(["a coin that spins", "make it purple"])
    assert render.template_id == "collectible"
    assert render.class_name == "SpinningCoin"
    assert any("latest message doesn't map" in note for note in render.notes)


def test_follow_up_asking_for_an_unsupported_feature_says_so() -> None:
    render = render_conversation(["2D player controller", "also add a dash"])
    assert render.template_id == "player_2d"
    assert any("can't add a dash" in note for note in render.notes)


def test_follow_up_for_another_template_switches_and_drops_old_numbers() -> None:
    render = render_conversation(["rotate at 45 degrees per second", "now a door that opens"])
    assert render.template_id == "door"
    assert render.params["open_angle"] == 90.0  # the rotator's 45 degrees is not carried over


def test_follow_up_keeps_the_class_name_and_takes_new_values() -> None:
    render = render_conversation(["enemy that patrols", "guard patrol at 4 m/s"])
    assert render.class_name == "EnemyPatrol"
    assert render.params["speed"] == 4.0


def test_follow_up_that_ties_keeps_the_current_template() -> None:
    render = render_conversation(["2D platformer player", "also make it double jump and dash"])
    assert render.template_id == "player_2d"
    assert render.class_name == "PlayerController2D"
    assert render.params["extra_jumps"] == 1
    assert any("can't add a dash" in note for note in render.notes)


# -- C# syntax ------------------------------------------------------------------------------------


def test_every_template_parses_without_syntax_errors() -> None:
    tree_sitter = pytest.importorskip("tree_sitter", reason="tree-sitter is not installed")
    grammar = pytest.importorskip("tree_sitter_c_sharp", reason="tree-sitter-c-sharp missing")
    parser = tree_sitter.Parser(tree_sitter.Language(grammar.language()))

    def problems(node: object) -> list[str]:
        found = []
        stack = [node]
        while stack:
            current = stack.pop()
            if current.is_error or current.is_missing:  # type: ignore[attr-defined]
                found.append(f"{current.type} at {current.start_point}")  # type: ignore[attr-defined]
            stack.extend(current.children)  # type: ignore[attr-defined]
        return found

    for template_id, prompt in SAMPLES:
        code = render_template_for_prompt(prompt).code
        tree = parser.parse(code.encode("utf-8"))
        assert not tree.root_node.has_error, (template_id, problems(tree.root_node))
