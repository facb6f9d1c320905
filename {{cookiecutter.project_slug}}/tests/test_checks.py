"""The settings the session interface refuses at start-up, and those it accepts."""

import re
from typing import NamedTuple

import pytest
from flask import Flask

import helpers
from {{ cookiecutter.package_name }}.sessions import (
    SessionConfigError,
    SignedCookieSessionInterface,
)

SECRET = helpers.TEST_SECRET_KEY


def bare_app(config):
    app = Flask(__name__)
    app.config.update(TESTING=True, SECRET_KEY=SECRET)
    app.config.update(config)
    return app


class Refusal(NamedTuple):
    config: dict
    message: str


PRODUCTION = {"TESTING": False, "SESSION_COOKIE_SECURE": None}

REFUSALS = [
    Refusal({"SECRET_KEY": None}, "SECRET_KEY is not set"),
    Refusal({**PRODUCTION, "SECRET_KEY": "short"}, "SECRET_KEY is 5 bytes"),
    Refusal(
        {**PRODUCTION, "SECRET_KEY_FALLBACKS": ["old"]},
        "a key in SECRET_KEY_FALLBACKS is 3 bytes",
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


@pytest.mark.parametrize("case", REFUSALS, ids=lambda case: case.message)
def test_unsafe_settings_are_refused_at_start(case):
    with pytest.raises(SessionConfigError, match=re.escape(case.message)):
        SignedCookieSessionInterface().init_app(bare_app(case.config))


# Every false value but None, in the types a config file or the
# environment (read as JSON) can give.
FALSE_VALUES = [False, 0, 0.0, "", b"", [], {}, ()]


@pytest.mark.parametrize("secure", FALSE_VALUES, ids=repr)
def test_a_false_secure_flag_is_refused_in_production(secure):
    app = bare_app({**PRODUCTION, "SESSION_COOKIE_SECURE": secure})

    with pytest.raises(SessionConfigError) as refusal:
        SignedCookieSessionInterface().init_app(app)

    assert str(refusal.value).startswith(
        f"SESSION_COOKIE_SECURE is {secure!r} outside debug and testing"
    )


@pytest.mark.parametrize("secure", FALSE_VALUES, ids=repr)
@pytest.mark.parametrize(
    "mode", [{"TESTING": True}, {"TESTING": False, "DEBUG": True}], ids=repr
)
def test_a_false_secure_flag_is_accepted_in_debug_and_testing(mode, secure):
    app = bare_app({**mode, "SESSION_COOKIE_SECURE": secure})

    SignedCookieSessionInterface().init_app(app)

    assert app.session_interface.get_cookie_secure(app) is False


# What the environment's JSON gives besides a string, each long enough.
NOT_KEYS = [
    pytest.param(int("1" * 40), id="integer"),
    pytest.param(1.5e40, id="float"),
    pytest.param(True, id="true"),
    pytest.param(False, id="false"),
    pytest.param(0, id="zero"),
    pytest.param([SECRET], id="list"),
    pytest.param({"key": SECRET}, id="object"),
]


@pytest.mark.parametrize("mode", [{"TESTING": True}, PRODUCTION], ids=repr)
@pytest.mark.parametrize("key", NOT_KEYS)
def test_a_secret_key_that_is_not_a_string_is_refused_by_name(key, mode):
    app = bare_app({**mode, "SECRET_KEY": key})

    with pytest.raises(SessionConfigError) as refusal:
        SignedCookieSessionInterface().init_app(app)

    assert str(refusal.value).startswith(
        f"SECRET_KEY must be a string, not {type(key).__name__}:"
    )


@pytest.mark.parametrize("mode", [{"TESTING": True}, PRODUCTION], ids=repr)
@pytest.mark.parametrize("key", NOT_KEYS)
def test_a_fallback_that_is_not_a_string_is_refused_by_name(key, mode):
    app = bare_app({**mode, "SECRET_KEY_FALLBACKS": [SECRET, key]})

    with pytest.raises(SessionConfigError) as refusal:
        SignedCookieSessionInterface().init_app(app)

    assert str(refusal.value).startswith(
        f"a key in SECRET_KEY_FALLBACKS must be a string, not {type(key).__name__}:"
    )


@pytest.mark.parametrize("setting", ["SECRET_KEY", "SECRET_KEY_FALLBACKS"])
def test_a_key_with_a_lone_surrogate_is_refused_by_name(setting):
    key = SECRET + "\ud800"
    app = bare_app({setting: key if setting == "SECRET_KEY" else [key]})

    with pytest.raises(SessionConfigError, match="holds a lone surrogate"):
        SignedCookieSessionInterface().init_app(app)


@pytest.mark.parametrize("fallbacks", ["old-key", b"old-key", 42])
def test_fallbacks_that_are_not_a_list_are_refused_at_start(fallbacks):
    app = bare_app({"SECRET_KEY_FALLBACKS": fallbacks})

    with pytest.raises(SessionConfigError, match="must be a list"):
        SignedCookieSessionInterface().init_app(app)


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
