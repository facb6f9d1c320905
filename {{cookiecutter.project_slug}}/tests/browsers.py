"""Plain helpers for the tests in a real Chromium: the site, screenshots, the cookie.

The sites run as in production (not debug, not testing) unless told,
so their session cookie is Secure: Chromium treats http://127.0.0.1 as
a secure context and sends it back. The ``chromium`` and ``page``
fixtures are in ``conftest.py``.
"""

import contextlib
import os

import pytest

import databases
import servers

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def playwright_api():
    """playwright's sync API; without it, skip the module that asks.

    The browser extra may not be installed. REQUIRE_BROWSER=1 says that
    these tests must run, and then a missing playwright is an error.
    """
    try:
        from playwright import sync_api
    except ModuleNotFoundError:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            raise
        pytest.skip(
            "playwright is not installed: pip install -e '.[browser]'",
            allow_module_level=True,
        )
    return sync_api


def expect(target):
    """playwright's ``expect``, imported when a test first asks, so that a
    run without the browser tests needs no playwright."""
    return playwright_api().expect(target)


@contextlib.contextmanager
def serve(folder, users=(), server=servers.gunicorn, **settings):
    """Serve the app under gunicorn (or another of ``servers``) from ``folder``,
    on a SQLite database of its own holding ``users``; yield its address."""
    database_url = f"sqlite:///{folder / 'app.sqlite'}"
    databases.prepare_database(database_url, users)
    port = servers.free_port()
    settings = {"SQLALCHEMY_DATABASE_URI": database_url, **settings}
    with server(port, settings, folder / "site.log"):
        yield f"http://127.0.0.1:{port}"


class Camera:
    """Numbered screenshots of a page, in one folder."""

    def __init__(self, page, folder):
        self.page = page
        self.folder = folder
        self.count = 0

    def shoot(self, step):
        self.count += 1
        path = self.folder / f"{self.count:02d}-{step}.png"
        self.page.screenshot(path=path, full_page=True)
        return path


def session_cookie(page):
    """The session cookie the browser holds, or None."""
    cookies = [c for c in page.context.cookies() if c["name"] == "session"]
    return cookies[0] if cookies else None


def log_in(page, username, password):
    """Fill in and send the login form the page shows."""
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
