"""The session viewer and the key rotation in a real Chromium, served by gunicorn.

Screenshots of each step land in the test's folder under pytest's base
temp directory; ``pytest -m browser -rP`` prints it.
"""

import json

import pytest

import browsers
import helpers
import servers
from {{ cookiecutter.package_name }} import create_app

pytestmark = pytest.mark.browser

SECRET_KEY = "the browser test's key, long enough to be realistic"
USER = ("ada", "correct horse battery")
# The viewer's two decodes: the server's, checked with the key, and the
# one the page's script makes in the browser, shown once it has finished.
SERVER_DECODE = "pre.json:not(.browser-json)"
BROWSER_DECODE = "pre.browser-json"
# The colour the blueprint's own stylesheet gives the signature.
SIGNATURE_COLOUR = "rgb(163, 36, 107)"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The app as in production, with one user and the teaching pages."""
    folder = tmp_path_factory.mktemp("site")
    with browsers.serve(
        folder, [USER], SECRET_KEY=SECRET_KEY, TEACHING_PAGES=True
    ) as url:
        yield url


@pytest.fixture(scope="module")
def debug_site(tmp_path_factory):
    """The app in debug mode, the only mode with the key rotation demo.

    Served by ``flask run``, as debug mode is: gunicorn refuses it. One
    process, so that every request meets the one whose key rotated.
    """
    folder = tmp_path_factory.mktemp("debug-site")
    with browsers.serve(
        folder, [USER], servers.flask_run, SECRET_KEY=SECRET_KEY, DEBUG=True
    ) as url:
        yield url


def log_in(page, site):
    page.goto(f"{site}/auth/login")
    browsers.log_in(page, *USER)
    browsers.expect(page.locator("nav .who")).to_have_text(USER[0])


def decode(cookie):
    """Verify a session cookie with the servers' key, as the app does."""
    app = create_app({"SECRET_KEY": SECRET_KEY, **helpers.SERVING_SETTINGS})
    return helpers.decoded(app, cookie).data


def test_the_viewer_decodes_in_the_browser_what_the_server_decodes(
    page, site, tmp_path
):
    camera = browsers.Camera(page, tmp_path)
    print(f"Screenshots: {tmp_path}")
    log_in(page, site)

    page.locator("nav").get_by_role("link", name="Session viewer").click()
    browsers.expect(page.locator(BROWSER_DECODE)).to_be_visible()
    camera.shoot("session-viewer")

    server_decode = json.loads(page.inner_text(SERVER_DECODE))
    cookie = browsers.session_cookie(page)["value"]
    assert server_decode == helpers.as_json(decode(cookie))
    assert server_decode["user_id"] == 1
    assert helpers.cookie_fields(cookie).payload in page.inner_text(".cookie")
    assert json.loads(page.inner_text(BROWSER_DECODE)) == server_decode
    browsers.expect(page.locator(".part.signature")).to_have_css(
        "color", SIGNATURE_COLOUR
    )


def test_a_key_rotation_watched_in_the_viewer(page, debug_site, tmp_path):
    camera = browsers.Camera(page, tmp_path)
    print(f"Screenshots: {tmp_path}")
    verified_by = page.locator(".verified-by")
    log_in(page, debug_site)
    page.goto(f"{debug_site}/session")
    browsers.expect(verified_by).to_contain_text("the current key")
    before = helpers.cookie_fields(browsers.session_cookie(page)["value"])
    data = json.loads(page.inner_text(SERVER_DECODE))

    page.get_by_role("button", name="Rotate the secret key (demo)").click()
    browsers.expect(verified_by).to_contain_text("fallback key 1")
    browsers.expect(page.locator(".rotated")).to_contain_text(
        "rotated its secret key 1 time"
    )
    browsers.expect(page.locator(BROWSER_DECODE)).to_be_visible()
    camera.shoot("verified-by-the-fallback-key")
    assert page.inner_text(".part.signature") == before.signature

    page.reload()
    browsers.expect(verified_by).to_contain_text("the current key")
    browsers.expect(page.locator(BROWSER_DECODE)).to_be_visible()
    camera.shoot("signed-again-with-the-current-key")
    after = helpers.cookie_fields(browsers.session_cookie(page)["value"])
    assert page.inner_text(".part.signature") == after.signature
    assert after.signature != before.signature
    assert after.payload == before.payload
    assert json.loads(page.inner_text(SERVER_DECODE)) == data
