"""Browser-test support: Chromium via Playwright, pages on a live server, screenshots.

Chromium is Debian's (``apt-get install chromium``) or the one named by
``XIETONG_CHROMIUM``; Playwright's own browser downloads are not used.  Without it
the browser tests skip with the reason.  The fixtures are registered in
``tests/conftest.py``.
"""
import os
from pathlib import Path
import shutil

import pytest

DEMO_PASSWORD = "xietong-demo"
SCREENSHOTS = Path(__file__).parent / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TIMEOUT_MS = 10_000


def chromium_path():
    return os.environ.get("XIETONG_CHROMIUM") or shutil.which("chromium")


@pytest.fixture(scope="session")
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api")
    executable = chromium_path()
    if not executable:
        pytest.skip("no chromium installed: apt-get install chromium (CI installs it)")
    playwright = playwright_api.sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
    except Exception:
        playwright.stop()
        raise
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture
def open_page(browser):
    """``open_page(base_url)``: a page in a new browser context (empty profile, Chinese locale)."""
    contexts = []

    def make(base_url):
        context = browser.new_context(base_url=base_url, locale="zh-CN")
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(open_page, live_server):
    """A page on ``live_server`` (the project's workflows)."""
    return open_page(live_server)


@pytest.fixture
def shot(request):
    """``shot(page, "step")`` saves a full-page screenshot as ``<test-name>-<step>.png``."""
    def take(page, step: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{request.node.name}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path
    return take


def log_in(page, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    page.locator("#login-submit").click()


def log_out(page) -> None:
    page.locator("nav.navbar form button[type=submit]").click()


def watch(page) -> tuple[list, list, list]:
    """(CSP violations in the console, page errors, dialogs) as they happen on ``page``;
    dialogs are dismissed.  Tests assert all three stay empty."""
    violations, errors, dialogs = [], [], []
    page.on("console", lambda msg: violations.append(msg.text)
            if "Content Security Policy" in msg.text or "Content-Security-Policy" in msg.text else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    return violations, errors, dialogs
