"""Compile-check fixtures: Mono's mcs, the Unity stub assemblies, a fixture project and Editor.

The stubs and fixture layouts are described in tests/unity_fixture/__init__.py. Without ``mcs``
the tests that compile skip, saying why; with ``SPARK_REQUIRE_COMPILER=1`` (set by
``.ci/run``, which installs Debian's ``mono-mcs``) they fail instead. The flag is read here, at
import, because tests/conftest.py scrubs ``SPARK_*`` variables before each test.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.unity_fixture import cached_stubs, make_editor, make_project

REQUIRE_COMPILER = os.environ.get("SPARK_REQUIRE_COMPILER") == "1"


@pytest.fixture(scope="session")
def mcs() -> str:
    """The path of Mono's C# compiler (skips, or fails under SPARK_REQUIRE_COMPILER=1)."""
    found = shutil.which("mcs")
    if found is None:
        reason = "Mono's C# compiler is not installed (apt-get install -y mono-mcs)"
        if REQUIRE_COMPILER:
            pytest.fail(f"SPARK_REQUIRE_COMPILER=1 but {reason}", pytrace=False)
        pytest.skip(reason)
    return found


@pytest.fixture(scope="session")
def unity_stubs(mcs: str) -> dict[str, Path]:
    """The stub UnityEngine, UnityEngine.UI, TextMeshPro and Input System assemblies."""
    return cached_stubs(mcs)


@pytest.fixture
def unity_project(unity_stubs: dict[str, Path], tmp_path: Path) -> Path:
    """A fresh copy of the fixture project with its IDE project files pointing at the stubs."""
    return make_project(tmp_path / "FixtureGame", unity_stubs)


@pytest.fixture
def project_files(tmp_path: Path) -> Path:
    """The fixture project's files alone (no IDE project files): for reading, no compiler."""
    return make_project(tmp_path / "FixtureGame", {}, csproj=False)


@pytest.fixture
def unity_hub(unity_stubs: dict[str, Path], tmp_path: Path) -> Callable[..., Path]:
    """Make a fixture Editor installation under a Hub folder; returns its data folder."""

    def make(folder: Path | None = None, **options: object) -> Path:
        hub = folder or tmp_path / "home" / "Unity" / "Hub" / "Editor"
        return make_editor(hub, unity_stubs, **options)  # type: ignore[arg-type]

    return make
