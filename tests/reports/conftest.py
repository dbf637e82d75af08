"""Fixtures shared by the HTML report's browser tests."""

from __future__ import annotations

from typing import Iterator

import pytest

from helpers.report_cdp import Chromium


@pytest.fixture(scope="module")
def chromium() -> Iterator[Chromium]:
    """One headless Chromium per test module (tests/helpers/report_cdp.py)."""
    browser = Chromium()
    try:
        yield browser
    finally:
        browser.close()
