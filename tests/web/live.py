"""A real uvicorn server in a thread for the browser tests, and Debian's Chromium driven by Playwright.

The browser is ``/usr/bin/chromium`` from Debian (``make test`` installs the ``chromium``
package); Playwright never downloads a browser of its own here.
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from playwright.sync_api import Browser, Page

CHROMIUM = Path("/usr/bin/chromium")
PASSWORD = "remission-demo"


class LiveServer:
    """uvicorn serving ``app`` on a free port of 127.0.0.1 until :meth:`stop`."""

    def __init__(self, app: FastAPI) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LiveServer:
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=15)
        self._socket.close()


def require_chromium() -> None:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make system-packages` (Debian package chromium)")


def sign_in(page: Page, base: str, username: str) -> None:
    """Sign in through the page, with the keyboard as a user would (type, Tab, type, Enter)."""
    page.goto(f"{base}/sign-in")
    page.get_by_label("Username").fill(username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def signed_in_page(browser: Browser, base: str, username: str) -> Page:
    """A page in a fresh context (its own cookies) signed in as ``username``: a second user."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    sign_in(page, base, username)
    return page
