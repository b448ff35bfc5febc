"""Prompt templates: the built-in files load and validate, bad definitions fail clearly,
parameter values are checked, and team templates are kept per team with admins writing."""

from __future__ import annotations

import copy
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from spark.cli import app
from spark.db.engine import Database
from spark.db.site import NotAdminError
from spark.db.templates import (
    TemplateExistsError,
    delete_team_template,
    find_template,
    save_team_template,
    team_templates,
)
from spark.db.users import create_user
from spark.prompt_library import (
    TemplateError,
    TemplateValuesError,
    builtin_templates,
    parse_template,
    read_template_file,
)
from tests.web_support import MakeClient, make_client

__all__ = ["make_client"]

FOLDER = resources.files("spark").joinpath("prompt_templates")
REQUIRED = {
    "player-controller-2d",
    "player-controller-3d",
    "enemy-patrol",
    "health-and-damage",
    "inventory-item",
    "object-pool",
    "save-system",
    "ui-binding",
    "editor-window",
}
GOOD: dict[str, Any] = {
    "name": "turret",
    "title": "Turret",
    "description": "Shoots at the player.",
    "prompt": "A turret that fires {rate} shots per second at {target}, {mode} mode, "
    "{burst} bursts, leading shots: {lead}.",
    "parameters": [
        {"name": "rate", "kind": "float", "default": 2.0, "min": 0.1, "max": 20},
        {"name": "target", "kind": "text", "default": "Player", "max_length": 20},
        {"name": "mode", "kind": "choice", "default": "auto", "allowed": ["auto", "manual"]},
        {"name": "burst", "kind": "int", "default": 3, "min": 1, "max": 10},
        {"name": "lead", "kind": "bool", "default": True},
    ],
}


# --- the built-in files ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "entry", sorted((e for e in FOLDER.iterdir() if e.name.endswith(".toml")), key=str), ids=str
)
def test_each_builtin_file_loads_and_fills_with_its_defaults(entry: Any) -> None:
    template = read_template_file(entry.name, entry.read_text(encoding="utf-8"))
    prompt = template.fill({})
    assert "{" + template.parameters[0].name + "}" not in prompt
    assert template.parameters, "a template without parameters is just a prompt"


def test_the_library_has_the_templates_the_issue_asks_for() -> None:
    assert set(builtin_templates()) >= REQUIRED
    kinds = {p.kind for t in builtin_templates().values() for p in t.parameters}
    assert kinds == {"text", "int", "float", "bool", "choice"}


def _mutated(change: Any) -> dict[str, Any]:
    data = copy.deepcopy(GOOD)
    change(data)
    return data


BAD_DEFINITIONS = [
    ("unknown key", lambda d: d.update(author="me"), "unknown key 'author'"),
    ("bad name", lambda d: d.update(name="Turret!"), "name must be"),
    ("no prompt", lambda d: d.update(prompt=" "), "prompt must be text"),
    ("no default", lambda d: d["parameters"][0].pop("default"), "'rate' has no default"),
    (
        "default out of range",
        lambda d: d["parameters"][0].update(default=50.0),
        "'rate': the default must be at most 20",
    ),
    ("default of the wrong type", lambda d: d["parameters"][3].update(default="3"), "'burst'"),
    (
        "placeholder not a parameter",
        lambda d: d.update(prompt=d["prompt"] + " {colour}"),
        "{colour} is not a parameter",
    ),
    ("unused parameter", lambda d: d.update(prompt="{rate} {target} {mode} {burst}"), "'lead'"),
    ("bad kind", lambda d: d["parameters"][0].update(kind="number"), "kind must be one of"),
    ("choice without values", lambda d: d["parameters"][2].update(allowed=[]), "allowed values"),
    ("min above max", lambda d: d["parameters"][0].update(min=30), "min is above max"),
    (
        "two with one name",
        lambda d: d["parameters"].append(dict(d["parameters"][0])),
        "same name",
    ),
    ("NUL in the prompt", lambda d: d.update(prompt="{rate}\x00"), "NUL"),
    ("range on text", lambda d: d["parameters"][1].update(min=1), "for int and float only"),
]


@pytest.mark.parametrize(
    ("what", "change", "says"), BAD_DEFINITIONS, ids=[b[0] for b in BAD_DEFINITIONS]
)
def test_a_malformed_definition_fails_with_a_clear_message(
    what: str, change: Any, says: str
) -> None:
    with pytest.raises(TemplateError) as info:
        parse_template(_mutated(change), where="turret.toml")
    assert info.value.message.startswith("turret.toml: ")
    assert says in info.value.message


def test_a_malformed_file_names_itself() -> None:
    with pytest.raises(TemplateError, match=r"broken\.toml: not valid TOML"):
        read_template_file("broken.toml", 'name = "x"\nprompt = """unclosed')
    good = (FOLDER / "object-pool.toml").read_text(encoding="utf-8")
    with pytest.raises(TemplateError, match=r"must be named object-pool\.toml"):
        read_template_file("pool.toml", good)


# --- values ------------------------------------------------------------------------------------


def test_values_fill_the_prompt() -> None:
    template = parse_template(GOOD, where="t")
    prompt = template.fill(
        {"rate": "4.5", "target": "  the   Boss ", "mode": "manual", "lead": "false"}
    )
    assert prompt == (
        "A turret that fires 4.5 shots per second at the Boss, manual mode, 3 bursts, "
        "leading shots: false."
    )
    # A value that looks like a placeholder is not expanded again.
    assert "{rate}" in template.fill({"target": "{rate}"})


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({"rate": "fast"}, ("rate", "must be a number")),
        ({"rate": 0.01}, ("rate", "at least 0.1")),
        ({"rate": "nan"}, ("rate", "must be a number")),
        ({"rate": "1e400"}, ("rate", "must be a number")),
        ({"rate": True}, ("rate", "must be a number")),
        ({"burst": "2.5"}, ("burst", "whole number")),
        ({"burst": 11}, ("burst", "at most 10")),
        ({"burst": 2.5}, ("burst", "whole number")),
        ({"mode": "semi"}, ("mode", "one of auto, manual")),
        ({"lead": "maybe"}, ("lead", "true or false")),
        ({"target": ""}, ("target", "must not be empty")),
        ({"target": "x" * 21}, ("target", "at most 20 characters")),
        ({"target": "a\x00"}, ("target", "NUL")),
        ({"target": 5}, ("target", "must be text")),
        ({"colour": "red"}, ("colour", "no such parameter")),
    ],
)
def test_bad_values_are_refused_per_parameter(
    values: dict[str, Any], problem: tuple[str, str]
) -> None:
    template = parse_template(GOOD, where="t")
    with pytest.raises(TemplateValuesError) as info:
        template.fill(values)
    name, says = problem
    assert says in info.value.problems[name]
    assert list(info.value.problems) == [name]


# --- team templates in the database ------------------------------------------------------------


async def test_team_templates_crud_and_permissions(database_url: str) -> None:
    async with Database(database_url) as database:
        async with database.session() as session:
            admin = await create_user(session=session, username="lead", is_admin=True)
            member = await create_user(session=session, username="dev")
        async with database.session(user_id=admin.id) as session:
            await save_team_template(
                session=session, user_id=admin.id, definition=GOOD, replace=False
            )
        async with database.session(user_id=member.id) as session:
            names = [t.name for t in await team_templates(session=session)]
            assert names == ["turret"]  # shared with the team
            found = await find_template(session=session, name="turret")
            assert found is not None and found.source == "team"
            with pytest.raises(NotAdminError):
                await save_team_template(
                    session=session, user_id=member.id, definition=GOOD, replace=True
                )
            with pytest.raises(NotAdminError):
                await delete_team_template(session=session, user_id=member.id, name="turret")
        async with database.session(user_id=admin.id) as session:
            with pytest.raises(TemplateExistsError):
                await save_team_template(
                    session=session, user_id=admin.id, definition=GOOD, replace=False
                )
            builtin = _mutated(lambda d: d.update(name="object-pool"))
            with pytest.raises(TemplateExistsError, match="built-in"):
                await save_team_template(
                    session=session, user_id=admin.id, definition=builtin, replace=False
                )
            changed = _mutated(lambda d: d.update(title="Sentry gun"))
            await save_team_template(
                session=session, user_id=admin.id, definition=changed, replace=True
            )
        async with database.session(user_id=member.id) as session:
            found = await find_template(session=session, name="turret")
            assert found is not None and found.title == "Sentry gun"
        async with database.session(user_id=admin.id) as session:
            assert await delete_team_template(session=session, user_id=admin.id, name="turret")
            assert not await delete_team_template(session=session, user_id=admin.id, name="turret")
            assert await team_templates(session=session) == []


# --- the API -----------------------------------------------------------------------------------


async def test_api_lists_fills_and_lets_admins_write(make_client: MakeClient) -> None:
    admin = await make_client()
    member = await make_client()
    listed = (await member.get("/api/templates")).json()["templates"]
    assert {t["name"] for t in listed} >= REQUIRED
    assert (await member.post("/api/templates", json=GOOD)).status_code == 403
    created = await admin.post("/api/templates", json=GOOD)
    assert created.status_code == 201, created.text
    assert created.json()["source"] == "team"
    assert (await admin.post("/api/templates", json=GOOD)).status_code == 422  # name taken
    assert "turret" in {t["name"] for t in (await member.get("/api/templates")).json()["templates"]}
    filled = await member.post("/api/templates/turret/fill", json={"values": {"burst": 5}})
    assert filled.status_code == 200
    assert "5 bursts" in filled.json()["prompt"]
    bad = await member.post(
        "/api/templates/turret/fill", json={"values": {"burst": 50, "mode": "semi"}}
    )
    assert bad.status_code == 422
    errors = {e["loc"][-1]: e["msg"] for e in bad.json()["error"]["errors"]}
    assert errors == {"burst": "must be at most 10", "mode": "must be one of auto, manual"}
    assert (await member.post("/api/templates/nope/fill", json={})).status_code == 404
    renamed = await admin.put("/api/templates/turret", json=GOOD | {"title": "Sentry"})
    assert renamed.status_code == 200 and renamed.json()["title"] == "Sentry"
    assert (
        await admin.put("/api/templates/ghost", json=GOOD | {"name": "ghost"})
    ).status_code == 404
    assert (await member.delete("/api/templates/turret")).status_code == 403
    assert (await admin.delete("/api/templates/turret")).status_code == 204
    assert (await admin.delete("/api/templates/turret")).status_code == 404
    assert (await admin.delete("/api/templates/object-pool")).status_code == 404  # built-in


async def test_the_admin_page_adds_from_toml_and_refuses_clearly(
    make_client: MakeClient, tmp_path: Path
) -> None:
    admin = await make_client()
    member = await make_client()
    source = (
        (FOLDER / "object-pool.toml")
        .read_text(encoding="utf-8")
        .replace('name = "object-pool"', 'name = "bullet-pool"')
    )
    saved = await admin.form("/templates", {"definition": source})
    assert saved.status_code == 303
    page = await admin.get("/templates")
    assert "bullet-pool" in page.text and "saved" in page.text
    bad = await admin.form("/templates", {"definition": 'name = "x"\nprompt = '})
    assert bad.status_code == 422 and "Not valid TOML" in bad.text
    invalid = await admin.form("/templates", {"definition": source.replace("{max_size}", "")})
    assert invalid.status_code == 422 and "max_size" in invalid.text
    assert (await member.get("/templates")).status_code == 403
    deleted = await admin.form("/templates/bullet-pool/delete", {})
    assert deleted.status_code == 303
    page = (await admin.get("/templates")).text
    assert "deleted" in page and 'id="no-team-templates"' in page


# --- the command line --------------------------------------------------------------------------


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout + result.stderr


def test_cli_list_show_fill_add_delete(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out = run("templates", "list")
    assert code == 0 and "player-controller-2d" in out
    code, out = run("templates", "show", "health-and-damage", "--fill", "max_health=250")
    assert code == 0 and "250 maximum health" in out
    code, out = run("templates", "show", "health-and-damage", "--fill", "max_health=0")
    assert code == 2 and "max_health: must be at least 1" in out
    source = tomllib_dump(GOOD)
    assert parse_template(tomllib.loads(source), where="t") == parse_template(GOOD, where="t")
    (tmp_path / "turret.toml").write_text(source, encoding="utf-8")
    code, out = run("templates", "add", "turret.toml")
    assert code == 0 and "added" in out
    code, out = run("templates", "add", "turret.toml")
    assert code == 2 and "already has a template called 'turret'" in out
    assert run("templates", "add", "turret.toml", "--replace")[0] == 0
    code, out = run("templates", "show", "turret", "--json")
    assert code == 0 and '"source": "team"' in out
    (tmp_path / "bad.toml").write_text('name = "x"\n', encoding="utf-8")
    code, out = run("templates", "add", "bad.toml")
    assert code == 2 and "title must be text" in out
    assert run("templates", "delete", "turret")[0] == 0
    assert run("templates", "delete", "turret")[0] == 2


def tomllib_dump(data: dict[str, Any]) -> str:
    """GOOD as a template file, through the admin page's own writer."""
    from spark.web.routes.prompt_templates import to_toml

    return to_toml(parse_template(data, where="t"))
