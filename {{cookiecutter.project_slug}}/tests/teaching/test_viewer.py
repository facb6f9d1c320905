"""The session viewer: the request's own cookie, taken apart."""

import json
import re

import pytest

import helpers

# {"user_id":1}, with a signature no key made.
FORGED = "eyJ1c2VyX2lkIjoxfQ.aAAAAA.forged-signature"
# Two retired keys, oldest first, as SECRET_KEY_FALLBACKS lists them.
OLD_KEY = "a key two rotations old, long enough to be realistic"
NEWER_KEY = "a key one rotation old, long enough to be realistic"


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

    assert helpers.run_shown_command(page) == helpers.decoded(app, value).data


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


# Signed, but unreadable alike everywhere (see test_strict_json.py).
@pytest.mark.parametrize("value", [2**53, "\ud800"], ids=["2**53", "lone surrogate"])
def test_viewer_explains_a_signed_cookie_holding_an_unreadable_value(client, value):
    client.set_cookie("session", helpers.sign_json({"name": value}))

    response = client.get("/session")

    assert response.status_code == 200
    assert "Rejected" in response.get_data(as_text=True)


def test_viewer_loads_the_browser_decoder_with_the_cookie_as_data(client, auth, app):
    auth.login()
    value = helpers.session_cookie(client, app)

    page = client.get("/session").get_data(as_text=True)

    assert f'data-cookie="{value}"' in page
    assert (
        '<script type="module" src="/session/static/session-viewer.mjs"></script>'
        in page
    )
    assert "cannot check the signature without the secret" in page


def test_viewer_hands_a_rejected_cookie_to_the_browser_too(client):
    client.set_cookie("session", FORGED)

    page = client.get("/session").get_data(as_text=True)

    assert f'data-cookie="{FORGED}"' in page


def test_viewer_escapes_the_cookie_in_the_attribute(client):
    client.set_cookie("session", 'x"><b>')

    page = client.get("/session").get_data(as_text=True)

    assert 'data-cookie="x&#34;&gt;&lt;b&gt;"' in page
