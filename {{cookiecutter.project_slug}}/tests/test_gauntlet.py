"""Thousands of hostile session cookies through the whole app: none may get in.
Then hostile tokens through the links that mails carry.

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
from {{ cookiecutter.package_name }} import tokens, users

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


# Hostile tokens, each kind made for the purpose of the link it is sent to.
# The account "test" has a confirmed address and one awaiting confirmation,
# so that the claims of a good token would hold for it.
CONFIRMED = "test@example.com"
AWAITING = "new@example.com"
LINKS = {tokens.RESET: "/auth/reset/", tokens.CONFIRM: "/account/confirm/"}
GOOD_CLAIMS = {
    tokens.RESET: {"user_id": 1, "epoch": 0, "email": CONFIRMED},
    tokens.CONFIRM: {"user_id": 1, "email": AWAITING},
}
WRONG_CLAIMS = {
    "user_id": [0, -1, 2**31, 2**63, 2**64, -(2**63) - 1, 1.0, "1", True, None, [1]],
    "epoch": ["0", 0.5, True, None, 2**64, [0]],
    "email": [None, 1, [CONFIRMED], {}],
}


def huge(purpose):
    return ["A" * 100_000, tokens.make(purpose, padding="A" * 50_000)]


def non_ascii(purpose):
    return ["ünïcödé", "\u202e\u200b", "😀.😀.😀"]


def dots_only(purpose):
    return [".", "..", "...", "." * 1000]


def nul(purpose):
    good = tokens.make(purpose, **GOOD_CLAIMS[purpose])
    return ["%00", good + "%00", "\x00"]


def percent_encoded(purpose):
    return ["%2e%2e", "%25", "%E2%80%AE", "%ff%fe", "%ED%B3%BF"]


def another_purpose(purpose):
    """Signed by the app with its own key, for another use."""
    others = [tokens.RESET, tokens.CONFIRM, "cookie-session", "login-device"]
    return [
        tokens.make(other, **GOOD_CLAIMS[purpose])
        for other in others
        if other != purpose
    ]


def session_cookie(purpose):
    return [
        helpers.mint(user_data()),
        helpers.mint(GOOD_CLAIMS[purpose]),
        FLASK_SERIALIZER.dumps(GOOD_CLAIMS[purpose]),
    ]


def expired_link(purpose):
    return [
        helpers.mint(
            GOOD_CLAIMS[purpose], salt=purpose, signed_at=helpers.now() - 10**6
        )
    ]


def wrong_key_link(purpose):
    return [helpers.mint(GOOD_CLAIMS[purpose], secret="another key", salt=purpose)]


def wrong_shape_claims(purpose):
    """Signed for this very purpose, but a claim has the wrong type or range."""
    made = []
    for claim, values in WRONG_CLAIMS.items():
        if claim in GOOD_CLAIMS[purpose]:
            made += [
                tokens.make(purpose, **{**GOOD_CLAIMS[purpose], claim: value})
                for value in values
            ]
    return made


def not_claims(purpose):
    serializer = tokens.serializer(purpose)
    return [serializer.dumps(value) for value in [[1], "user_id", 1, None, True]]


TOKEN_KINDS = [
    huge,
    non_ascii,
    dots_only,
    nul,
    percent_encoded,
    another_purpose,
    session_cookie,
    expired_link,
    wrong_key_link,
    wrong_shape_claims,
    not_claims,
]


@pytest.fixture
def linked_app(app):
    """The app, with the account "test" as a good link would find it."""
    with app.app_context():
        users.ask_for_email(1, CONFIRMED)
        users.confirm_email(1, CONFIRMED)
        users.ask_for_email(1, AWAITING)
    return app


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("purpose", [tokens.RESET, tokens.CONFIRM])
def test_no_hostile_link_gets_in_or_breaks_anything(linked_app, purpose, method):
    client = linked_app.test_client()
    with linked_app.app_context():
        hostile = {kind.__name__: kind(purpose) for kind in TOKEN_KINDS}
    outcomes = Counter()

    for kind, values in hostile.items():
        for token in values:
            response = client.open(
                LINKS[purpose] + token,
                method=method,
                data={"password": "a new password", "confirm": "a new password"},
            )
            outcomes[kind, response.status_code] += 1

    assert outcomes == Counter(
        {(kind, 400): len(values) for kind, values in hostile.items()}
    )
    with linked_app.app_context():
        test = users.get_user(1)
        assert (test.email, test.pending_email, test.epoch) == (CONFIRMED, AWAITING, 0)


@pytest.mark.parametrize("purpose", [tokens.RESET, tokens.CONFIRM])
def test_a_genuine_link_passes_the_same_door(linked_app, purpose):
    with linked_app.app_context():
        token = tokens.make(purpose, **GOOD_CLAIMS[purpose])

    response = linked_app.test_client().get(LINKS[purpose] + token)

    assert response.status_code == 200
