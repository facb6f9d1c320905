"""Thousands of hostile session cookies through the whole app: none may get in.

On SQLite alone: a refused cookie never reaches a query, and the signed-in
user's lookup runs on PostgreSQL too in ``test_auth.py``.
"""

import base64
import random
import string
import zlib
from collections import Counter

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer

import helpers

COOKIES_PER_KIND = 800
B64_ALPHABET = string.ascii_letters + string.digits + "-_"
SIGNER = URLSafeTimedSerializer(
    helpers.TEST_SECRET_KEY, salt="cookie-session"
).make_signer()


def flask_builtin_serializer():
    app = Flask(__name__)
    app.secret_key = helpers.TEST_SECRET_KEY
    return SecureCookieSessionInterface().get_signing_serializer(app)


FLASK_SERIALIZER = flask_builtin_serializer()


def user_data():
    return {"user_id": 1, "epoch": 0, "issued_at": helpers.now()}


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def random_bytes(rng):
    raw = rng.randbytes(rng.randint(0, 300)).decode("latin-1")
    # Characters no HTTP header can carry never reach the app.
    return raw.translate({0: None, 10: None, 13: None})


def random_text(rng):
    text = "".join(chr(rng.randint(32, 0x2FFF)) for _ in range(rng.randint(1, 80)))
    return text.encode().decode("latin-1")


def broken_base64(rng):
    fields = ["".join(rng.choices(B64_ALPHABET + ".=+/", k=rng.randint(0, 60)))]
    return ".".join(fields * rng.randint(1, 4))


def wrong_key(rng):
    return helpers.mint(user_data(), secret=rng.randbytes(32).hex())


def wrong_salt(rng):
    return helpers.mint(
        user_data(), salt=rng.choice(["", "session", "cookie-session "])
    )


def flask_builtin_format(rng):
    """Flask's own session cookie, signed with our very key."""
    return FLASK_SERIALIZER.dumps({**user_data(), "n": rng.random()})


def expired(rng):
    return helpers.mint(
        user_data(), signed_at=helpers.now() - 7 * 24 * 3600 - rng.randint(1, 10**6)
    )


def future_dated(rng):
    # At least a minute ahead, so that it is still ahead when the request runs.
    return helpers.mint(user_data(), signed_at=helpers.now() + rng.randint(60, 10**6))


def oversize(rng):
    if rng.random() < 0.5:
        return "".join(rng.choices(B64_ALPHABET + ".", k=rng.randint(4096, 9000)))
    return helpers.mint({"notes": rng.randbytes(3000).hex()})


def not_an_object(rng):
    return helpers.mint(rng.choice([[1], "user_id", 1, None, True, [user_data()], 3.5]))


def zip_bomb(rng):
    inflated = b"[" + b"0," * rng.randint(50_000, 300_000) + b"0]"
    return SIGNER.sign(b"." + b64(zlib.compress(inflated, 9))).decode()


def invalid_utf8(rng):
    payload = b'{"user_id":1,"x":"' + rng.randbytes(8) + b'\xff\xfe"}'
    return SIGNER.sign(b64(payload)).decode()


WRONG_VALUES = {
    "user_id": [0, -1, 2**31, 2**63, 2**64, 1.0, "1", True, False, None, [1], {}],
    "epoch": ["0", 0.5, True, None, [0], {"n": 0}],
    "issued_at": ["now", 1.5e9, True, None, -1, 2**53, 10**30, [0]],
}
BAD_FLASHES = ["hi", {}, [["info"]], [["info", 1]], [[None, "x"]], [["a", "b", "c"]]]


def wrong_shape(rng):
    """Validly signed, but a login field has the wrong type or range."""
    data = user_data()
    for field in rng.sample(sorted(WRONG_VALUES), rng.randint(1, 3)):
        data[field] = rng.choice(WRONG_VALUES[field])
    if rng.random() < 0.5:
        data["_flashes"] = rng.choice(BAD_FLASHES)
    return helpers.mint(data)


def tampered(rng):
    value = helpers.mint(user_data())
    index = rng.randrange(len(value))
    replacement = rng.choice([c for c in B64_ALPHABET + "." if c != value[index]])
    return value[:index] + replacement + value[index + 1 :]


KINDS = [
    random_bytes,
    random_text,
    broken_base64,
    wrong_key,
    wrong_salt,
    flask_builtin_format,
    expired,
    future_dated,
    oversize,
    not_an_object,
    zip_bomb,
    invalid_utf8,
    tampered,
    wrong_shape,
]


@pytest.mark.slow
def test_no_hostile_cookie_gets_in_or_breaks_anything(app):
    rng = random.Random(2026)
    client = app.test_client(use_cookies=False)
    outcomes = Counter()

    for kind in KINDS:
        for _ in range(COOKIES_PER_KIND):
            value = kind(rng)
            response = client.get("/", headers={"Cookie": f"session={value}"})
            anonymous = "You are not logged in" in response.text
            outcomes[kind.__name__, response.status_code, anonymous] += 1

    assert sum(outcomes.values()) >= 11_000
    assert outcomes == Counter(
        {(kind.__name__, 200, True): COOKIES_PER_KIND for kind in KINDS}
    )


def test_a_genuine_cookie_passes_the_same_door(app):
    client = app.test_client(use_cookies=False)

    response = client.get(
        "/", headers={"Cookie": f"session={helpers.mint(user_data())}"}
    )

    assert "You are logged in as <strong>test</strong>" in response.text
