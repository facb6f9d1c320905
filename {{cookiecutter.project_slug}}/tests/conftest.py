from datetime import UTC, datetime

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from {{ cookiecutter.package_name }} import create_app
from {{ cookiecutter.package_name }}.db import init_db
from {{ cookiecutter.package_name }}.users import create_user

TEST_PASSWORD = "test-password"
TEST_SECRET_KEY = "a test key, long enough to be realistic: 0123456789"


@pytest.fixture
def app(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": TEST_SECRET_KEY,
            "DATABASE": str(tmp_path / "test.sqlite"),
            "WTF_CSRF_ENABLED": False,
            # Fast hashes: the scrypt default costs a tenth of a second each.
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        }
    )
    with app.app_context():
        init_db()
        create_user("test", TEST_PASSWORD)
        create_user("other", TEST_PASSWORD)
    return app


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
    """Sign ``data`` the way the seed snippet does: itsdangerous's defaults.

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
