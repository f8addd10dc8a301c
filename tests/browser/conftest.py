"""Browser fixtures: the session's app served on a free local port, and one headless Chromium per session.

Debian's Chromium is used as it is (no browser is ever downloaded); without it these tests skip with a how-to.
Data goes in through the builders inside `with app.app_context():` and is committed, so the server's threads
see it; the root conftest empties the tables after each test.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.servers import live_server as serving

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"  # git-ignored
# Screenshots are for people to look at; no assertion reads them. `make test` takes them in the SQLite pass only
# (STATUSPAGE_SCREENSHOTS=0 in the PostgreSQL pass, which checks the same screens): the two passes ran side by side
# and wrote the same files, and a full-page PNG costs the browser a quarter of a second of the CI's two cores.
PHOTOGRAPH = os.environ.get("STATUSPAGE_SCREENSHOTS", "1") != "0"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def live_server(app) -> Iterator[str]:
    """The app on 127.0.0.1 and a free port, in a daemon thread (tests/servers.py:live_server); its base URL."""
    with serving(app) as base:
        yield base


@pytest.fixture
def second_host() -> str:
    """A second page chosen by host (tests/conftest.py:place) is `localhost` here: Chromium reaches the live
    server's 127.0.0.1 by that name."""
    return "localhost"


@pytest.fixture
def place_origin(live_server, place) -> str:
    """Where Chromium asks for the place's page: the live server, by its host for a page chosen by host
    (a page chosen by /p/<slug> has that prefix before each path: place.prefix)."""
    return live_server.replace("127.0.0.1", place.host) if place.how == "host" else live_server


@pytest.fixture(scope="session")
def browser():
    """One Chromium for the whole session: starting it is the slow part."""
    if not CHROMIUM.exists():
        pytest.skip("Browser tests need Debian's Chromium at /usr/bin/chromium: run 'make chromium' "
                    "(or 'sudo apt-get install chromium').")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Tab:
    """A page in its own browser context, with every console error and uncaught exception it met."""

    page: object
    problems: list[str] = field(default_factory=list)

    def screenshot(self, name: str) -> None:
        """Write test-artifacts/<name>.png, for people to look at (no test reads it)."""
        if PHOTOGRAPH:
            ARTIFACTS.mkdir(exist_ok=True)
            self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture
def open_tab(browser, live_server, clock):
    """open_tab(path, viewport=..., color_scheme=...) opens a fresh context (own cookies) on the live server."""
    contexts = []

    def open_(path: str = "/", *, viewport: dict = DESKTOP, color_scheme: str = "light") -> Tab:
        context = browser.new_context(base_url=live_server, viewport=viewport, color_scheme=color_scheme,
                                      locale="en-US", timezone_id="Europe/Berlin")
        context.set_default_timeout(10_000)
        contexts.append(context)
        tab = Tab(context.new_page())
        tab.page.on("console", lambda message: tab.problems.append(f"console error: {message.text} "
                                                                   f"at {message.location}")
                    if message.type == "error" else None)
        tab.page.on("pageerror", lambda error: tab.problems.append(f"uncaught: {error}"))
        tab.page.goto(path)
        return tab

    yield open_
    for context in contexts:
        context.close()
