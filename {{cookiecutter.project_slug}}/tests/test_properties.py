"""Properties of the cookie format over generated sessions and generated tampering."""

import re
import unicodedata

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import helpers
from {{ cookiecutter.package_name }}.lookalikes import (
    prototypes,
    skeleton,
    username_skeleton,
)
from {{ cookiecutter.package_name }}.sessions import (
    CookieTooLarge,
    InvalidSessionCookie,
    decode,
    encode,
)
from {{ cookiecutter.package_name }}.users import (
    USERNAME_SKELETON_MAX_LENGTH,
    normal_username,
    username_problem,
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
json_objects = st.dictionaries(st.text(max_size=10), json_values, max_size=8)

KEY = helpers.TEST_SECRET_KEY
HOUR = 3600


def encoded(data):
    """``data`` as a cookie, or nothing to test if it is too large for one."""
    try:
        return encode(data, KEY)
    except CookieTooLarge:
        assume(False)


@given(data=json_objects)
@settings(max_examples=200)
def test_any_json_object_round_trips(data):
    assert decode(encoded(data), [KEY], max_age=HOUR).data == data


unsafe_integers = st.integers(min_value=2**53) | st.integers(max_value=-(2**53))
texts_with_a_lone_surrogate = st.builds(
    lambda before, half, after: before + half + after,
    st.text(max_size=5),
    st.characters(categories=["Cs"]),
    st.text(max_size=5),
)


@given(data=json_objects, key=st.text(max_size=10), number=unsafe_integers)
def test_any_integer_beyond_the_safe_range_is_refused(data, key, number):
    with pytest.raises(TypeError, match=re.escape(f"session[{key!r}] is {number},")):
        encode({**data, key: number}, KEY)


@given(data=json_objects, key=st.text(max_size=10), text=texts_with_a_lone_surrogate)
def test_any_text_with_a_lone_surrogate_is_refused(data, key, text):
    with pytest.raises(TypeError, match=re.escape(f"session[{key!r}] is {text!r},")):
        encode({**data, key: text}, KEY)


keys_that_are_no_strings = (
    st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.booleans()
    | st.none()
)


@given(data=json_objects, key=keys_that_are_no_strings, inside_a_list=st.booleans())
def test_any_key_that_is_no_string_is_refused(data, key, inside_a_list):
    inner = {key: "value"}
    session = {**data, "inner": [inner] if inside_a_list else inner}

    with pytest.raises(TypeError, match=re.escape(f"has the key {key!r};")):
        encode(session, KEY)


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


@given(data=json_objects, change=st.data())
@settings(max_examples=300)
def test_any_change_to_a_valid_cookie_is_refused(data, change):
    value = encoded(data)
    tampered = change.draw(tamperings(value))
    assume(tampered != value)

    with pytest.raises(InvalidSessionCookie):
        decode(tampered, [KEY], max_age=HOUR)


@given(
    name=st.text(
        st.characters(categories=["L", "N", "Pc", "Pd"]), min_size=1, max_size=64
    )
)
@settings(max_examples=300)
def test_the_skeleton_of_any_allowed_name_fits_its_column(name):
    assume(username_problem(name) is None)

    assert len(username_skeleton(normal_username(name))) <= USERNAME_SKELETON_MAX_LENGTH


def look_alike_groups():
    """Characters that share a prototype, each its own decomposition and a
    starter, so that normalising moves nothing around it."""
    groups = {}
    for character, prototype in prototypes().items():
        if (
            unicodedata.normalize("NFD", character) == character
            and unicodedata.combining(character) == 0
        ):
            groups.setdefault(prototype, []).append(character)
    return sorted(group for group in groups.values() if len(group) > 1)


LOOK_ALIKE_GROUPS = look_alike_groups()


@given(
    group=st.sampled_from(LOOK_ALIKE_GROUPS),
    before=st.text(max_size=8),
    after=st.text(max_size=8),
    data=st.data(),
)
@settings(max_examples=300)
def test_a_character_swapped_for_a_look_alike_keeps_the_skeleton(
    group, before, after, data
):
    one, other = data.draw(st.permutations(group))[:2]

    assert skeleton(before + one + after) == skeleton(before + other + after)
