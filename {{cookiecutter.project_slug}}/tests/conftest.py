import os
from datetime import UTC, datetime

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

import databases
from {{ cookiecutter.package_name }} import create_app
from {{ cookiecutter.package_name }}.db import db

TEST_PASSWORD = "test-password"
TEST_SECRET_KEY = "a test key, long enough to be realistic: 0123456789"


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
def app(database_url):
    users = [("test", TEST_PASSWORD), ("other", TEST_PASSWORD)]
    databases.prepare_database(database_url, users)
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": TEST_SECRET_KEY,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "WTF_CSRF_ENABLED": False,
            "PASSWORD_HASH_METHOD": databases.FAST_HASHES,
        }
    )
    yield app
    # Close the pooled connections now, not whenever the app is collected.
    with app.app_context():
        db.engine.dispose()


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
