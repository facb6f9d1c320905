"""Properties of the interface over generated sessions and generated tampering."""

import re

import pytest
from flask import Flask
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import helpers
from {{ cookiecutter.package_name }}.sessions import (
    CookieTooLarge,
    SignedCookieSessionInterface,
)

# Hundreds of generated cases each: run once per bake, with the slow tests.
pytestmark = pytest.mark.slow

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53 - 1), 2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=25,
)
# Any key but Flask's own "_flashes", whose value must be a list of
# (category, message) pairs: one of another shape is dropped on load.
session_keys = st.text(max_size=10).filter(lambda key: key != "_flashes")
json_objects = st.dictionaries(session_keys, json_values, max_size=8)


@pytest.fixture(scope="module")
def app():
    app = Flask(__name__)
    app.config.update(TESTING=True, SECRET_KEY=helpers.TEST_SECRET_KEY)
    SignedCookieSessionInterface().init_app(app)
    return app


def open_from(app, value):
    """The session the interface opens from a cookie value."""
    with app.test_request_context(headers={"Cookie": f"session={value}"}) as ctx:
        return dict(app.session_interface.open_session(app, ctx.request))


@given(data=json_objects)
@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_json_object_round_trips(app, data):
    try:
        value = helpers.saved_cookie(app, data)
    except CookieTooLarge:
        assume(False)

    assert open_from(app, value) == data


unsafe_integers = st.integers(min_value=2**53) | st.integers(max_value=-(2**53))
texts_with_a_lone_surrogate = st.builds(
    lambda before, half, after: before + half + after,
    st.text(max_size=5),
    st.characters(categories=["Cs"]),
    st.text(max_size=5),
)


@given(data=json_objects, key=st.text(max_size=10), number=unsafe_integers)
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_integer_beyond_the_safe_range_is_refused(app, data, key, number):
    with pytest.raises(TypeError, match=re.escape(f"session[{key!r}] is {number},")):
        helpers.saved_cookie(app, {**data, key: number})


@given(data=json_objects, key=st.text(max_size=10), text=texts_with_a_lone_surrogate)
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_text_with_a_lone_surrogate_is_refused(app, data, key, text):
    with pytest.raises(TypeError, match=re.escape(f"session[{key!r}] is {text!r},")):
        helpers.saved_cookie(app, {**data, key: text})


def flip_bit(value, index, bit):
    return value[:index] + chr(ord(value[index]) ^ (1 << bit)) + value[index + 1 :]


def swap_fields(value, first, second):
    fields = value.split(".")
    fields[first], fields[second] = fields[second], fields[first]
    return ".".join(fields)


def reencode(value, index):
    """Spell one field differently: padded, or in the standard alphabet."""
    fields = value.split(".")
    field = fields[index]
    fields[index] = field.replace("-", "+").replace("_", "/") + "=" * (-len(field) % 4)
    return ".".join(fields)


# What may follow inside a cookie value; a ";" would end it instead.
COOKIE_OCTETS = [chr(c) for c in range(0x21, 0x7F) if chr(c) not in '",;\\']


@st.composite
def tamperings(draw, value):
    kind = draw(st.sampled_from(["flip", "truncate", "append", "swap", "reencode"]))
    fields = value.count(".") + 1
    if kind == "flip":
        index = draw(st.integers(0, len(value) - 1))
        flipped = flip_bit(value, index, draw(st.integers(0, 6)))
        assume(flipped[index] in COOKIE_OCTETS)
        return flipped
    if kind == "truncate":
        return value[: draw(st.integers(0, len(value) - 1))]
    if kind == "append":
        return value + draw(st.sampled_from(COOKIE_OCTETS))
    if kind == "swap":
        first, second = draw(
            st.lists(st.integers(0, fields - 1), min_size=2, max_size=2)
        )
        return swap_fields(value, first, second)
    return reencode(value, draw(st.integers(0, fields - 1)))


@given(data=json_objects.filter(bool), change=st.data())
@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_change_to_a_valid_cookie_gives_an_empty_session(app, data, change):
    try:
        value = helpers.saved_cookie(app, data)
    except CookieTooLarge:
        assume(False)
    tampered = change.draw(tamperings(value))
    assume(tampered != value)

    assert open_from(app, tampered) == {}
