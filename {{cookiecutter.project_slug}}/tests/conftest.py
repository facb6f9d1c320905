import base64
import json
import os
from datetime import UTC, datetime

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

import databases
from {{ cookiecutter.package_name }} import create_app
from {{ cookiecutter.package_name }}.db import db

TEST_PASSWORD = "test-password"
TEST_SECRET_KEY = "a test key, long enough to be realistic: 0123456789"

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


@pytest.fixture(scope="session")
def postgres_url():
    """A PostgreSQL database the tests share and empty: ``TEST_DATABASE_URL``'s,
    or one on a throwaway server started for this test run."""
    if os.environ.get("TEST_DATABASE_URL"):
        yield os.environ["TEST_DATABASE_URL"]
        return
    server = databases.ThrowawayServer()
    try:
        yield server.start().create_database("tests")
    finally:
        server.stop()


@pytest.fixture
def database_url(tmp_path):
    """The app's database: a new SQLite file for each test."""
    return f"sqlite:///{tmp_path / 'test.sqlite'}"


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def each_database_url(request, tmp_path):
    """SQLite, then PostgreSQL: for modules whose tests must hold on both.

    Such a module makes it its ``database_url``.
    """
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def build_app(database_url):
    """Build apps on the test database: the test settings, then ``settings``.

    For the settings the factory itself reads, such as ``DEBUG``.
    """
    users = [("test", TEST_PASSWORD), ("other", TEST_PASSWORD)]
    databases.prepare_database(database_url, users)
    apps = []

    def make(**settings):
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": TEST_SECRET_KEY,
                "SQLALCHEMY_DATABASE_URI": database_url,
                "WTF_CSRF_ENABLED": False,
                "PASSWORD_HASH_METHOD": databases.FAST_HASHES,
                **settings,
            }
        )
        apps.append(app)
        return app

    yield make
    # Close the pooled connections now, not whenever the apps are collected.
    for app in apps:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def app(build_app):
    return build_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class AuthActions:
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


@pytest.fixture
def auth(client):
    return AuthActions(client)


def session_cookie(client, app):
    """The value of the session cookie the client holds, or None."""
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    return cookie.value if cookie else None


def now():
    return int(datetime.now(UTC).timestamp())


def mint(data, secret=TEST_SECRET_KEY, salt="cookie-session", signed_at=None):
    """Sign ``data`` with itsdangerous's defaults, as the seed snippet did.

    The seed snippet is the "better client-side sessions" Flask snippet
    this project grew from.

    ``signed_at`` (seconds since 1970) dates the signature, to make
    cookies that are old or from the future.
    """
    serializer = URLSafeTimedSerializer(secret, salt=salt)
    if signed_at is not None:
        serializer.signer = type(
            "FrozenSigner",
            (TimestampSigner,),
            {"get_timestamp": lambda self: signed_at},
        )
    return serializer.dumps(data)


def sign_json(data, secret=TEST_SECRET_KEY):
    """Sign ``data`` as ASCII JSON, which may spell out a lone surrogate."""
    payload = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=")
    return TimestampSigner(secret, salt="cookie-session").sign(payload).decode()


def escape_of(char):
    """How the commands write ``char``: a JSON-style escape."""
    return f"\\u{ord(char):04x}"
