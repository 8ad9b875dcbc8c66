"""Browser tests: headless Chromium (Debian's, never a downloaded one) through Playwright,
the demo organisation in a live server, and screenshots for the user guides."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

IMG_DIR = Path(__file__).resolve().parents[2] / "docs" / "user-guide" / "img"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
PASSWORD = "demo-pass-2026"


def screenshot(page, name: str, *, full_page: bool = True) -> None:
    """Saves a guide's screenshot, only when asked (XINFANG_SCREENSHOTS=1): an ordinary
    test run must not rewrite files that are committed."""
    if os.environ.get("XINFANG_SCREENSHOTS") != "1":
        return
    IMG_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(IMG_DIR / name), full_page=full_page)


@pytest.fixture
def browser():
    executable = shutil.which("chromium")
    if executable is None:
        pytest.skip("Chromium is not installed")
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; Django's ORM calls in the
    # test body are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=executable,
            args=[
                "--no-sandbox",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        try:
            yield instance
        finally:
            instance.close()
            # While Playwright's loop runs in this thread, Django keeps the test's database
            # connections per context, out of reach of the test run's teardown: closed here,
            # or PostgreSQL refuses to drop the test database ("being accessed by other users").
            connections.close_all()


@pytest.fixture
def organisation(transactional_db):
    from xinfang.accounts.demo import create_demo_organisation
    from xinfang.petitions.categories import SEED_CATEGORIES
    from xinfang.petitions.models import Category

    create_demo_organisation(PASSWORD)
    # Transactional tests empty the tables afterwards, the seeded categories included.
    for order, (code, name, name_en) in enumerate(SEED_CATEGORIES):
        Category.objects.get_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "sort_order": order}
        )
