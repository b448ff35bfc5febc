"""The layering holds: imports point downwards only (README's layout section).

Adapters (the web app, the CLI, MCP) call the service (``spark.generation``) and ``spark.db``'s
repository functions, never a provider or the prompts; storage never imports the service or an
adapter; the shared value types import nothing above them. Every import counts: at module level,
inside functions and under ``TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "spark"

ADAPTERS = ("web", "cli", "cli_validate.py", "cli_check.py", "mcp")
STORAGE = ("db",)
TYPES = ("events.py", "usage.py", "errors.py", "recording.py", "attempts.py", "text.py")

ABOVE_ADAPTERS = ("spark.providers", "spark.unity.prompts")
ABOVE_STORAGE = ("spark.generation", "spark.drafts", "spark.streaming", "spark.models")
ADAPTER_MODULES = ("spark.web", "spark.cli", "spark.cli_validate", "spark.cli_check", "spark.mcp")
ABOVE_TYPES = (*ABOVE_STORAGE, "spark.db", "spark.providers", "spark.unity", "spark.config")


def imported(source: str) -> list[tuple[int, str]]:
    """Every module ``source`` imports, with its line (``from a import b`` counts ``a.b`` too,
    so ``from spark import providers`` is caught)."""
    names: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.append((node.lineno, node.module))
            names += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return names


def within(name: str, modules: tuple[str, ...]) -> bool:
    return any(name == m or name.startswith(m + ".") for m in modules)


def violations(
    files: list[Path], forbidden: tuple[str, ...], allowed: tuple[str, ...] = ()
) -> list[str]:
    found = []
    for path in files:
        for line, name in imported(path.read_text(encoding="utf-8")):
            if within(name, forbidden) and not within(name, allowed):
                found.append(f"{path.relative_to(SRC)}:{line} imports {name}")
    return sorted(set(found))


def python_files(*parts: str) -> list[Path]:
    files: list[Path] = []
    for part in parts:
        path = SRC / part
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path] if path.exists() else []
    return files


def test_the_checker_sees_every_form_of_import() -> None:
    source = """
import spark.providers.anthropic
from spark import providers
from spark.unity.prompts import build_system_prompt
from . import sibling
def later():
    from spark.providers.base import ChatMessage
"""
    assert [n for _, n in imported(source) if n.startswith(ABOVE_ADAPTERS)] == [
        "spark.providers.anthropic",
        "spark.providers",
        "spark.unity.prompts",
        "spark.unity.prompts.build_system_prompt",
        "spark.providers.base",
        "spark.providers.base.ChatMessage",
    ]


def test_adapters_call_the_service_never_providers_or_prompts() -> None:
    files = python_files(*ADAPTERS)
    assert len(files) > 20  # the web app and the CLI were found
    assert violations(files, ABOVE_ADAPTERS) == []


def test_storage_never_imports_the_service_or_an_adapter() -> None:
    files = python_files(*STORAGE)
    assert len(files) > 10
    assert violations(files, (*ABOVE_STORAGE, *ADAPTER_MODULES)) == []


def test_shared_types_import_nothing_above_them() -> None:
    files = python_files(*TYPES)
    assert len(files) == len(TYPES)
    # events.py names the validation and compile reports, for type checking only
    allowed = ("spark.unity.report", "spark.unity.compile.report")
    assert violations(files, (*ABOVE_TYPES, *ADAPTER_MODULES), allowed) == []


# Where one adapter may reach into another: the command that starts MCP, the web app serving
# MCP at /mcp, and MCP reading a conversation's turns as the web app keeps them (`spark serve`
# starts the web app, so the CLI may import it). Adapter → (other adapters, allowed modules).
ADAPTER_CROSSINGS = {
    "cli": (("spark.mcp",), ("spark.mcp.stdio",)),
    "web": (("spark.mcp", "spark.cli"), ("spark.mcp.http", "spark.mcp.service")),
    "mcp": (("spark.web", "spark.cli"), ("spark.web.conversations",)),
}


def test_adapters_meet_only_at_their_entry_points() -> None:
    for adapter, (others, allowed) in ADAPTER_CROSSINGS.items():
        files = python_files(adapter)
        assert files, adapter
        assert violations(files, others, allowed) == [], adapter
