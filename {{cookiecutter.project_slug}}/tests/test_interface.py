"""The session interface in a bare Flask app: it needs nothing else.

What it opens from every kind of cookie is the format's to say (the shared
vectors, test_vectors.py); these tests are about what Flask sees: the
session, its flash messages, when a cookie is sent, and how.
"""

import logging
import secrets
from typing import NamedTuple

import pytest
from flask import Flask, flash, get_flashed_messages, request, session
from itsdangerous import URLSafeTimedSerializer

import helpers
from {{ cookiecutter.package_name }}.sessions import (
    CookieTooLarge,
    SignedCookieSessionInterface,
    decode,
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

    @app.post("/flash")
    def add_flash():
        flash("Saved.", "success")
        return "", 204

    @app.get("/flashes")
    def flashes():
        return repr(get_flashed_messages(with_categories=True))

    return app


@pytest.fixture
def client(app):
    return app.test_client()


def cookie_of(client):
    cookie = client.get_cookie("session")
    return cookie.value if cookie else None


def reads(value, secret=SECRET):
    """What ``value`` holds, read with ``secret`` as itsdangerous reads it."""
    return URLSafeTimedSerializer(secret, salt="cookie-session").loads(value)


def test_round_trip(client):
    client.post("/set", json={"user_id": 7, "name": "Zoë", "cart": [1, 2]})

    assert client.get("/read").json == {"user_id": 7, "name": "Zoë", "cart": [1, 2]}


def test_a_rejected_cookie_is_logged_and_left_alone(client, caplog):
    client.set_cookie("session", helpers.mint({"user_id": 1}, secret="another key"))

    with caplog.at_level(logging.INFO):
        response = client.get("/read")

    assert response.json == {}
    assert "Ignored the session cookie: bad signature" in caplog.text
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


def test_flashes_come_back_as_category_and_message_tuples(client):
    client.post("/flash")

    assert client.get("/flashes").text == "[('success', 'Saved.')]"


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


@pytest.mark.parametrize("held", [0, 9, 10, 40])
def test_a_session_keeps_the_newest_flashes_up_to_the_limit(client, held):
    limit = SignedCookieSessionInterface.max_flashes
    older = [["info", f"message {n}"] for n in range(held)]
    client.set_cookie("session", helpers.mint({"_flashes": older}))

    client.post("/flash")

    kept = [*[tuple(pair) for pair in older], ("success", "Saved.")][-limit:]
    assert client.get("/flashes").text == repr(kept)


def test_an_unchanged_session_with_many_flashes_is_not_sent_again(client):
    flashes = [["info", f"message {n}"] for n in range(40)]
    client.set_cookie("session", helpers.mint({"_flashes": flashes}))

    response = client.get("/untouched")

    assert "Set-Cookie" not in response.headers
    assert "Vary" not in response.headers


@pytest.mark.parametrize("flashes", BAD_FLASHES, ids=repr)
def test_flashes_of_the_wrong_shape_are_dropped(client, flashes):
    client.set_cookie("session", helpers.mint({"_flashes": flashes, "cart": [1]}))

    assert client.get("/flashes").text == "[]"
    assert client.get("/read").json == {"cart": [1]}


@pytest.mark.parametrize("flashes", BAD_FLASHES, ids=repr)
def test_a_flash_can_be_added_after_flashes_of_the_wrong_shape(client, flashes):
    client.set_cookie("session", helpers.mint({"_flashes": flashes}))

    assert client.post("/flash").status_code == 204
    assert client.get("/flashes").text == "[('success', 'Saved.')]"


def test_the_lifetime_is_the_signatures_max_age(client):
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
    assert reads(cookie_of(client)) == {"user_id": 5}


def test_a_current_key_cookie_is_not_resigned(app, client):
    app.config["SECRET_KEY_FALLBACKS"] = [OLD_SECRET]
    client.set_cookie("session", helpers.mint({"user_id": 5}))

    assert "Set-Cookie" not in client.get("/read").headers


def test_a_retired_key_no_longer_verifies(app, client):
    client.set_cookie("session", helpers.mint({"user_id": 5}, secret=OLD_SECRET))

    assert client.get("/read").json == {}


def test_the_signing_keys_are_the_current_key_then_the_fallbacks_newest_first(app):
    app.config["SECRET_KEY_FALLBACKS"] = ["oldest", "newer"]

    assert app.session_interface.signing_keys(app) == (SECRET, "newer", "oldest")


def test_the_cookie_format_is_kept_until_the_keys_change(app):
    interface = app.session_interface
    first = interface.get_cookie_format(app)

    assert interface.get_cookie_format(app) is first

    app.config["SECRET_KEY_FALLBACKS"] = [OLD_SECRET]
    rebuilt = interface.get_cookie_format(app)

    assert rebuilt is not first
    assert rebuilt.keys == (SECRET, OLD_SECRET)


def test_a_new_key_signs_from_the_next_request_on(app, client):
    client.post("/set", json={"visits": 1})
    app.secret_key = "a key that replaced the first, 32 bytes or more"
    app.config["SECRET_KEY_FALLBACKS"] = [SECRET]

    client.post("/set", json={"visits": 2})

    assert reads(cookie_of(client), secret=app.secret_key) == {"visits": 2}


def test_a_changed_session_sends_one_cookie_that_holds_the_change(client):
    client.post("/set", json={"visits": 1})

    response = client.post("/set", json={"visits": 2})

    (header,) = response.headers.getlist("Set-Cookie")
    assert reads(header.partition(";")[0].partition("=")[2]) == {"visits": 2}


def test_an_unchanged_session_is_read_but_not_sent_again(client):
    client.post("/set", json={"visits": 1})

    response = client.get("/read")

    assert response.json == {"visits": 1}
    assert "Set-Cookie" not in response.headers
    assert response.headers["Vary"] == "Cookie"


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
    assert decode(cookie, [SECRET], max_age=HOUR).data == {"big": value}


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
