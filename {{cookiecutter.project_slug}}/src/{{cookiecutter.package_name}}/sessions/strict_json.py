"""The session's JSON: compact, and refusing what readers would disagree on.

A session travels as JSON text that Python writes and that Python,
JavaScript and nginx's Lua read back. JSON leaves room for them to
disagree: on keys that are not strings, on very large integers, on
``NaN``, on half of a surrogate pair, on how deep values may nest.
:class:`StrictJSON` closes that room, on the way out and on the way in.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any


class StrictJSON:
    """Compact JSON that refuses what it would silently change.

    ``json.dumps`` turns ``{1: "a"}`` into ``{"1": "a"}`` and writes
    ``NaN``, which JavaScript's ``JSON.parse`` rejects; JavaScript reads
    ``2**53 + 1`` as ``2**53``; a string holding half of a surrogate pair
    has no UTF-8 form at all; and each reader gives up at a depth of
    nesting of its own. A session that reads back different from what was
    stored is a bug that shows up far from its cause, so such values raise
    ``TypeError`` on the spot, naming where they are, and a cookie holding
    one is refused when it is read. Tuples are the one exception: Flask's
    own ``flash()`` stores them, and they come back as lists.
    """

    #: The largest integer that every JSON reader holds exactly. JavaScript
    #: reads numbers as doubles, which turn 2**53 + 1 into 2**53.
    max_safe_integer = 2**53 - 1

    #: How deep lists and objects may nest, the session itself being the
    #: first level. Python's reader gives up near a thousand levels, the
    #: exact depth turning on the stack in use and the Python version, and
    #: others elsewhere; a limit of the format's own makes every reader
    #: refuse the same text.
    max_depth = 64

    # Nearly every value in a session is one of these, stored as it is; an
    # exact type check lets the walk skip them without a call. Strings and
    # integers are checked on the JSON text instead (may_hold_unreadable).
    plain_types: frozenset[type] = frozenset({str, int, bool, type(None)})
    # What the closer walk still skips: these read back alike everywhere.
    readable_types: frozenset[type] = frozenset({bool, type(None)})

    # bytes.translate() table that turns each digit into "0" and anything
    # else into a space, so that a run of 16 digits becomes sixteen_digits.
    digits_as_zeros = bytes(0x30 if 0x30 <= b <= 0x39 else 0x20 for b in range(256))
    sixteen_digits = b"0" * len(str(max_safe_integer))
    surrogate = re.compile("[\ud800-\udfff]")

    @staticmethod
    def _refuse_constant(name: str) -> Any:
        # Python reads NaN and Infinity; JSON, and so JavaScript, do not.
        raise ValueError(f"{name} is not JSON")

    @staticmethod
    def _finite_float(text: str) -> float:
        # 1e400 is valid JSON, but Python would read it as inf.
        number = float(text)
        if not math.isfinite(number):
            raise ValueError(f"{text} is out of range")
        return number

    # Built once: json.dumps and json.loads build a new one on every call
    # that passes options.
    encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
    decoder = json.JSONDecoder(
        parse_constant=_refuse_constant, parse_float=_finite_float
    )

    @classmethod
    def dumps(cls, value: Any) -> str:
        try:
            problem = cls.find_unstorable(value, cls.plain_types)
            if problem is None:
                text = cls.encoder.encode(value)
                problem = cls.look_closer(value, text)
        except RecursionError as error:
            # A thousand levels or so, or a list or dict that holds itself.
            raise TypeError(
                f"session nests deeper than {cls.max_depth} levels, or holds itself."
            ) from error
        if problem:
            raise TypeError(f"session{problem}")
        return text

    @classmethod
    def loads(cls, text: str) -> Any:
        data = cls.decoder.decode(text)
        if problem := cls.look_closer(data, text):
            raise ValueError(f"session{problem}")
        return data

    @classmethod
    def look_closer(cls, value: Any, text: str) -> str | None:
        """What the value of JSON ``text`` holds that readers would disagree on.

        The walks happen only where the text gives a reason. Text with no
        more ``[`` and ``{`` than :attr:`max_depth`, inside strings or not,
        cannot nest deeper than that; the depth is looked at first, since
        that walk is bounded and the other is not.
        """
        # The session's own object is the first level: max_depth - 1 below it.
        if text.count("[") + text.count("{") > cls.max_depth and (
            problem := cls.find_too_deep(value, cls.max_depth - 1)
        ):
            return problem
        if cls.may_hold_unreadable(text):
            return cls.find_unstorable(value, cls.readable_types)
        return None

    @classmethod
    def may_hold_unreadable(cls, text: str) -> bool:
        """Whether JSON text may hold a number or string others read differently.

        Looking at every number and string one by one would add a call per
        value to every save and every load; this test of the whole text, in
        a few calls that run in C, rules them out for nearly every session.
        An integer beyond ``max_safe_integer`` has 16 digits or more, and a
        lone surrogate is either in the text as it is, which UTF-8 cannot
        encode, or escaped as ``\\udXXX`` after a backslash. Digits in a
        string or any other escape also answer yes, and then the walk decides.
        """
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return "\\" in text or cls.sixteen_digits in data.translate(cls.digits_as_zeros)

    @classmethod
    def find_too_deep(cls, value: Any, room: int) -> str | None:
        """Describe where containers nest more than ``room`` levels below ``value``.

        Only containers are followed, and never further than ``room``, so
        that a deep value cannot exhaust the stack.
        """
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            if isinstance(item, dict | list | tuple):
                if room == 0:
                    return f"[{key!r}] nests deeper than {cls.max_depth} levels."
                if problem := cls.find_too_deep(item, room - 1):
                    return f"[{key!r}]{problem}"
        return None

    @classmethod
    def find_unstorable(cls, value: Any, skip: frozenset[type]) -> str | None:
        """Describe the first part of ``value`` that JSON cannot hold as it is.

        The description starts with where that part is, as subscripts such
        as ``['cart'][2]``. They are added on the way back out of the
        recursion, so that a session with nothing wrong, the usual case on
        every request, costs no string formatting at all. Values of the
        types in ``skip`` are passed over unseen.
        """
        if isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, str):
                    return (
                        f" has the key {key!r}; JSON keys are strings, so it"
                        f" would come back as {str(key)!r}. Use a string key."
                    )
                if type(item) not in skip and (
                    problem := cls.find_unstorable(item, skip)
                ):
                    return f"[{key!r}]{problem}"
            if str not in skip:
                for key in value:
                    if problem := cls.find_unstorable(key, skip):
                        return f" has a key that{problem}"
            return None
        if isinstance(value, list | tuple):
            for index, item in enumerate(value):
                if type(item) not in skip and (
                    problem := cls.find_unstorable(item, skip)
                ):
                    return f"[{index}]{problem}"
            return None
        if isinstance(value, str):
            if not cls.surrogate.search(value):
                return None
            return (
                f" is {value!r}, which holds half of a surrogate pair: UTF-8, and"
                " so JSON text, cannot encode it."
            )
        if isinstance(value, bool) or value is None:
            return None
        if isinstance(value, int):
            if -cls.max_safe_integer <= value <= cls.max_safe_integer:
                return None
            return (
                f" is {value}, beyond ±(2**53 - 1), which JavaScript would read"
                " rounded. Store it as a string."
            )
        if isinstance(value, float):
            if math.isfinite(value):
                return None
            return f" is {value!r}, which JSON cannot represent."
        return (
            f" holds a {type(value).__name__}, which JSON cannot store. Store"
            " str, int, float, bool, None, list or dict instead: a datetime as"
            " .isoformat(), bytes as .hex(), a set as a sorted list."
        )
