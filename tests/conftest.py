"""What the harness's own tests share: reading a generated page as a phone shows it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PHONE_WIDTH = 375


@dataclass
class PhoneView:
    """What headless Chromium saw of a page at phone width."""

    problems: list[str]  # console errors, page errors and every request that left the file
    text: str
    width: int  # the document's scroll width: more than PHONE_WIDTH means it does not fit
    matrix_labels: set[str]  # the column labels of the #matrix table's cells (cards on a phone)


@pytest.fixture
def read_on_phone() -> Callable[[Path, str], PhoneView]:
    """Open a one-file HTML page at 375 px in the browser target's Chromium (launched the same way)
    and save its screenshot as reports/NAME.png."""

    def read(page_path: Path, screenshot: str) -> PhoneView:
        from playwright.sync_api import sync_playwright

        from logoutspec.targets.browser import CHROMIUM, CHROMIUM_ARGS

        problems: list[str] = []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_ARGS))
            try:
                page = browser.new_page(viewport={"width": PHONE_WIDTH, "height": 800})
                page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
                page.on("pageerror", lambda error: problems.append(str(error)))
                page.on(
                    "request", lambda r: problems.append(r.url) if not r.url.startswith(("file:", "data:")) else None
                )
                page.goto(page_path.as_uri())
                view = PhoneView(
                    problems=problems,
                    text=page.inner_text("body"),
                    width=page.evaluate("document.documentElement.scrollWidth"),
                    matrix_labels=set(
                        page.eval_on_selector_all("#matrix td[data-label]", "cells => cells.map(c => c.dataset.label)")
                    ),
                )
                (ROOT / "reports").mkdir(exist_ok=True)
                page.screenshot(path=str(ROOT / "reports" / f"{screenshot}.png"))
            finally:
                browser.close()
        return view

    return read
