"""Browser fixtures: one headless Chromium per session, real `spark serve` subprocesses.

Chromium is Debian's `/usr/bin/chromium`, driven by the Python `playwright` package through
`executable_path` (`playwright install` is never run). Without Chromium or Playwright the
browser tests skip, saying why; with `SPARK_REQUIRE_BROWSER=1` (set by `.ci/run`) they fail
instead. The flag is read here, at import, because tests/conftest.py scrubs `SPARK_*` variables
before each test.

Two servers run for a module: one with both provider keys and the fake upstream's URLs,
and, when a test of the module asks for ``offline_url``, one with no keys at all (reached as
``localhost``, so the two servers' session cookies never mix). Each test's page is signed in
as a new account of its own (its preferences and history start empty), created through the
server's sign-up form. Screenshots of the main states go to the session's temporary folder
(printed at the end of the run).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from tests.fakes.upstream import FakeUpstream
from tests.serve_support import SparkServer, server_env
from tests.web_support import ANTHROPIC_KEY, OPENAI_KEY, PASSWORD, csrf_of, unique_name

REQUIRE_BROWSER = os.environ.get("SPARK_REQUIRE_BROWSER") == "1"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

Shot = Callable[[Any, str], Path]
_HANDLED_4XX = "Failed to load resource: the server responded with a status of 4"


def _missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        return f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)"
    return None


def _module_wants(request: pytest.FixtureRequest, fixture: str) -> bool:
    """Whether a test of this module (among those selected) uses ``fixture``."""
    return any(
        item.module is request.module and fixture in getattr(item, "fixturenames", ())
        for item in request.session.items
    )


@pytest.fixture(scope="module")
def launched(
    upstream_server: FakeUpstream,
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> Iterator[dict[str, SparkServer]]:
    """The `spark serve` processes, started (not yet ready) so they boot while Chromium does:
    ``keys`` has both provider keys and the fake upstream's URLs (and quick retries),
    ``offline`` has no keys at all (started only for a module with a test that asks for it)."""
    reason = _missing()
    if reason is not None:
        if REQUIRE_BROWSER:
            pytest.fail(f"SPARK_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
        pytest.skip(f"browser tests skipped: {reason}")
    keys_home = tmp_path_factory.mktemp("serve-keys")
    started = {
        "keys": SparkServer(
            server_env(
                keys_home,
                ANTHROPIC_API_KEY=ANTHROPIC_KEY,
                OPENAI_API_KEY=OPENAI_KEY,
                ANTHROPIC_BASE_URL=upstream_server.anthropic_base_url,
                OPENAI_BASE_URL=upstream_server.openai_base_url,
                SPARK_RETRY_BASE_DELAY="0.2",
                SPARK_READ_TIMEOUT="5",
            ),
            keys_home / "serve.log",
        ),
    }
    if _module_wants(request, "offline_url"):
        offline_home = tmp_path_factory.mktemp("serve-offline")
        started["offline"] = SparkServer(server_env(offline_home), offline_home / "serve.log")
    try:
        yield started
    finally:
        for server in started.values():
            server.stop()


# Module scope, not session: the sync Playwright API keeps an event loop marked as running in
# this thread while it is open, which would break the async tests that run after this module.
# All browser tests live in one module, so this is still one browser per session.
@pytest.fixture(scope="module")
def browser(launched: dict[str, SparkServer]) -> Iterator[Any]:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=15_000)  # generous: CI machines can be busy
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def servers(launched: dict[str, SparkServer], browser: Any) -> dict[str, str]:
    """The servers' URLs, once they answer."""
    urls = {name: server.wait_ready() for name, server in launched.items()}
    if "offline" in urls:
        urls["offline"] = urls["offline"].replace("//127.0.0.1:", "//localhost:")
    return urls


@pytest.fixture
def spark_url(servers: dict[str, str]) -> str:
    return servers["keys"]


@pytest.fixture
def offline_url(servers: dict[str, str]) -> str:
    return servers["offline"]


_screenshot_dirs: list[Path] = []


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("screenshots")
    _screenshot_dirs.append(path)
    return path


@pytest.fixture
def shot(screenshot_dir: Path) -> Shot:
    def take(page: Any, name: str) -> Path:
        path = screenshot_dir / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def sign_up(url: str, username: str, password: str = PASSWORD) -> str:
    """Create an account through the server's sign-up form; returns its session cookie."""
    with httpx2.Client(base_url=url, timeout=10) as client:
        csrf = csrf_of(client.get("/signup").text)
        response = client.post(
            "/signup",
            data={
                "csrf_token": csrf,
                "username": username,
                "password": password,
                "confirm": password,
            },
        )
        assert response.status_code == 303, response.text
        return str(client.cookies["spark_session"])


@pytest.fixture
def account() -> dict[str, str]:
    """A new account's username and password, on the server(s) this test uses."""
    return {"username": unique_name("player"), "password": PASSWORD}


@pytest.fixture
def page(
    browser: Any, servers: dict[str, str], account: dict[str, str], request: pytest.FixtureRequest
) -> Iterator[Any]:
    """A fresh page signed in as ``account``; console errors (CSP violations among them), page
    errors and dialogs fail the test."""
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 860})
    for name, fixture in (("keys", "spark_url"), ("offline", "offline_url")):
        if fixture in request.fixturenames:
            url = servers[name]
            cookie = sign_up(url, account["username"], account["password"])
            context.add_cookies([{"name": "spark_session", "value": cookie, "url": url}])
    page = context.new_page()
    problems: list[str] = []

    def on_console(message: Any) -> None:
        # A 4xx answer the page handles is logged by Chromium; anything else is a problem.
        if message.type == "error" and not message.text.startswith(_HANDLED_4XX):
            problems.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda e: problems.append(str(e)))

    def on_dialog(dialog: Any) -> None:
        problems.append(f"dialog: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    yield page
    context.close()
    assert not problems, problems


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for path in _screenshot_dirs:
        terminalreporter.write_line(f"browser screenshots: {path}")
