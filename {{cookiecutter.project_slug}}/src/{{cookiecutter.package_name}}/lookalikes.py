"""Names that look alike: Unicode's rules against spoofing (UTS #39).

Two checks from the standard. A name must not mix scripts, beyond what
Japanese, Chinese or Korean writing mixes with Latin ("highly
restrictive"): a Cyrillic "а" among Latin letters makes a second "alice".
And two names whose skeletons are equal look alike, even when each keeps
to one script, such as Cyrillic "сор" and Latin "cop".

The data is Unicode's, as the confusable-homoglyphs package ships it: the
script of each character, and the confusables table. A change to these
rules or to that data changes the skeletons stored with the users: a
migration then computes them again.
"""

import functools
import re
import unicodedata

from confusable_homoglyphs import categories, confusables

# Unicode's Default_Ignorable_Code_Point: characters that show as nothing,
# such as zero-width spaces and the Hangul fillers, which \w counts as
# letters. Names that differ only by them look the same: a username may
# hold none, and a skeleton leaves them out. Python's unicodedata has no
# such property; these are its ranges.
INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f"
    "\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)
# Digits, punctuation and combining marks belong to every script.
SHARED_SCRIPTS = frozenset({"COMMON", "INHERITED"})
# UTS #39's "highly restrictive" level: one script, or one of these sets.
WRITING_SYSTEMS = (
    frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),  # Japanese
    frozenset({"LATIN", "HAN", "BOPOMOFO"}),  # Chinese with its phonetic letters
    frozenset({"LATIN", "HAN", "HANGUL"}),  # Korean
)
# The package copies each line's characters from the table's comments,
# where right-to-left ones stand between these marks.
DIRECTION_MARKS = str.maketrans("", "", "\u200e\u200f")


def scripts(text):
    """The scripts of the letters in ``text``, by their names in the data."""
    return {categories.alias(character) for character in text} - SHARED_SCRIPTS


def mixes_scripts(text):
    """Whether ``text`` mixes scripts more than UTS #39's highly restrictive
    level allows: "аlice" does, "ελένη", "山田たろう" and "kim김" do not."""
    used = scripts(text)
    return len(used) > 1 and not any(used <= system for system in WRITING_SYSTEMS)


def skeleton(text):
    """UTS #39's skeleton: equal for strings that look alike.

    Decomposed (NFD), without invisible characters, each character
    replaced by its prototype, such as Cyrillic "о" by Latin "o", then
    decomposed again.
    """
    text = INVISIBLE.sub("", unicodedata.normalize("NFD", text))
    table = prototypes()
    replaced = "".join(table.get(character, character) for character in text)
    return unicodedata.normalize("NFD", replaced)


@functools.cache
def prototypes():
    """Unicode's confusables table: each character's prototype.

    The package keeps each line of the table (a character, then the
    string it looks like) as an edge both ways, so the direction has to
    be read back. A prototype is never itself replaced, and is either
    longer than one character or looked like by several. A pair of
    single characters is one line, whose character came first.
    """
    neighbours = {}
    for key, entries in confusables.confusables_data.items():
        node = key.translate(DIRECTION_MARKS)
        neighbours.setdefault(node, set()).update(
            entry["c"].translate(DIRECTION_MARKS) for entry in entries
        )
    order = {node: index for index, node in enumerate(neighbours)}

    def is_prototype(node):
        return len(node) > 1 or len(neighbours[node]) > 1

    table = {}
    for node, linked in neighbours.items():
        if not is_prototype(node):
            (other,) = linked
            if is_prototype(other) or order[node] < order[other]:
                table[node] = other
    return table


def username_skeleton(username):
    """What ``username`` shares with every name it looks like, in any case.

    The skeleton first, so that capitals that look like Latin ones meet
    them, as Greek "ΡΑΥΡΑ" meets "PAYPA", before casefolding turns them
    into letters that do not ("ραυρα"); then casefolded, since a name is
    one account in any case; then the skeleton again, for the small
    letters that casefolding gave.
    """
    return skeleton(skeleton(username).casefold())
