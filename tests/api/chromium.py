"""Debian's Chromium for the browser tests, driven by Playwright (never a browser Playwright
downloads): where it is, how it is started, and one launch every test module shares."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Final

import pytest
from playwright.sync_api import Browser, sync_playwright

CHROMIUM: Final = Path("/usr/bin/chromium")
CHROMIUM_ARGS: Final = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: No network but this machine: tiles fail fast, nothing leaves it.
LOCAL_ONLY: Final = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"


@contextmanager
def launched_chromium(args: Sequence[str] = CHROMIUM_ARGS) -> Iterator[Browser]:
    """Chromium started with ``args``; a clear failure when it is not installed."""
    if not CHROMIUM.exists():
        pytest.fail("no /usr/bin/chromium: run `make chromium` (apt-get install chromium)")
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=str(CHROMIUM), args=list(args))
        try:
            yield launched
        finally:
            launched.close()
