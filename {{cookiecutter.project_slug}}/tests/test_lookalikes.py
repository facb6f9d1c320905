"""Names that look alike: mixed scripts and UTS #39 skeletons."""

import sys
import unicodedata

import pytest

from {{ cookiecutter.package_name }} import lookalikes
from {{ cookiecutter.package_name }}.users import (
    USERNAME_MAX_LENGTH,
    USERNAME_PATTERN,
    USERNAME_SKELETON_MAX_LENGTH,
)


@pytest.mark.parametrize(
    "name",
    [
        "\u0430lice",  # a Cyrillic a among Latin letters
        "p\u0430yp\u0430l",
        "\u03b1lice",  # a Greek alpha
        "\u0441\u043e\u0440\u03b1",  # Cyrillic, then Greek
        "\u0570ello",  # an Armenian h
        "\u13a1lice",  # a Cherokee letter that looks like R
        "admin\u05d5",  # a Hebrew vav at the end
        "\u4e2d\u0438",  # Han with Cyrillic
        "\u3042\uac00",  # Hiragana with Hangul: Japanese and Korean
        "\u3105\u30a2",  # Bopomofo with Katakana: Chinese and Japanese
    ],
)
def test_a_name_that_mixes_scripts_is_mixed(name):
    assert lookalikes.mixes_scripts(name)


@pytest.mark.parametrize(
    "name",
    [
        "alice",
        "Ren\u00e9e_2",
        "\u03b5\u03bb\u03ad\u03bd\u03b7",  # Greek
        "\u0438\u0432\u0430\u043d",  # Cyrillic
        "\u0645\u0631\u06cc\u0645",  # Arabic
        "\u05d3\u05e0\u05d4",  # Hebrew
        "\u0905\u0928\u093f\u0932",  # Devanagari, with a vowel sign
        "\u5c71\u7530\u305f\u308d\u3046",  # Japanese: Han and Hiragana
        "\u30bf\u30ed\u30a6\u5c71\u7530\u305f",  # Katakana, Han and Hiragana
        "kim\uae40\u91d1",  # Korean: Latin, Hangul and Han
        "\u738b\u3128",  # Chinese with Bopomofo
        "tanaka\u7530\u4e2d",  # Latin with Han
        "user.42@example",  # digits and signs belong to every script
    ],
)
def test_a_name_in_one_writing_system_is_not_mixed(name):
    assert not lookalikes.mixes_scripts(name)


@pytest.mark.parametrize(
    ("name", "look_alike"),
    [
        ("cop", "\u0441\u043e\u0440"),  # all Cyrillic
        ("PAYPA", "\u03a1\u0391\u03a5\u03a1\u0391"),  # all Greek capitals
        ("bob", "\u042c\u041e\u042c"),  # Cyrillic capitals
        ("Alice", "AIice"),  # a capital I for the l
        ("hello1", "hellol"),
        ("modern", "rnodern"),
        ("alice", "\u0430lice"),
        ("alice", "\uff41lice"),  # fullwidth
        ("Ivan", "lvan"),
    ],
)
def test_names_that_look_alike_share_a_skeleton(name, look_alike):
    skeleton = lookalikes.username_skeleton

    assert skeleton(name) == skeleton(look_alike)


@pytest.mark.parametrize(
    ("name", "other"),
    [("alice", "bob"), ("alice", "alicia"), ("\u0438\u0432\u0430\u043d", "ivan")],
)
def test_names_that_differ_have_different_skeletons(name, other):
    skeleton = lookalikes.username_skeleton

    assert skeleton(name) != skeleton(other)


def test_a_skeleton_leaves_invisible_characters_out():
    assert lookalikes.skeleton("al\u200bice") == lookalikes.skeleton("alice")


@pytest.mark.parametrize(
    ("character", "prototype"),
    [
        ("\u043e", "o"),  # Cyrillic o, looked like by many
        ("m", "rn"),  # a prototype of two letters
        ("\u0661", "l"),  # Arabic-Indic one
        ("\u2e35", "\u061b"),  # a prototype written right to left
    ],
)
def test_the_table_maps_a_character_to_its_prototype(character, prototype):
    assert lookalikes.prototypes()[character] == prototype


def test_no_prototype_is_itself_replaced():
    table = lookalikes.prototypes()

    replaced = {p for p in table.values() if any(c in table for c in p)}

    assert replaced == set()


def test_the_longest_username_skeleton_fits_its_column():
    # A Hangul syllable gives the longest skeleton of any character.
    name = "\ucb94" * USERNAME_MAX_LENGTH

    assert len(lookalikes.username_skeleton(name)) == USERNAME_SKELETON_MAX_LENGTH


@pytest.mark.slow
def test_no_character_of_a_username_has_a_longer_skeleton_than_its_share():
    share = USERNAME_SKELETON_MAX_LENGTH // USERNAME_MAX_LENGTH
    characters = set()
    for code_point in range(sys.maxunicode + 1):
        normal = unicodedata.normalize("NFKC", chr(code_point))
        if USERNAME_PATTERN.match(normal):
            characters.update(normal)

    assert max(len(lookalikes.username_skeleton(c)) for c in characters) == share
