"""Debian's headless chromium, driven by playwright, for the tests that look at a page.

The browser is /usr/bin/chromium (`.ci/run` installs it when missing); playwright never
downloads one. Without it a test is skipped, saying why, except in CI (CI=true), where it fails.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
# Headless as root, a fresh profile (playwright gives each launch a temporary one), and nothing
# that would reach out of the machine.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require_chromium() -> None:
    missing = [] if CHROMIUM.exists() else [f"{CHROMIUM} (apt-get install chromium)"]
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("playwright (the dev extra)")
    if missing:
        message = f"the browser tests need {' and '.join(missing)}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@contextmanager
def chromium() -> Iterator:
    """A headless chromium browser (playwright's Browser)."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class OfflinePage:
    """A page of a browser context with the network off; records every request."""

    def __init__(self, browser, site: Path, color_scheme: str = "light"):
        self.site = site.resolve()
        self.context = browser.new_context(
            offline=True, viewport={"width": 1400, "height": 900}, color_scheme=color_scheme
        )
        self.remote: list[str] = []  # requests that would have left the machine (aborted)
        self.outside: list[str] = []  # file requests outside the site
        self.failed: list[str] = []
        self.errors: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("request", self._request)
        self.page.on("requestfailed", lambda request: self.failed.append(request.url))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)

    def _route(self, route):
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            self.remote.append(route.request.url)
            route.abort()

    def _request(self, request):
        if not request.url.startswith("file://"):
            self.remote.append(request.url)
        elif not Path(request.url.removeprefix("file://")).is_relative_to(self.site):
            self.outside.append(request.url)

    def open(self, path: Path):
        self.page.goto(path.resolve().as_uri())
        self.page.wait_for_load_state("load")
        return self.page

    def assert_nothing_left_the_machine(self):
        assert sorted(set(self.remote)) == []
        assert self.outside == [] and self.failed == [] and self.errors == []

    def close(self):
        self.context.close()


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) of a PNG file; fails on anything that is not one."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


POPPLER = {tool: Path(f"/usr/bin/{tool}") for tool in ("pdftotext", "pdftoppm")}


def poppler(tool: str) -> str:
    """The path of one of Debian's poppler-utils (`.ci/run` installs them when missing); without
    it the test is skipped, saying why, except in CI, where it fails."""
    path = POPPLER[tool]
    if not path.exists():
        message = f"the PDF tests need {path} (apt-get install poppler-utils)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return str(path)


def ink_fraction(png: Path) -> float:
    """The share of a picture's pixels that are not (nearly) white: 0 for a blank page."""
    from PIL import Image

    with Image.open(png) as image:
        grey = image.convert("L")
        histogram = grey.histogram()
    return sum(histogram[:240]) / (grey.width * grey.height)
