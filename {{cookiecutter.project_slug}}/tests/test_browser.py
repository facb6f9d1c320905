"""A visitor's journey through the app in a real Chromium, served by gunicorn.

The app runs as in production (not debug, not testing), so its session
cookie is Secure: Chromium treats http://127.0.0.1 as a secure context
and sends it back. Screenshots of each step land in the test's folder
under pytest's base temp directory; ``pytest -m browser -rP`` prints it.
"""

{% if cookiecutter.teaching_pages -%}
import json
{% endif -%}
import os
{% if cookiecutter.teaching_pages -%}
import struct
import zlib
{% endif %}
import pytest
from itsdangerous import URLSafeTimedSerializer

import databases
import helpers
import servers
{% if cookiecutter.teaching_pages -%}
from {{ cookiecutter.package_name }} import create_app
{% endif %}
pytestmark = pytest.mark.browser

try:
    from playwright.sync_api import expect, sync_playwright
except ModuleNotFoundError:
    # The browser extra is not installed. Skip, unless REQUIRE_BROWSER=1
    # says that these tests must run.
    if os.environ.get("REQUIRE_BROWSER") == "1":
        raise
    pytest.skip(
        "playwright is not installed: pip install -e '.[browser]'",
        allow_module_level=True,
    )

SECRET_KEY = "the browser test's key, long enough to be realistic"
{%- if cookiecutter.teaching_pages %}
PASSWORD = "correct horse battery"
{%- endif %}
# How long Flask-WTF's form tokens last by default.
FORM_LIFETIME = 3600
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
{%- if cookiecutter.teaching_pages %}
# The viewer's two decodes: the server's, checked with the key, and the
# one the page's script makes in the browser, shown once it has finished.
SERVER_DECODE = "pre.json:not(.browser-json)"
BROWSER_DECODE = "pre.browser-json"
{%- endif %}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The app under gunicorn, on a database of its own."""
    folder = tmp_path_factory.mktemp("site")
    database_url = f"sqlite:///{folder / 'app.sqlite'}"
    databases.prepare_database(database_url)
    settings = {"SECRET_KEY": SECRET_KEY, "SQLALCHEMY_DATABASE_URI": database_url}
    port = servers.free_port()
    with servers.gunicorn(port, settings, folder / "site.log"):
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def chromium():
    executable = servers.require("chromium", "REQUIRE_BROWSER")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_FLAGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    context = chromium.new_context(viewport={"width": 1000, "height": 800})
    yield context.new_page()
    context.close()


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
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")


def test_a_visit_from_registration_to_logout(page, site, tmp_path):
    camera = Camera(page, tmp_path)
    print(f"Screenshots: {tmp_path}")
    flashes = page.locator(".flash")
    signed_in_user = page.locator("nav .who")

    page.goto(f"{site}/auth/register")
    page.fill("#username", "ada")
    page.fill("#password", "correct horse battery")
    page.fill("#confirm", "correct horse battery")
    page.click("button[type=submit]")
    page.wait_for_url(f"{site}/auth/login")
    expect(flashes).to_have_text(["Your account is ready. Please log in."])
    camera.shoot("registered")

    page.reload()
    expect(flashes).to_have_count(0)
    camera.shoot("flash-shown-once")

    page.goto(f"{site}/auth/password")
    assert page.url == f"{site}/auth/login?next=/auth/password"
    expect(flashes).to_have_text(["Please log in to see that page."])
    log_in(page, "ada", "correct horse battery")
    page.wait_for_url(f"{site}/auth/password")
    expect(flashes).to_have_text(["Welcome, ada."])
    expect(signed_in_user).to_have_text("ada")
    camera.shoot("logged-in-to-next")

{%- if cookiecutter.teaching_pages %}

    page.goto(f"{site}/session")
    expect(page.locator(BROWSER_DECODE)).to_be_visible()
    viewer = camera.shoot("session-viewer")
    server_decode = json.loads(page.inner_text(SERVER_DECODE))
    cookie = session_cookie(page)["value"]
    assert server_decode == helpers.as_json(decode(cookie))
    assert server_decode["user_id"] == 1
    assert helpers.cookie_fields(cookie).payload in page.inner_text(".cookie")
    assert json.loads(page.inner_text(BROWSER_DECODE)) == server_decode
    assert distinct_colours(viewer.read_bytes()) > 16
{%- endif %}

    forged = tampered(session_cookie(page))
    page.context.add_cookies([forged])
    page.goto(site)
    expect(signed_in_user).to_have_count(0)
    expect(page.locator("nav").get_by_role("link", name="Log in")).to_be_visible()
    camera.shoot("cookie-tampered")
    # Ignored but left in place, as Flask leaves it: only a write replaces it.
    assert session_cookie(page)["value"] == forged["value"]

    page.goto(f"{site}/auth/login")
    page.locator("#csrf_token").evaluate(
        "(field, token) => { field.value = token; }", expired_form_token(page)
    )
    with page.expect_response(
        lambda response: response.request.method == "POST"
    ) as sent:
        log_in(page, "ada", "correct horse battery")
    expect(page.locator("main")).to_contain_text("This form has expired")
    camera.shoot("form-expired")
    assert sent.value.status == 400
    expect(signed_in_user).to_have_count(0)

    page.goto(f"{site}/auth/login")
    log_in(page, "ada", "correct horse battery")
    expect(signed_in_user).to_have_text("ada")
    page.get_by_role("button", name="Log out").click()
    expect(flashes).to_have_text(["You have been logged out."])
    expect(signed_in_user).to_have_count(0)
    camera.shoot("logged-out")


{%- if cookiecutter.teaching_pages %}


@pytest.fixture(scope="module")
def debug_site(tmp_path_factory):
    """The app in debug mode, the only mode with the key rotation demo.

    One worker, so that every request meets the process whose key rotated.
    """
    folder = tmp_path_factory.mktemp("debug-site")
    database_url = f"sqlite:///{folder / 'app.sqlite'}"
    databases.prepare_database(database_url, [("ada", PASSWORD)])
    settings = {
        "SECRET_KEY": SECRET_KEY,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "DEBUG": True,
    }
    port = servers.free_port()
    with servers.gunicorn(port, settings, folder / "debug.log"):
        yield f"http://127.0.0.1:{port}"


def test_a_key_rotation_watched_in_the_viewer(page, debug_site, tmp_path):
    camera = Camera(page, tmp_path)
    print(f"Screenshots: {tmp_path}")
    verified_by = page.locator(".verified-by")
    page.goto(f"{debug_site}/auth/login")
    log_in(page, "ada", PASSWORD)
    expect(page.locator("nav .who")).to_have_text("ada")
    page.goto(f"{debug_site}/session")
    expect(verified_by).to_contain_text("the current key")
    before = helpers.cookie_fields(session_cookie(page)["value"])
    data = json.loads(page.inner_text(SERVER_DECODE))

    page.get_by_role("button", name="Rotate the secret key (demo)").click()
    expect(verified_by).to_contain_text("fallback key 1")
    expect(page.locator(".rotated")).to_contain_text("rotated its secret key 1 time")
    expect(page.locator(BROWSER_DECODE)).to_be_visible()
    camera.shoot("verified-by-the-fallback-key")
    assert page.inner_text(".part.signature") == before.signature

    page.reload()
    expect(verified_by).to_contain_text("the current key")
    expect(page.locator(BROWSER_DECODE)).to_be_visible()
    camera.shoot("signed-again-with-the-current-key")
    after = helpers.cookie_fields(session_cookie(page)["value"])
    assert page.inner_text(".part.signature") == after.signature
    assert after.signature != before.signature
    assert after.payload == before.payload
    assert json.loads(page.inner_text(SERVER_DECODE)) == data
{%- endif %}


def tampered(cookie):
    """The cookie with one character of its payload changed.

    Not the last character of the signature: its low bits are base64
    padding, so some changes there would decode to the same signature.
    """
    value = cookie["value"]
    middle = len(helpers.cookie_fields(value).payload) // 2
    changed = "B" if value[middle] == "A" else "A"
    return {**cookie, "value": value[:middle] + changed + value[middle + 1 :]}


def expired_form_token(page):
    """A form token for the browser's session, signed before the form's lifetime.

    Flask-WTF keeps the token's secret in the session, which is readable
    JSON, and signs it with a timestamp as the session cookie is signed.
    """
    session = URLSafeTimedSerializer(SECRET_KEY, salt="cookie-session")
    secret = session.loads(session_cookie(page)["value"])["csrf_token"]
    signed_at = helpers.now() - FORM_LIFETIME - 60
    return helpers.mint(secret, SECRET_KEY, salt="wtf-csrf-token", signed_at=signed_at)
{%- if cookiecutter.teaching_pages %}


def decode(cookie):
    """Verify a session cookie with the servers' key, as the app does."""
    app = create_app({"SECRET_KEY": SECRET_KEY})
    return helpers.decoded(app, cookie).data


def distinct_colours(png):
    """Count the pixel colours of an 8-bit RGB(A) PNG, decoded with zlib alone."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, position = {}, 8
    while position < len(png):
        (length,) = struct.unpack(">I", png[position : position + 4])
        kind = png[position + 4 : position + 8]
        chunks.setdefault(kind, []).append(png[position + 8 : position + 8 + length])
        position += 12 + length
    width, height, depth, colour_type, _, _, interlace = struct.unpack(
        ">IIBBBBB", chunks[b"IHDR"][0]
    )
    assert (depth, colour_type, interlace) in {(8, 2, 0), (8, 6, 0)}
    pixel = 3 if colour_type == 2 else 4
    stride = width * pixel
    data = zlib.decompress(b"".join(chunks[b"IDAT"]))
    previous = bytearray(stride)
    colours = set()
    for row in range(height):
        start = row * (stride + 1)
        kind, line = data[start], bytearray(data[start + 1 : start + 1 + stride])
        unfilter(kind, line, previous, pixel)
        pixels = bytes(line)
        colours.update(pixels[i : i + pixel] for i in range(0, stride, pixel))
        previous = line
    return len(colours)


def unfilter(kind, line, previous, pixel):
    """Undo one PNG filter on a scanline, in place (PNG spec, section 9)."""
    if kind == 0:
        return
    for i in range(len(line)):
        left = line[i - pixel] if i >= pixel else 0
        up = previous[i]
        if kind == 1:
            line[i] = (line[i] + left) & 0xFF
        elif kind == 2:
            line[i] = (line[i] + up) & 0xFF
        elif kind == 3:
            line[i] = (line[i] + (left + up) // 2) & 0xFF
        elif kind == 4:
            upper_left = previous[i - pixel] if i >= pixel else 0
            estimate = left + up - upper_left
            nearest = min(
                (abs(estimate - left), 0, left),
                (abs(estimate - up), 1, up),
                (abs(estimate - upper_left), 2, upper_left),
            )[2]
            line[i] = (line[i] + nearest) & 0xFF
{%- endif %}
