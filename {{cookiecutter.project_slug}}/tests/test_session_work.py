"""What a request's session writes, and the signer that signs it.

How fast this happens is the benchmark's to guard; these tests state what
comes out: one cookie when the session changed, none when it did not,
compression only where it pays, and signatures itsdangerous agrees with.
"""

import hashlib
from typing import NamedTuple

import pytest
from flask import Flask, session
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

import helpers
from {{ cookiecutter.package_name }}.sessions import (
    SessionSigner,
    SignedCookieSessionInterface,
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
    client.get("/write")
    return client


def test_the_signers_are_kept_until_the_keys_change(app):
    interface = app.session_interface
    first = interface.get_signers(app)

    assert interface.get_signers(app) is first

    app.config["SECRET_KEY_FALLBACKS"] = [OLD_SECRET]
    rebuilt = interface.get_signers(app)

    assert rebuilt is not first
    assert len(rebuilt) == 2


def test_a_new_key_signs_from_the_next_request_on(app, client):
    app.secret_key = "a key that replaced the first, 32 bytes or more"
    app.config["SECRET_KEY_FALLBACKS"] = [SECRET]

    client.get("/write")

    new_key = URLSafeTimedSerializer(app.secret_key, salt="cookie-session")
    assert new_key.loads(client.get_cookie("session").value) == {"visits": 2}


def test_a_changed_session_sends_one_cookie_that_holds_the_change(client):
    response = client.get("/write")

    (header,) = response.headers.getlist("Set-Cookie")
    reader = URLSafeTimedSerializer(SECRET, salt="cookie-session")
    value = header.partition(";")[0].partition("=")[2]
    assert reader.loads(value) == {"visits": 2}


def test_an_unchanged_session_is_read_but_not_sent_again(client):
    response = client.get("/read")

    assert response.json == {"visits": 1}
    assert "Set-Cookie" not in response.headers
    assert response.headers["Vary"] == "Cookie"


def test_a_small_session_is_not_compressed(app):
    size = SignedCookieSessionInterface.compress_min_size

    cookie = helpers.saved_cookie(app, {"a": "x" * (size - len('{"a":""}') - 1)})

    assert not cookie.startswith(".")
    assert cookie.count(".") == 2


def test_a_session_of_the_threshold_size_is_compressed(app):
    size = SignedCookieSessionInterface.compress_min_size
    data = {"a": "x" * (size - len('{"a":""}'))}

    cookie = helpers.saved_cookie(app, data)

    assert cookie.startswith(".")
    assert app.session_interface.decode(app, cookie) == data


# Empty, a plain JSON payload and a compressed one, as the interface makes them.
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
def test_the_signer_signs_byte_for_byte_as_itsdangerous_does(case, time_machine):
    options = {
        "salt": "cookie-session",
        "key_derivation": case.key_derivation,
        "digest_method": getattr(hashlib, case.digest_method),
    }
    time_machine.move_to(1_767_225_600, tick=False)
    ours = SessionSigner(SECRET, **options)
    theirs = TimestampSigner(SECRET, **options)

    for value in PAYLOADS:
        assert ours.sign(value) == theirs.sign(value)
        assert ours.unsign(theirs.sign(value)) == value


@pytest.mark.parametrize(
    "forge",
    [
        lambda signed: TimestampSigner(OLD_SECRET, salt="cookie-session").sign(b"v"),
        lambda signed: TimestampSigner(SECRET, salt="another-salt").sign(b"v"),
        lambda signed: signed.replace(b"v.", b"w.", 1),
        lambda signed: signed[:-2],
        lambda signed: signed + b"A",
        lambda signed: b"v.AAAAAA." + signed.rpartition(b".")[2],
    ],
    ids=["other key", "other salt", "changed value", "cut", "extended", "other time"],
)
def test_the_signer_refuses_what_its_key_did_not_sign(forge):
    signer = SessionSigner(SECRET, salt="cookie-session")

    assert signer.validate(signer.sign(b"v"))
    assert not signer.validate(forge(signer.sign(b"v")))


def test_the_signer_takes_one_key_only():
    # One signer per key is how the interface tells which key verified.
    with pytest.raises(TypeError, match="one key"):
        SessionSigner([OLD_SECRET, SECRET], salt="cookie-session")
