"""Only values that every reader reads alike, both ways.

JavaScript reads every number as a double, so an integer beyond
±(2**53 - 1) comes back as another number there; a string holding half
of a surrogate pair has no UTF-8 form, so nothing outside Python can read
it. The session refuses to write either and refuses a cookie that holds
one, whoever signed it. Each JSON reader also stops at its own depth of
nesting, so the format sets one limit that every reader keeps.
"""

import json
import re

import pytest
from flask import session
from itsdangerous import URLSafeTimedSerializer

import helpers
from {{ cookiecutter.package_name }}.sessions import InvalidSessionCookie, StrictJSON

LARGEST = 2**53 - 1

UNREADABLE = [
    pytest.param(2**53, id="2**53"),
    pytest.param(-(2**53), id="-2**53"),
    pytest.param(2**64, id="2**64"),
    pytest.param("\ud800", id="lone high surrogate"),
    pytest.param("\udc00", id="lone low surrogate"),
    pytest.param("before \udbff after", id="surrogate inside text"),
]

# Each of these sets off the cheap test on the JSON text, and is fine.
READABLE = [
    pytest.param(LARGEST, id="2**53 - 1"),
    pytest.param(-LARGEST, id="-(2**53 - 1)"),
    pytest.param(2.0**60, id="a large float"),
    pytest.param("12345678901234567890", id="digits in a string"),
    pytest.param("\U0001f36a", id="a surrogate pair"),
    pytest.param("tab\there, bell\x07", id="escaped control characters"),
    pytest.param("\\ud800", id="a backslash and the letters ud800"),
]


def mint(data):
    """A cookie the app's key signed over ``data`` as JSON with ``\\u`` escapes.

    Any writer may send a lone surrogate that way, as the standard ``json``
    module does by default.
    """
    return URLSafeTimedSerializer(
        helpers.TEST_SECRET_KEY, salt="cookie-session", serializer=json
    ).dumps(data)


@pytest.mark.parametrize("value", UNREADABLE)
def test_saving_an_unreadable_value_names_its_key(app, value):
    expected = re.escape("session['cart'][1]['count'] is ")

    with pytest.raises(TypeError, match=expected):
        helpers.saved_cookie(app, {"cart": [0, {"count": value}]})


def test_saving_an_unreadable_key_says_so(app):
    with pytest.raises(
        TypeError, match=r"session\['cart'\] has a key that is '\\ud800'"
    ):
        helpers.saved_cookie(app, {"cart": {"\ud800": 1}})


@pytest.mark.parametrize("value", READABLE)
def test_a_readable_value_round_trips(app, value):
    cookie = helpers.saved_cookie(app, {"value": value})

    assert app.session_interface.decode(app, cookie) == {"value": value}


@pytest.mark.parametrize("value", UNREADABLE)
def test_a_signed_cookie_holding_an_unreadable_value_is_malformed(app, value):
    with pytest.raises(InvalidSessionCookie) as caught:
        app.session_interface.decode(app, mint({"user_id": 1, "name": value}))

    assert caught.value.kind == "malformed"
    assert "session['name'] is " in str(caught.value)


WRAPPERS = [
    pytest.param(lambda inner: [inner], id="lists"),
    pytest.param(lambda inner: {"k": inner}, id="dicts"),
]


def nested(levels, wrap):
    """A session whose key ``a`` nests ``levels`` levels, the session the first.

    A short list beside it puts more brackets in the JSON text than there
    are levels, so that counting them cannot settle the depth.
    """
    value = 0
    for _ in range(levels - 1):
        value = wrap(value)
    return {"a": value, "b": [0]}


@pytest.mark.parametrize("wrap", WRAPPERS)
def test_a_session_may_nest_as_deep_as_the_limit(app, wrap):
    data = nested(StrictJSON.max_depth, wrap)

    cookie = helpers.saved_cookie(app, data)

    assert app.session_interface.decode(app, cookie) == data


@pytest.mark.parametrize("wrap", WRAPPERS)
def test_saving_a_session_nested_past_the_limit_says_so(app, wrap):
    with pytest.raises(TypeError, match="nests deeper than 64 levels"):
        helpers.saved_cookie(app, nested(StrictJSON.max_depth + 1, wrap))


def test_saving_a_list_that_holds_itself_says_so(app):
    loop = []
    loop.append(loop)

    with pytest.raises(TypeError, match="holds itself"):
        helpers.saved_cookie(app, {"loop": loop})


@pytest.mark.parametrize("wrap", WRAPPERS)
def test_a_signed_cookie_nested_past_the_limit_is_malformed(app, wrap):
    cookie = mint(nested(StrictJSON.max_depth + 1, wrap))

    with pytest.raises(InvalidSessionCookie) as caught:
        app.session_interface.decode(app, cookie)

    assert caught.value.kind == "malformed"
    assert "nests deeper than 64 levels" in str(caught.value)


@pytest.mark.parametrize("value", UNREADABLE)
def test_such_a_cookie_opens_an_empty_session(app, value):
    cookie = mint({"user_id": 1, "name": value})

    with app.test_request_context(headers={"Cookie": f"session={cookie}"}):
        assert dict(session) == {}
