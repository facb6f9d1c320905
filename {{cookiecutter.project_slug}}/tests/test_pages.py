import json
import re

import pytest

from conftest import session_cookie


def test_index_invites_a_visitor_to_log_in(client):
    page = client.get("/").get_data(as_text=True)

    assert "You are not logged in" in page
    assert 'href="/auth/login"' in page


def test_index_greets_the_user(client, auth):
    auth.login()

    page = client.get("/").get_data(as_text=True)

    assert "You are logged in as <strong>test</strong>" in page


def test_viewer_without_a_cookie_says_so(client):
    assert "sent no session cookie" in client.get("/session").get_data(as_text=True)


def test_viewer_takes_the_cookie_apart(client, auth, app):
    auth.login()
    client.get("/")  # shows the welcome message, and adds a CSRF token
    value = session_cookie(client, app)

    page = client.get("/session").get_data(as_text=True)

    payload, timestamp, signature = value.rsplit(".", 2)
    assert f'<span class="part payload">{payload}</span>' in page
    assert f'class="part timestamp">{timestamp}</span>' in page
    assert f'class="part signature">{signature}</span>' in page
    decoded = re.search(r'<pre class="json">(.*?)</pre>', page, re.S).group(1)
    assert json.loads(decoded.replace("&#34;", '"'))["user_id"] == 1
    assert f"{len(value) + len('session=')} of 4093 bytes" in page
    assert "signed, not encrypted" in page
    assert "Idle deadline" in page
    assert "Absolute deadline" in page


def test_viewer_shows_the_csrf_token(client, app):
    app.config["WTF_CSRF_ENABLED"] = True
    client.get("/auth/login")

    page = client.get("/session").get_data(as_text=True)

    assert "csrf_token" in page
    assert "anti-forgery secret" in page


def test_viewer_explains_a_rejected_cookie(client):
    client.set_cookie("session", "eyJ1c2VyX2lkIjoxfQ.aAAAAA.forged-signature")

    page = client.get("/session").get_data(as_text=True)

    assert "Rejected" in page
    assert "bad signature" in page


@pytest.mark.parametrize("path", ["/", "/session", "/auth/login", "/auth/register"])
def test_pages_have_no_inline_script_or_style(client, path):
    page = client.get(path).get_data(as_text=True)

    assert "<script" not in page
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
