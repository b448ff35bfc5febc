"""Eval suites: the built-in one is a real mix, and a malformed file is one clear line."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from spark.eval.suite import BUILT_IN, SuiteError, load_suite


def test_the_built_in_suite_is_a_varied_sample() -> None:
    suite = load_suite()
    assert suite.source == "built-in"
    assert len(suite.items) >= 40
    difficulties = Counter(i.difficulty for i in suite.items)
    assert set(difficulties) == {"easy", "medium", "hard"}
    assert min(difficulties.values()) >= 5
    tags = Counter(t for i in suite.items for t in i.tags)
    for area in ("2d", "3d", "editor", "ui", "physics", "coroutines", "scriptableobject",
                 "input-system"):  # fmt: skip
        assert tags[area] >= 2, area
    # Networking is out of scope (no Netcode package in a plain project).
    assert not any("network" in i.prompt.lower() for i in suite.items)
    assert len({i.prompt for i in suite.items}) == len(suite.items)


def test_the_digest_follows_the_items(tmp_path: Path) -> None:
    text = BUILT_IN.read_text("utf-8")
    copy = tmp_path / "copy.toml"
    copy.write_text("# a comment changes nothing\n" + text, "utf-8")
    assert load_suite(copy).digest == load_suite().digest
    copy.write_text(text.replace("bobs up and down slowly", "bobs up and down"), "utf-8")
    assert load_suite(copy).digest != load_suite().digest


ITEM = '[[item]]\nid = "a"\ndifficulty = "easy"\nprompt = "a coin"\n'
BAD = [
    ("not toml", "id = ", "not valid TOML"),
    ("no items", 'name = "x"\n', "no [[item]] tables"),
    ("unknown top key", 'colour = "red"\n' + ITEM, 'unknown key "colour"'),
    ("unknown item key", ITEM + "weight = 2\n", 'item 1 ("a"): unknown key "weight"'),
    ("missing prompt", '[[item]]\nid = "a"\ndifficulty = "easy"\n', "`prompt` is missing"),
    ("bad id", ITEM.replace('"a"', '"Has Space"'), "`id` must be"),
    ("bad difficulty", ITEM.replace('"easy"', '"trivial"'), "`difficulty` must be one of"),
    ("empty prompt", ITEM.replace('"a coin"', '"   "'), "`prompt` must be a non-empty"),
    ("huge prompt", ITEM.replace('"a coin"', '"' + "x" * 4001 + '"'), "the limit is 4000"),
    ("nul", ITEM.replace('"a coin"', '"a\\u0000coin"'), "NUL or a lone surrogate"),
    ("tags not a list", ITEM + 'tags = "2d"\n', "`tags` must be a list"),
    ("duplicate id", ITEM + ITEM, 'the id "a" is used twice'),
    ("item not a table", "item = [1, 2]\n", "item 1 is not a table"),
    ("name not text", "name = 3\n" + ITEM, "`name` must be"),
]


@pytest.mark.parametrize(("what", "text", "message"), BAD, ids=[b[0] for b in BAD])
def test_a_malformed_suite_is_one_line_naming_the_problem(
    tmp_path: Path, what: str, text: str, message: str
) -> None:
    path = tmp_path / "suite.toml"
    path.write_text(text, "utf-8")
    with pytest.raises(SuiteError) as info:
        load_suite(path)
    assert message in info.value.message
    assert "\n" not in info.value.message
    assert str(path) in info.value.message or "item" in info.value.message


def test_unreadable_and_binary_suites(tmp_path: Path) -> None:
    with pytest.raises(SuiteError, match="Cannot read the suite"):
        load_suite(tmp_path / "missing.toml")
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(SuiteError, match="not UTF-8"):
        load_suite(binary)
