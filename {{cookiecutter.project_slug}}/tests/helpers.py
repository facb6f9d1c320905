"""Plain helpers the tests share: keys, cookies made by hand, form tokens.

The fixtures are in ``conftest.py``, which pytest loads by itself and
which is not meant to be imported; test modules ``import helpers``.
"""

import base64
import html
import json
import re
import shlex
import subprocess
import sys
from datetime import UTC, datetime
from typing import NamedTuple

import pytest
import sqlalchemy as sa
import time_machine
from click.testing import CliRunner
from flask.cli import cli
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from {{ cookiecutter.package_name }} import throttle, users
from {{ cookiecutter.package_name }}.db import db
from {{ cookiecutter.package_name }}.sessions import decode

TEST_PASSWORD = "test-password"
TEST_SECRET_KEY = "a test key, long enough to be realistic: 0123456789"
# The host Flask's test client asks for: an app built as production runs
# it, outside a flask command, refuses to start without TRUSTED_HOSTS.
TEST_HOSTS = ["localhost"]
# A mail server, which an app built as production runs it needs, and which
# tests that send nothing never reach.
MAIL_SETTINGS = {
    "MAIL_SERVER": "127.0.0.1",
    "MAIL_DEFAULT_SENDER": "Tests <no-reply@localhost>",
}
# What such an app needs besides its key.
SERVING_SETTINGS = {"TRUSTED_HOSTS": TEST_HOSTS, **MAIL_SETTINGS}


def environment_of(settings):
    """``settings`` as ``FLASK_``-prefixed environment variables, in JSON,
    which ``from_prefixed_env`` reads back exactly."""
    return {f"FLASK_{name}": json.dumps(value) for name, value in settings.items()}


# A character of each kind a terminal acts on instead of showing, and the
# ends of each range. (A lone surrogate is escaped too, but a session that
# holds one is refused as malformed: see the reason tests.)
UNSHOWABLE = [
    pytest.param("\x00", id="C0 NUL"),
    pytest.param("\x1b", id="C0 escape"),
    pytest.param("\x1f", id="C0 unit separator"),
    pytest.param("\x7f", id="DEL"),
    pytest.param("\x80", id="C1 first"),
    pytest.param("\x9b", id="C1 control sequence introducer"),
    pytest.param("\x9f", id="C1 last"),
    pytest.param("\u061c", id="arabic letter mark"),
    pytest.param("\u200e", id="left-to-right mark"),
    pytest.param("\u200f", id="right-to-left mark"),
    pytest.param("\u202a", id="left-to-right embedding"),
    pytest.param("\u202e", id="right-to-left override"),
    pytest.param("\u2066", id="left-to-right isolate"),
    pytest.param("\u2069", id="pop directional isolate"),
]

CSRF_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
SHOWN_COMMAND = re.compile(r'<pre class="command"><code>(.*?)</code></pre>', re.S)


def account(app, username):
    """The account ``username`` names, as the database has it now, or None."""
    with app.app_context():
        return users.get_user_by_name(username)


def signed_in(client):
    return "You are logged in as" in client.get("/").text


def flashes(client):
    """The messages flashed to ``client`` and not shown yet."""
    with client.session_transaction() as current:
        return [message for _, message in current.get("_flashes", [])]


def throttle_rows(app, name):
    """How many rows of the login throttle count attempts for ``name``."""
    with app.app_context():
        return db.session.scalar(
            sa.select(sa.func.count()).where(
                throttle.LoginAttempts.username_digest == throttle.digest(name)
            )
        )


class AuthActions:
    """Log a test client in and out, and change its password, through the forms."""

    def __init__(self, client):
        self._client = client

    def login(self, username="test", password=TEST_PASSWORD, next_path=None):
        query = {"next": next_path} if next_path is not None else {}
        return self._client.post(
            "/auth/login",
            query_string=query,
            data={"username": username, "password": password},
        )

    def logout(self):
        return self._client.post("/auth/logout")

    def change_password(self, current=TEST_PASSWORD, new="a new password", **kwargs):
        return self._client.post(
            "/auth/password",
            data={"current_password": current, "password": new, "confirm": new},
            **kwargs,
        )


def csrf_token(page):
    """The CSRF token of the form in the HTML ``page``."""
    return CSRF_TOKEN.search(page)[1]


def inline_script_or_style(page):
    """What the HTML ``page`` holds that the Content-Security-Policy would block:
    script in a <script> element, or style in an attribute or element."""
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", page, re.S)
    return [
        *filter(None, scripts),
        *re.findall(r"<script(?![^>]* src=)[^>]*>", page),
        *re.findall(r"style=|<style", page),
    ]


def run_shown_command(page, payload=None):
    """Run the line of Python a page shows, as a reader would paste it.

    ``payload`` takes the place of the page's ``PAYLOAD`` placeholder.
    Returns the JSON it prints.
    """
    python, *arguments = shlex.split(html.unescape(SHOWN_COMMAND.search(page)[1]))
    assert python == "python3"
    if payload is not None:
        assert arguments[-1] == "PAYLOAD"
        arguments[-1] = payload
    result = subprocess.run(
        [sys.executable, *arguments], capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout)


def session_cookie(client, app):
    """The value of the session cookie the client holds, or None."""
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    return cookie.value if cookie else None


def saved_cookie(app, data):
    """The cookie value the app's interface writes for a session holding ``data``."""
    with app.test_request_context():
        session = app.session_interface.session_class(data)
        session.modified = True
        response = app.response_class()
        app.session_interface.save_session(app, session, response)
    return response.headers["Set-Cookie"].partition(";")[0].partition("=")[2]


def decoded(app, value):
    """The cookie ``value`` verified as ``app`` verifies it: a ``DecodedCookie``."""
    interface = app.session_interface
    return decode(
        value,
        interface.signing_keys(app),
        max_age=interface.get_max_age(app),
        salt=interface.salt,
    )


class CookieFields(NamedTuple):
    payload: str
    timestamp: str
    signature: str


def cookie_fields(value):
    """A session cookie value's three fields; the payload keeps its leading dot."""
    return CookieFields(*value.rsplit(".", 2))


def as_json(data):
    """``data`` as it reads back from JSON: the flashes' tuples become lists."""
    return json.loads(json.dumps(data))


def now():
    return int(datetime.now(UTC).timestamp())


def mint(data, secret=TEST_SECRET_KEY, salt="cookie-session", signed_at=None):
    """Sign ``data`` the way the seed snippet does: itsdangerous's defaults.

    The seed snippet is the "better client-side sessions" Flask snippet
    this project grew from; its cookies and ours are the same format.

    ``signed_at`` (seconds since 1970) dates the signature, to make
    cookies that are old or from the future.
    """
    serializer = URLSafeTimedSerializer(secret, salt=salt)
    if signed_at is None:
        return serializer.dumps(data)
    with time_machine.travel(signed_at, tick=False):
        return serializer.dumps(data)


def sign_json(data, secret=TEST_SECRET_KEY):
    """Sign ``data`` as ASCII JSON, which may spell out a lone surrogate."""
    payload = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=")
    return TimestampSigner(secret, salt="cookie-session").sign(payload).decode()


def escape_of(char):
    """How the commands write ``char``: a JSON-style escape."""
    return f"\\u{ord(char):04x}"


def flask_command(command, environment, folder, monkeypatch, answers=None):
    """Run ``flask COMMAND`` from ``folder`` in this process: the command
    group that ``python -m flask`` runs, reading the environment as it
    does, with ``TEST_SECRET_KEY`` unless ``environment`` sets a key."""
    monkeypatch.chdir(folder)
    environment = {
        "FLASK_APP": "{{ cookiecutter.package_name }}",
        "FLASK_SECRET_KEY": TEST_SECRET_KEY,
        **environment,
    }
    return CliRunner().invoke(cli, command, env=environment, input=answers)
