"""Only values that every reader reads alike, both ways.

JavaScript reads every number as a double, so an integer beyond
±(2**53 - 1) comes back as another number there; a string holding half
of a surrogate pair has no UTF-8 form, so nothing outside Python can read
it. The session refuses to write either and refuses a cookie that holds
one, whoever signed it. Each JSON reader also stops at its own depth of
nesting, so the format sets one limit that every reader keeps. Values JSON
cannot hold at all are refused with the fix.

Cookies of each kind, as every reader must judge them, are in the shared
vectors (test_vectors.py).
"""

import re
from datetime import datetime
from typing import NamedTuple

import pytest

import helpers
from {{ cookiecutter.package_name }}.sessions import (
    InvalidSessionCookie,
    decode,
    encode,
)
from {{ cookiecutter.package_name }}.sessions.strict_json import StrictJSON

KEY = helpers.TEST_SECRET_KEY
HOUR = 3600
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


def round_trip(data):
    return decode(encode(data, KEY), [KEY], max_age=HOUR).data


@pytest.mark.parametrize("value", UNREADABLE)
def test_saving_an_unreadable_value_names_its_key(value):
    expected = re.escape("session['cart'][1]['count'] is ")

    with pytest.raises(TypeError, match=expected):
        encode({"cart": [0, {"count": value}]}, KEY)


def test_saving_an_unreadable_key_says_so():
    with pytest.raises(
        TypeError, match=r"session\['cart'\] has a key that is '\\ud800'"
    ):
        encode({"cart": {"\ud800": 1}}, KEY)


@pytest.mark.parametrize(
    ("key", "written_as"),
    [
        pytest.param(key, written_as, id=repr(key))
        for key, written_as in [
            (1, "'1'"),
            (-7, "'-7'"),
            (1.5, "'1.5'"),
            (1e100, "'1e+100'"),
            (True, "'true'"),
            (False, "'false'"),
            (None, "'null'"),
        ]
    ],
)
def test_saving_a_key_that_is_no_string_names_it(key, written_as):
    expected = rf"session\['cart'\]\[1\] has the key {re.escape(repr(key))};"

    with pytest.raises(
        TypeError, match=f"{expected}.*come back as {re.escape(written_as)}"
    ):
        encode({"cart": [0, {"count": 1, key: "a"}]}, KEY)


def test_a_string_key_that_looks_like_a_number_round_trips():
    data = {"1": "a", "true": ["b"], "null": {"-1.5e3": None}}

    assert round_trip(data) == data


@pytest.mark.parametrize("value", READABLE)
def test_a_readable_value_round_trips(value):
    assert round_trip({"value": value}) == {"value": value}


def test_reading_an_unreadable_value_names_its_key():
    # A writer that escapes text as ASCII can sign a lone surrogate.
    cookie = helpers.sign_json({"user_id": 1, "name": "\ud800"}, secret=KEY)

    with pytest.raises(InvalidSessionCookie, match=re.escape("session['name'] is ")):
        decode(cookie, [KEY], max_age=HOUR)


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
        Unstorable(float("nan"), r"nan, which JSON cannot represent"),
    ],
    ids=lambda case: type(case.value).__name__,
)
def test_a_value_json_cannot_hold_raises_type_error(case):
    with pytest.raises(TypeError, match=case.message):
        encode({"value": case.value}, KEY)


def test_tuples_are_stored_as_lists():
    assert round_trip({"pair": ("a", 1)}) == {"pair": ["a", 1]}


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
def test_a_session_may_nest_as_deep_as_the_limit(wrap):
    data = nested(StrictJSON.max_depth, wrap)

    assert round_trip(data) == data


@pytest.mark.parametrize("wrap", WRAPPERS)
def test_saving_a_session_nested_past_the_limit_says_so(wrap):
    with pytest.raises(TypeError, match="nests deeper than 64 levels"):
        encode(nested(StrictJSON.max_depth + 1, wrap), KEY)


def test_saving_a_list_that_holds_itself_says_so():
    loop = []
    loop.append(loop)

    with pytest.raises(TypeError, match="holds itself"):
        encode({"loop": loop}, KEY)
