"""End-to-end: the console in a real headless Chromium (Debian's), driven by Playwright.

The server is the real app (``create_app`` with the console's routes) under uvicorn in
a thread, on a free loopback port, over a world built like ``liaison demo``'s (see
``tests/unit/web/console_world.py``). Playwright never downloads a browser: it drives
``/usr/bin/chromium`` (``scripts/setup-browser`` installs it). Screenshots go to
``test-artifacts/e2e/``. Without Chromium or Playwright the tests skip and say why --
or fail, under CI or with LIAISON_REQUIRE_ALL=1 (``suite_support.missing``).
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "unit" / "web"))

from console_world import PASSWORD, World, make_world  # noqa: E402

from suite_support import missing  # noqa: E402

CHROMIUM = os.environ.get("LIAISON_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]

try:
    from playwright.sync_api import Browser, Page, sync_playwright
except ImportError:  # pragma: no cover - depends on the environment
    missing("the playwright package is not installed: run scripts/setup", allow_module_level=True)


@pytest.fixture(scope="session", autouse=True)
def chromium() -> str:
    """The browser every test here drives; its absence skips them (fails them under CI)."""
    if not Path(CHROMIUM).exists():
        missing(f"{CHROMIUM} is missing: run scripts/setup-browser to install Debian's chromium")
    return CHROMIUM


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    w = make_world(tmp_path_factory.mktemp("e2e"))
    yield w
    w.close()


@pytest.fixture(scope="session")
def base_url(world: World) -> Iterator[str]:
    import uvicorn

    from liaison.taxii.app import create_app
    from liaison.web import routes

    app = create_app(world.dz, world.dz_ex, extra_routes=routes(world.dz))
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise AssertionError("the console server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")  # not session: Playwright's loop must not outlive e2e
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    p = context.new_page()
    p.set_default_timeout(10_000)
    yield p
    context.close()


@pytest.fixture
def sign_in(page: Page, base_url: str) -> Callable[[str], Page]:
    def go(user: str) -> Page:
        page.goto(f"{base_url}/ui/login")
        page.get_by_label("Nom d'utilisateur").fill(user)
        page.locator("#password").fill(PASSWORD)
        page.locator("#login-submit").click()
        page.wait_for_url(f"{base_url}/ui/inbox")
        return page

    return go
