import html
import json
import re
import shlex
import subprocess
import sys

import pytest

import helpers
{%- if cookiecutter.teaching_pages %}

# {"user_id":1}, with a signature no key made.
FORGED = "eyJ1c2VyX2lkIjoxfQ.aAAAAA.forged-signature"
# Two retired keys, oldest first, as SECRET_KEY_FALLBACKS lists them.
OLD_KEY = "a key two rotations old, long enough to be realistic"
NEWER_KEY = "a key one rotation old, long enough to be realistic"
{%- endif %}


def test_index_invites_a_visitor_to_log_in(client):
    page = client.get("/").get_data(as_text=True)

    assert "You are not logged in" in page
    assert 'href="/auth/login"' in page


def test_index_greets_the_user(client, auth):
    auth.login()

    page = client.get("/").get_data(as_text=True)

    assert "You are logged in as <strong>test</strong>" in page


def run_shown_command(page, payload=None):
    """Run the line of Python a page shows, as a reader would paste it.

    ``payload`` takes the place of the page's ``PAYLOAD`` placeholder.
    Returns the JSON it prints.
    """
    shown = re.search(r'<pre class="command"><code>(.*?)</code></pre>', page, re.S)
    python, *arguments = shlex.split(html.unescape(shown.group(1)))
    assert python == "python3"
    if payload is not None:
        assert arguments[-1] == "PAYLOAD"
        arguments[-1] = payload
    result = subprocess.run(
        [sys.executable, *arguments], capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout)


def test_the_home_page_shows_how_to_inflate_a_compressed_payload(client, auth, app):
    auth.login()
    page = client.get("/").text
    value = helpers.session_cookie(client, app)
    payload = value.rsplit(".", 2)[0]

    decoded = run_shown_command(page, payload)

    assert payload.startswith(".")  # a logged-in session is compressed
    assert decoded == helpers.decoded(app, value).data
    assert "starts with a dot" in page
{%- if cookiecutter.teaching_pages %}


def test_viewer_without_a_cookie_says_so(client):
    assert "sent no session cookie" in client.get("/session").get_data(as_text=True)


def test_viewer_takes_the_cookie_apart(client, auth, app):
    auth.login()
    client.get("/")  # shows the welcome message, and adds a CSRF token
    value = helpers.session_cookie(client, app)

    page = client.get("/session").get_data(as_text=True)

    payload, timestamp, signature = value.rsplit(".", 2)
    assert f'class="part payload">{payload.removeprefix(".")}</span>' in page
    assert f'class="part timestamp">{timestamp}</span>' in page
    assert f'class="part signature">{signature}</span>' in page
    decoded = re.search(r'<pre class="json">(.*?)</pre>', page, re.S).group(1)
    assert json.loads(decoded.replace("&#34;", '"'))["user_id"] == 1
    assert f"{len(value) + len('session=')} of 4093 bytes" in page
    assert "signed, not encrypted" in page
    assert "Idle deadline" in page
    assert "Absolute deadline" in page


def test_viewer_measures_against_the_browsers_limit_when_the_check_is_off(
    client, auth, app
):
    app.config["MAX_COOKIE_SIZE"] = 0
    auth.login()

    page = client.get("/session").get_data(as_text=True)

    assert " of 4093 bytes" in page


def test_viewer_marks_the_compression_flag(client, auth, app):
    auth.login()
    payload = helpers.session_cookie(client, app).rsplit(".", 2)[0]

    page = " ".join(client.get("/session").text.split())

    flag = '<span class="part flag">.</span>'
    assert f'{flag}<span class="part payload">{payload[1:]}</span>' in page
    assert '<dt class="flag">Compression flag</dt>' in page


def test_viewer_shows_no_flag_on_an_uncompressed_cookie(client):
    client.set_cookie("session", helpers.mint({"n": 1}))

    page = " ".join(client.get("/session").text.split())

    assert 'class="part flag"' not in page
    assert "The session as JSON, not compressed" in page


def test_viewers_inflating_line_prints_the_servers_decode(client, auth, app):
    auth.login()
    value = helpers.session_cookie(client, app)

    page = client.get("/session").text

    assert run_shown_command(page) == helpers.decoded(app, value).data


def test_viewer_says_the_current_key_verified_it(client, auth):
    auth.login()

    page = " ".join(client.get("/session").text.split())

    assert "Signature checked: the <strong>current key</strong>" in page


@pytest.mark.parametrize(("signed_with", "number"), [(OLD_KEY, 2), (NEWER_KEY, 1)])
def test_viewer_names_the_fallback_key_that_verified_it(
    client, app, signed_with, number
):
    app.config["SECRET_KEY_FALLBACKS"] = [OLD_KEY, NEWER_KEY]
    client.set_cookie("session", helpers.mint({"n": 1}, secret=signed_with))

    page = " ".join(client.get("/session").text.split())
    resigned = helpers.session_cookie(client, app)

    assert f"<strong>fallback key {number}</strong>" in page
    assert f"<code>SECRET_KEY_FALLBACKS[-{number}]</code>" in page
    assert "this response signs the cookie again with the current key" in page
    assert helpers.decoded(app, resigned).key_index == 0


def test_viewer_shows_the_csrf_token(client, app):
    app.config["WTF_CSRF_ENABLED"] = True
    client.get("/auth/login")

    page = client.get("/session").get_data(as_text=True)

    assert "csrf_token" in page
    assert "anti-forgery secret" in page


def test_viewer_explains_a_rejected_cookie(client):
    client.set_cookie("session", FORGED)

    page = client.get("/session").get_data(as_text=True)

    assert "Rejected" in page
    assert "bad signature" in page


def test_viewer_loads_the_browser_decoder_with_the_cookie_as_data(client, auth, app):
    auth.login()
    value = helpers.session_cookie(client, app)

    page = client.get("/session").get_data(as_text=True)

    assert f'data-cookie="{value}"' in page
    assert '<script type="module" src="/static/session-viewer.mjs"></script>' in page
    assert "cannot check the signature without the secret" in page


def test_viewer_hands_a_rejected_cookie_to_the_browser_too(client):
    client.set_cookie("session", FORGED)

    page = client.get("/session").get_data(as_text=True)

    assert f'data-cookie="{FORGED}"' in page


def test_viewer_escapes_the_cookie_in_the_attribute(client):
    client.set_cookie("session", 'x"><b>')

    page = client.get("/session").get_data(as_text=True)

    assert 'data-cookie="x&#34;&gt;&lt;b&gt;"' in page
{%- endif %}


{% if cookiecutter.teaching_pages -%}
@pytest.mark.parametrize("name", ["session-viewer.mjs", "session-cookie.mjs"])
{% else -%}
@pytest.mark.parametrize("name", ["session-cookie.mjs"])
{% endif -%}
def test_the_modules_are_served_as_javascript(client, name):
    with client.get(f"/static/{name}") as response:
        assert response.status_code == 200
        # Browsers refuse to run a module served under another type.
        assert response.mimetype == "text/javascript"


{% if cookiecutter.teaching_pages -%}
@pytest.mark.parametrize(
    "path", ["/", "/session", "/session/lab", "/auth/login", "/auth/register"]
)
{% else -%}
@pytest.mark.parametrize("path", ["/", "/auth/login", "/auth/register"])
{% endif -%}
def test_pages_have_no_inline_script_or_style(client, auth, path):
    auth.login()
    page = client.get(path).get_data(as_text=True)

    assert re.findall(r"<script[^>]*>(.*?)</script>", page, re.S) in ([], [""])
    assert not re.search(r"<script(?![^>]* src=)", page)
    assert "style=" not in page
    assert "<style" not in page


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/no-such-page", 404), ("DELETE", "/", 405)],
)
def test_errors_get_a_friendly_page(client, method, path, status):
    response = client.open(path, method=method)

    assert response.status_code == status
    assert "Back to the home page" in response.get_data(as_text=True)


def test_a_405_page_keeps_the_allow_header(client):
    response = client.get("/auth/logout")

    assert "POST" in response.headers["Allow"]


def test_an_unexpected_error_shows_no_traceback(app):
    app.config["TESTING"] = False
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    page = app.test_client().get("/boom").get_data(as_text=True)

    assert "Something went wrong" in page
    assert "secret internals" not in page
    assert "Traceback" not in page


def test_the_home_page_says_logging_out_clears_this_browser_only(client, auth):
    auth.login()

    text = " ".join(client.get("/").text.split())

    assert "Logging out clears the cookie in this browser only" in text
    assert "Signing out everywhere is what ends every copy" in text
