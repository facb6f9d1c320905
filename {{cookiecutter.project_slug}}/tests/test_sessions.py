"""The session interface on its own, in a bare Flask app: it needs nothing else.

"The seed snippet" is the "better client-side sessions" Flask snippet this
project grew from; it signs with itsdangerous's defaults, as we do.
"""

import base64
import json
import logging
import re
import secrets
import tracemalloc
import zlib
from collections.abc import Callable
from datetime import datetime
from typing import NamedTuple

import pytest
from flask import Flask, session
from itsdangerous import URLSafeTimedSerializer

import helpers
from {{ cookiecutter.package_name }}.sessions import (
    CookieTooLarge,
    SessionConfigError,
    SignedCookieSessionInterface,
)

SECRET = helpers.TEST_SECRET_KEY
OLD_SECRET = "the previous secret key, also long enough"
# The lifetime of the app below.
HOUR = 3600


@pytest.fixture
def app():
    app = Flask(__name__)
    app.config.update(TESTING=True, SECRET_KEY=SECRET, PERMANENT_SESSION_LIFETIME=HOUR)
    SignedCookieSessionInterface().init_app(app)

    @app.post("/set")
    def set_values():
        from flask import request

        session.update(request.get_json())
        return "", 204

    @app.get("/read")
    def read():
        return dict(session)

    @app.get("/untouched")
    def untouched():
        return "no session here"

    @app.post("/clear")
    def clear():
        session.clear()
        return "", 204

    return app


@pytest.fixture
def client(app):
    return app.test_client()


def cookie_of(client):
    cookie = client.get_cookie("session")
    return cookie.value if cookie else None


def test_round_trip(client):
    client.post("/set", json={"user_id": 7, "name": "Zoë", "cart": [1, 2]})

    assert client.get("/read").json == {"user_id": 7, "name": "Zoë", "cart": [1, 2]}


def test_cookie_is_plain_json_anyone_can_read(client):
    client.post("/set", json={"user_id": 7})

    payload = cookie_of(client).split(".")[0]
    assert json.loads(base64.urlsafe_b64decode(payload + "==")) == {"user_id": 7}


def test_large_repetitive_payload_is_compressed(client):
    client.post("/set", json={"notes": ["the same words again"] * 50})

    assert cookie_of(client).startswith(".")
    assert client.get("/read").json["notes"][49] == "the same words again"


def test_a_cookie_minted_by_the_seed_snippet_loads(client):
    client.set_cookie("session", helpers.mint({"user_id": 3, "note": "from the seed"}))

    assert client.get("/read").json == {"user_id": 3, "note": "from the seed"}


def test_our_cookie_loads_with_the_seed_serializer(client):
    client.post("/set", json={"user_id": 3})

    seed_serializer = URLSafeTimedSerializer(SECRET, salt="cookie-session")
    assert seed_serializer.loads(cookie_of(client)) == {"user_id": 3}


def flip(value, index):
    char = value[index]
    return value[:index] + ("A" if char != "A" else "B") + value[index + 1 :]


class Tampering(NamedTuple):
    name: str
    change: object


TAMPERINGS = [
    Tampering("payload character", lambda v: flip(v, 2)),
    Tampering("timestamp character", lambda v: flip(v, v.index(".") + 2)),
    Tampering("signature character", lambda v: flip(v, len(v) - 3)),
    Tampering("truncated", lambda v: v[:-1]),
    Tampering("appended byte", lambda v: v + "A"),
    Tampering("dropped signature", lambda v: v.rsplit(".", 1)[0]),
    Tampering("swapped fields", lambda v: ".".join(reversed(v.split(".")))),
    Tampering("not base64", lambda v: "!!!" + v),
    Tampering("empty fields", lambda v: ".."),
]


@pytest.mark.parametrize("tampering", TAMPERINGS, ids=lambda t: t.name)
def test_a_tampered_cookie_gives_an_empty_session(client, tampering):
    client.post("/set", json={"user_id": 7})
    client.set_cookie("session", tampering.change(cookie_of(client)))

    assert client.get("/read").json == {}


class Rejected(NamedTuple):
    name: str
    # Called inside the test, so that the cookie's age is counted from then.
    make_cookie: Callable[[], str]
    reason: str


SEED_SIGNER = URLSafeTimedSerializer(SECRET, salt="cookie-session").make_signer()
ZIP_BOMB = b"." + base64.urlsafe_b64encode(
    zlib.compress(b"[" + b"0," * 500_000 + b"0]")
)
# Deeper than Python's JSON reader goes, yet within the inflation limit.
TOO_DEEP = b"." + base64.urlsafe_b64encode(zlib.compress(b"[" * 30_000 + b"]" * 30_000))

REJECTED = [
    Rejected(
        "wrong key",
        lambda: helpers.mint({"user_id": 1}, secret="another key"),
        "bad signature",
    ),
    Rejected(
        "wrong salt",
        lambda: helpers.mint({"user_id": 1}, salt="other"),
        "bad signature",
    ),
    Rejected(
        "expired",
        lambda: helpers.mint({"a": 1}, signed_at=helpers.now() - HOUR - 1),
        "expired",
    ),
    Rejected(
        "future",
        lambda: helpers.mint({"a": 1}, signed_at=helpers.now() + HOUR),
        "future-dated",
    ),
    Rejected("a list", lambda: helpers.mint([1, 2]), "not an object"),
    Rejected("a string", lambda: helpers.mint("user_id"), "not an object"),
    Rejected(
        "not json", lambda: SEED_SIGNER.sign(b"bm90IGpzb24").decode(), "undecodable"
    ),
    Rejected(
        "zip bomb",
        lambda: SEED_SIGNER.sign(ZIP_BOMB.rstrip(b"=")).decode(),
        "inflates past",
    ),
    Rejected(
        "nested thirty thousand levels",
        lambda: SEED_SIGNER.sign(TOO_DEEP.rstrip(b"=")).decode(),
        "undecodable payload",
    ),
    Rejected("malformed", lambda: "no dots at all", "malformed"),
    Rejected("NaN", lambda: SEED_SIGNER.sign(b"eyJhIjpOYU59").decode(), "undecodable"),
    Rejected(
        "far future", lambda: helpers.mint({"a": 1}, signed_at=2**62), "out of range"
    ),
]


@pytest.mark.parametrize("case", REJECTED, ids=lambda case: case.name)
def test_a_rejected_cookie_is_logged_and_left_alone(client, caplog, case):
    client.set_cookie("session", case.make_cookie())

    with caplog.at_level(logging.INFO):
        response = client.get("/read")

    assert response.json == {}
    assert case.reason in caplog.text
    assert "Set-Cookie" not in response.headers
    assert cookie_of(client) is not None


def test_a_cookie_from_a_key_not_yet_known_survives_until_the_session_is_written(
    app, client
):
    """In a rollout, an instance without the new key must not end the session."""
    signed_with_the_new_key = helpers.mint({"user_id": 5}, secret=OLD_SECRET)
    client.set_cookie("session", signed_with_the_new_key)
    client.get("/read")
    app.config["SECRET_KEY_FALLBACKS"] = [OLD_SECRET]
    assert client.get("/read").json == {"user_id": 5}

    client.post("/set", json={"cart": [1]})

    assert client.get("/read").json == {"user_id": 5, "cart": [1]}
    assert cookie_of(client) != signed_with_the_new_key


def test_a_rejected_cookie_is_replaced_when_the_session_is_written(client):
    client.set_cookie("session", helpers.mint({"user_id": 1}, secret="another key"))

    client.post("/set", json={"cart": [1]})

    assert client.get("/read").json == {"cart": [1]}


@pytest.fixture
def flashing(app):
    from flask import flash, get_flashed_messages

    @app.post("/flash")
    def add_flash():
        flash("Saved.", "success")
        return "", 204

    @app.get("/flashes")
    def flashes():
        return repr(get_flashed_messages(with_categories=True))

    return app.test_client()


def test_flashes_come_back_as_category_and_message_tuples(flashing):
    flashing.post("/flash")

    assert flashing.get("/flashes").text == "[('success', 'Saved.')]"


BAD_FLASHES = [
    "Saved.",
    None,
    {"success": "Saved."},
    ["Saved."],
    [["success"]],
    [["success", "Saved.", "extra"]],
    [["success", 1]],
    [[None, "Saved."]],
    [[["success"], "Saved."]],
    [["info", "fine"], "not a pair"],
]


@pytest.mark.parametrize("flashes", BAD_FLASHES, ids=repr)
def test_flashes_of_the_wrong_shape_are_dropped(flashing, flashes):
    flashing.set_cookie("session", helpers.mint({"_flashes": flashes, "cart": [1]}))

    assert flashing.get("/flashes").text == "[]"
    assert flashing.get("/read").json == {"cart": [1]}


@pytest.mark.parametrize("flashes", BAD_FLASHES, ids=repr)
def test_a_flash_can_be_added_after_flashes_of_the_wrong_shape(flashing, flashes):
    flashing.set_cookie("session", helpers.mint({"_flashes": flashes}))

    assert flashing.post("/flash").status_code == 204
    assert flashing.get("/flashes").text == "[('success', 'Saved.')]"


def test_the_signature_timestamp_enforces_the_lifetime(client):
    client.set_cookie(
        "session", helpers.mint({"a": 1}, signed_at=helpers.now() - HOUR + 60)
    )
    assert client.get("/read").json == {"a": 1}

    client.set_cookie(
        "session", helpers.mint({"a": 1}, signed_at=helpers.now() - HOUR - 1)
    )
    assert client.get("/read").json == {}


def test_a_fallback_key_still_verifies_and_the_cookie_is_resigned(app, client):
    app.config["SECRET_KEY_FALLBACKS"] = [OLD_SECRET]
    client.set_cookie("session", helpers.mint({"user_id": 5}, secret=OLD_SECRET))

    response = client.get("/read")

    assert response.json == {"user_id": 5}
    assert "session=" in response.headers["Set-Cookie"]
    current = URLSafeTimedSerializer(SECRET, salt="cookie-session")
    assert current.loads(cookie_of(client)) == {"user_id": 5}


def test_a_current_key_cookie_is_not_resigned(app, client):
    app.config["SECRET_KEY_FALLBACKS"] = [OLD_SECRET]
    client.set_cookie("session", helpers.mint({"user_id": 5}))

    assert "Set-Cookie" not in client.get("/read").headers


def test_a_retired_key_no_longer_verifies(app, client):
    client.set_cookie("session", helpers.mint({"user_id": 5}, secret=OLD_SECRET))

    assert client.get("/read").json == {}


@pytest.mark.parametrize("fallbacks", ["old-key", b"old-key", 42])
def test_fallbacks_that_are_not_a_list_are_refused_at_start(fallbacks):
    app = Flask(__name__)
    app.config.update(SECRET_KEY=SECRET, SECRET_KEY_FALLBACKS=fallbacks)

    with pytest.raises(SessionConfigError, match="must be a list"):
        SignedCookieSessionInterface().init_app(app)


class Unstorable(NamedTuple):
    value: object
    message: str


@pytest.mark.parametrize(
    "case",
    [
        Unstorable(b"bytes", r"session\['value'\] holds a bytes.*\.hex\(\)"),
        Unstorable(datetime(2026, 1, 1), r"holds a datetime.*\.isoformat\(\)"),
        Unstorable({1, 2}, r"holds a set.*sorted list"),
        Unstorable(
            {"nested": [object()]}, r"session\['value'\]\['nested'\]\[0\] holds"
        ),
        Unstorable({1: "a"}, r"has the key 1.*come back as '1'"),
        Unstorable(float("nan"), r"nan, which JSON cannot represent"),
    ],
    ids=lambda case: type(case.value).__name__,
)
def test_a_value_json_cannot_hold_raises_type_error(app, case):
    with app.test_request_context():
        session["value"] = case.value
        response = app.make_response("")
        with pytest.raises(TypeError, match=case.message):
            app.session_interface.save_session(app, session, response)


def test_tuples_are_stored_as_lists(client):
    client.post("/set", json={})
    with client.session_transaction() as current:
        current["pair"] = ("a", 1)

    assert client.get("/read").json["pair"] == ["a", 1]


def test_an_oversized_cookie_raises_and_names_the_largest_keys(app):
    with app.test_request_context():
        session.update(big=secrets.token_urlsafe(4000), small=1)
        response = app.make_response("")
        with pytest.raises(CookieTooLarge, match=r"browsers drop.*'big' \(\d+ bytes\)"):
            app.session_interface.save_session(app, session, response)


def test_a_max_cookie_size_of_zero_turns_the_size_check_off(app):
    # As it turns off Flask's own warning: the app has chosen its limit.
    app.config["MAX_COOKIE_SIZE"] = 0
    value = secrets.token_urlsafe(4000)

    cookie = helpers.saved_cookie(app, {"big": value})

    assert len(cookie) > 4093
    assert app.session_interface.decode(app, cookie) == {"big": value}


def test_reading_the_session_adds_vary_cookie(client):
    assert "Cookie" in client.get("/read").headers["Vary"]


def test_vary_cookie_joins_a_vary_the_view_set(app):
    with app.test_request_context():
        session.get("anything")
        response = app.make_response("")
        response.vary.add("Accept-Encoding")
        app.session_interface.save_session(app, session, response)

    assert set(response.vary) == {"Accept-Encoding", "Cookie"}


def test_an_untouched_session_sets_no_cookie_and_no_vary(client):
    response = client.get("/untouched")

    assert "Set-Cookie" not in response.headers
    assert "Vary" not in response.headers


def test_an_unchanged_session_is_not_sent_again(client):
    client.post("/set", json={"a": 1})

    assert "Set-Cookie" not in client.get("/read").headers


def test_emptying_the_session_deletes_the_cookie(client):
    client.post("/set", json={"a": 1})

    response = client.post("/clear")

    assert "Expires=Thu, 01 Jan 1970" in response.headers["Set-Cookie"]
    assert cookie_of(client) is None


class Attributes(NamedTuple):
    config: dict
    present: list
    absent: list


@pytest.mark.parametrize(
    "case",
    [
        Attributes({}, ["HttpOnly", "SameSite=Lax", "Path=/"], ["Secure", "Domain"]),
        Attributes({"TESTING": False, "SESSION_COOKIE_SECURE": None}, ["Secure"], []),
        Attributes(
            {"TESTING": False, "DEBUG": True, "SESSION_COOKIE_SECURE": None},
            [],
            ["Secure"],
        ),
        Attributes({"SESSION_COOKIE_SAMESITE": "Strict"}, ["SameSite=Strict"], []),
        Attributes(
            {"SESSION_COOKIE_DOMAIN": "example.org", "SESSION_COOKIE_PATH": "/app"},
            ["Domain=example.org", "Path=/app"],
            [],
        ),
        Attributes(
            {"SESSION_COOKIE_PARTITIONED": True, "SESSION_COOKIE_SECURE": True},
            ["Partitioned", "Secure"],
            [],
        ),
    ],
)
def test_cookie_attributes_follow_the_config(app, case):
    app.config.update(case.config)
    with app.test_request_context():
        session["a"] = 1
        response = app.make_response("")
        app.session_interface.save_session(app, session, response)
    header = response.headers["Set-Cookie"]

    for attribute in case.present:
        assert attribute in header
    for attribute in case.absent:
        assert attribute not in header


class Refusal(NamedTuple):
    config: dict
    message: str


PRODUCTION = {"TESTING": False, "SESSION_COOKIE_SECURE": None}

REFUSALS = [
    Refusal({**PRODUCTION, "SECRET_KEY": "short"}, "SECRET_KEY is 5 bytes"),
    Refusal(
        {**PRODUCTION, "SECRET_KEY_FALLBACKS": ["old"]},
        "a key in SECRET_KEY_FALLBACKS is 3 bytes",
    ),
    Refusal(
        {**PRODUCTION, "SESSION_COOKIE_SECURE": False}, "SESSION_COOKIE_SECURE is False"
    ),
    Refusal({"SESSION_COOKIE_SAMESITE": "None"}, "'None' but the cookie is not Secure"),
    Refusal({"SESSION_COOKIE_NAME": "__Host-session"}, "needs a Secure cookie"),
    Refusal({"SESSION_COOKIE_NAME": "__Secure-session"}, "needs a Secure cookie"),
    Refusal(
        {
            "SESSION_COOKIE_NAME": "__Host-session",
            "SESSION_COOKIE_SECURE": True,
            "SESSION_COOKIE_DOMAIN": "example.org",
        },
        "forbids a Domain",
    ),
    Refusal(
        {
            "SESSION_COOKIE_NAME": "__Host-session",
            "SESSION_COOKIE_SECURE": True,
            "SESSION_COOKIE_PATH": "/app",
        },
        "needs Path=/",
    ),
    Refusal({"SESSION_REFRESH_AFTER": 2}, "SESSION_REFRESH_AFTER is 2"),
]


def bare_app(config):
    app = Flask(__name__)
    app.config.update(TESTING=True, SECRET_KEY=SECRET)
    app.config.update(config)
    return app


@pytest.mark.parametrize("case", REFUSALS, ids=lambda case: case.message)
def test_unsafe_settings_are_refused_at_start(case):
    with pytest.raises(SessionConfigError, match=re.escape(case.message)):
        SignedCookieSessionInterface().init_app(bare_app(case.config))


@pytest.mark.parametrize(
    "config",
    [
        {"TESTING": True, "SECRET_KEY": "short"},
        {"TESTING": False, "DEBUG": True, "SECRET_KEY": "short"},
        {**PRODUCTION},
        {"SESSION_COOKIE_NAME": "__Host-session", "SESSION_COOKIE_SECURE": True},
        {"SESSION_COOKIE_SAMESITE": "None", "SESSION_COOKIE_SECURE": True},
    ],
    ids=["short key in testing", "short key in debug", "production", "__Host-", "None"],
)
def test_sound_settings_are_accepted(config):
    app = bare_app(config)

    SignedCookieSessionInterface().init_app(app)

    assert isinstance(app.session_interface, SignedCookieSessionInterface)


def test_a_zip_bomb_is_refused_without_inflating_it(app):
    bomb = next(case.make_cookie() for case in REJECTED if case.name == "zip bomb")
    tracemalloc.start()
    with app.test_request_context(headers={"Cookie": f"session={bomb}"}):
        session_data = dict(session)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    assert session_data == {}
    assert peak < 512 * 1024


@pytest.mark.parametrize("spare_bits", [1, 2, 3])
def test_a_signature_with_its_spare_bits_changed_is_refused(client, spare_bits):
    client.post("/set", json={"user_id": 7})
    value = cookie_of(client)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(value[-1])
    client.set_cookie("session", value[:-1] + alphabet[last ^ spare_bits])

    assert client.get("/read").json == {}
