"""The work the session does on each request, counted rather than timed.

Every request of the app opens its session and many save it, so work that
could be done once, or not at all, must not creep back into the hot path.
"""

import hashlib
import inspect
import zlib
from typing import NamedTuple

import pytest
from flask import Flask, session
from itsdangerous import TimestampSigner

from {{ cookiecutter.package_name }}.sessions import (
    SessionSerializer,
    SessionSigner,
    SignedCookieSessionInterface,
    StrictJSON,
)

SECRET = "the current secret key, 32 bytes or more"
OLD_SECRET = "the previous secret key, also long enough"


@pytest.fixture
def app():
    app = Flask(__name__)
    app.config.update(TESTING=True, SECRET_KEY=SECRET)
    SignedCookieSessionInterface().init_app(app)

    @app.get("/write")
    def write():
        session["visits"] = session.get("visits", 0) + 1
        return "", 204

    @app.get("/read")
    def read():
        return dict(session)

    return app


@pytest.fixture
def client(app):
    client = app.test_client()
    # The first request builds the serializers; what follows is steady state.
    client.get("/write")
    return client


class Calls:
    """Stands in for a function or method and counts the calls to it."""

    def __init__(self, monkeypatch, owner, name):
        original = getattr(owner, name)
        self.count = 0

        def counted(*args, **kwargs):
            self.count += 1
            return original(*args, **kwargs)

        if isinstance(inspect.getattr_static(owner, name), staticmethod):
            counted = staticmethod(counted)
        monkeypatch.setattr(owner, name, counted)


def test_no_serializer_or_signer_is_built_per_request(client, monkeypatch):
    serializers = Calls(monkeypatch, SessionSerializer, "__init__")
    signers = Calls(monkeypatch, SessionSigner, "__init__")

    for _ in range(3):
        client.get("/write")

    assert serializers.count == 0
    assert signers.count == 0


def test_the_signing_key_is_not_derived_per_request(client, monkeypatch):
    derivations = Calls(monkeypatch, SessionSigner, "derive_key")

    for _ in range(3):
        client.get("/write")

    assert derivations.count == 0


def test_a_changed_session_is_dumped_once_and_signed_once(client, monkeypatch):
    dumps = Calls(monkeypatch, StrictJSON, "dumps")
    signatures = Calls(monkeypatch, SessionSigner, "get_signature")

    client.get("/write")

    assert dumps.count == 1
    assert signatures.count == 1


def test_an_unchanged_session_is_verified_but_neither_dumped_nor_signed(
    client, monkeypatch
):
    dumps = Calls(monkeypatch, StrictJSON, "dumps")
    signatures = Calls(monkeypatch, SessionSigner, "get_signature")
    verifications = Calls(monkeypatch, SessionSigner, "verify_signature")

    response = client.get("/read")

    assert response.json == {"visits": 1}
    assert verifications.count == 1
    assert dumps.count == 0
    assert signatures.count == 0


def test_a_small_session_is_not_compressed(client, monkeypatch):
    compressions = Calls(monkeypatch, zlib, "compress")

    client.get("/write")

    assert compressions.count == 0


def test_a_session_of_the_threshold_size_is_compressed(app, monkeypatch):
    compressions = Calls(monkeypatch, zlib, "compress")
    size = SessionSerializer.compress_min_size
    padding = size - len('{"a":""}')

    with app.test_request_context():
        session["a"] = "x" * padding
        response = app.make_response("")
        app.session_interface.save_session(app, session, response)

    assert compressions.count == 1
    assert "session=." in response.headers["Set-Cookie"]


# Empty, a plain JSON payload and a compressed one, as the serializer makes them.
PAYLOADS = (
    b"",
    b"eyJ1c2VyX2lkIjo3fQ",
    b".eJyrVkrOz0nNy1eyUkpKLMpMLAlJTSxOSS0uVqoFAGxrCPI",
)


class Derivation(NamedTuple):
    key_derivation: str
    digest_method: str


@pytest.mark.parametrize(
    "case",
    [
        Derivation("django-concat", "sha1"),
        Derivation("hmac", "sha1"),
        Derivation("concat", "sha256"),
    ],
    ids=lambda case: f"{case.key_derivation}-{case.digest_method}",
)
def test_the_signer_signs_byte_for_byte_as_itsdangerous_does(case, monkeypatch):
    options = {
        "salt": "cookie-session",
        "key_derivation": case.key_derivation,
        "digest_method": getattr(hashlib, case.digest_method),
    }
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: 1_767_225_600)
    ours = SessionSigner(SECRET, **options)
    theirs = TimestampSigner(SECRET, **options)

    for value in PAYLOADS:
        assert ours.sign(value) == theirs.sign(value)
        assert ours.unsign(theirs.sign(value)) == value


def test_the_signer_verifies_with_every_key_and_signs_with_the_newest():
    both = SessionSigner([OLD_SECRET, SECRET], salt="cookie-session")
    old = TimestampSigner(OLD_SECRET, salt="cookie-session")
    current = TimestampSigner(SECRET, salt="cookie-session")
    stranger = TimestampSigner("a key nobody was given", salt="cookie-session")

    assert both.validate(old.sign(b"value"))
    assert both.validate(current.sign(b"value"))
    assert not both.validate(stranger.sign(b"value"))
    assert current.validate(both.sign(b"value"))
