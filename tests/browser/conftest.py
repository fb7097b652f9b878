"""Browser tests: Debian's Chromium, driven by Playwright for Python, against the local stack serving
the built console (web/dist, built by `make console`; `make test` builds it first).

Playwright's own browser download cannot work here, so the browser is launched from
/usr/bin/chromium (the Makefile installs Debian's package when it is missing). Each person gets a
browser context of their own, as two people on two machines would.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from tests.e2e.conftest import ROOT, LocalStack, local_stack

BROWSER_DIR = Path(__file__).resolve().parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGUMENTS = [
    "--no-sandbox",  # as root (CI), the sandbox cannot start
    "--disable-gpu",
    "--disable-background-networking",  # without these Chromium keeps trying to reach outside hosts
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
# Screenshots for the README are written to docs/screenshots only when asked (make screenshots).
SCREENSHOTS = ROOT / "docs" / "screenshots" if os.environ.get("CONSOLE_SCREENSHOTS") else None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if BROWSER_DIR in item.path.parents:
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.xdist_group("browser"))


def launch(playwright: Playwright) -> Browser:
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        raise RuntimeError("Chromium is missing: `make install` installs Debian's chromium package")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGUMENTS, headless=True)


__all__ = ["local_stack"]  # the end-to-end tests' session stack, started again in this directory's worker


# Module scope: while Playwright's sync API is open it keeps an event loop running on this thread, so
# the end-to-end tests' asyncio.run() on the same worker would fail until it is closed.
@pytest.fixture(scope="module")
def browser(local_stack: LocalStack) -> Iterator[Browser]:
    if not (ROOT / "web" / "dist" / "index.html").is_file():
        raise RuntimeError("the console is not built: run `make console` (make test does)")
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            yield browser
        finally:
            browser.close()


class Person:
    """One person's browser context, signed in through the console's own sign-in."""

    def __init__(self, stack: LocalStack, context: BrowserContext, username: str) -> None:
        self.stack = stack
        self.context = context
        self.username = username
        self.page: Page = context.new_page()
        self.requests: list[str] = []
        self.page.on("request", lambda request: self.requests.append(f"{request.method} {request.url}"))

    def open(self, route: str) -> Page:
        """Loads the console afresh at a route (#/agent...): a new page load, not a hash change."""
        self.page.goto("about:blank")
        self.page.goto(f"{self.stack.api_url}/{route}")
        return self.page

    def calls(self, fragment: str) -> int:
        return sum(1 for request in self.requests if fragment in request)


def sign_in(page: Page, stack: LocalStack, username: str) -> None:
    """Signs in as a person would: the console's Sign in, the issuer's page (the local equivalent of
    Cognito's managed login), one click on the person; back in the console with a code exchanged
    for tokens (authorization code + PKCE, by oidc-client-ts)."""
    page.goto(f"{stack.api_url}/")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/oauth2/authorize"))
    page.get_by_role("button", name=re.compile(rf"\({re.escape(username)};")).click()
    page.get_by_role("button", name="Sign out").wait_for()


@pytest.fixture
def people(browser: Browser, local_stack: LocalStack) -> Iterator[Any]:
    contexts: list[BrowserContext] = []

    def person(username: str, *, viewport: dict[str, int] | None = None) -> Person:
        context = browser.new_context(viewport=viewport or {"width": 1280, "height": 720})
        contexts.append(context)
        person = Person(local_stack, context, username)
        sign_in(person.page, local_stack, username)
        return person

    yield person
    for context in contexts:
        context.close()


def no_serious_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical findings on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => (await window.axe.run(document, {resultTypes: ['violations']})).violations")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result
        if v["impact"] in ("serious", "critical")
    ]


def screenshot(page: Page, name: str) -> None:
    if SCREENSHOTS is not None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)
