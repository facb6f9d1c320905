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

    # What the walk for a value the encoder refused passes over without a
    # call: the encoder writes these as they are. Strings and integers are
    # checked on the JSON text instead (text_gives_reason).
    plain_types: frozenset[type] = frozenset({str, int, bool, type(None)})
    # What the closer walk still skips: these read back alike everywhere.
    readable_types: frozenset[type] = frozenset({bool, type(None)})

    # bytes.translate() table that turns each digit into "0", keeps quotes
    # and colons, and turns anything else into a space: the shape of the
    # text that text_gives_reason looks at.
    text_shape = bytes(
        0x30 if 0x30 <= b <= 0x39 else b if b in b'":' else 0x20 for b in range(256)
    )
    sixteen_digits = b"0" * len(str(max_safe_integer))
    # A key that was a number, in that shape: it ends with a digit.
    number_key = b'0":'
    literal_keys = ('"true":', '"false":', '"null":')
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

    @staticmethod
    def _refuse_type(value: Any) -> Any:
        raise TypeError(f"{type(value).__name__} is not JSON")

    # Built once: json.dumps and json.loads build a new one on every call
    # that passes options. The encoder refuses, in C, the types and floats
    # that JSON has no text for, so that a session holding none of them
    # costs no walk in Python.
    encoder = json.JSONEncoder(
        ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=_refuse_type
    )
    decoder = json.JSONDecoder(
        parse_constant=_refuse_constant, parse_float=_finite_float
    )

    @classmethod
    def dumps(cls, value: Any) -> str:
        try:
            text = cls.encoder.encode(value)
        except (TypeError, ValueError, RecursionError) as error:
            raise TypeError(f"session{cls.describe_refusal(value)}") from error
        if problem := cls.look_closer(value, text, written=True):
            raise TypeError(f"session{problem}")
        return text

    @classmethod
    def loads(cls, text: str) -> Any:
        data = cls.decoder.decode(text)
        if problem := cls.look_closer(data, text, written=False):
            raise ValueError(f"session{problem}")
        return data

    @classmethod
    def look_closer(cls, value: Any, text: str, *, written: bool) -> str | None:
        """What the value of JSON ``text`` holds that readers would disagree on.

        ``written`` says that the encoder has just written ``text`` from
        ``value``, whose keys need not all have been strings; a value read
        from JSON has string keys only.

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
        if cls.text_gives_reason(text, written):
            return cls.find_unstorable(value, cls.readable_types)
        return None

    @classmethod
    def describe_refusal(cls, value: Any) -> str:
        """Where and why the encoder refused ``value``: the walk finds it,
        unless the value nests past Python's own limit or holds itself."""
        try:
            problem = cls.find_unstorable(value, cls.plain_types)
        except RecursionError:
            problem = None
        return problem or f" nests deeper than {cls.max_depth} levels, or holds itself."

    @staticmethod
    def key_advice(key: Any) -> str:
        """What becomes of a key that is not a string, and the fix."""
        if key is None or isinstance(key, int | float):
            # What json would have written, quoted: True as "true".
            return (
                f"JSON keys are strings, so it would come back as"
                f" {json.dumps(key)!r}. Use a string key."
            )
        return "JSON keys are strings. Use a string key."

    @classmethod
    def text_gives_reason(cls, text: str, written: bool) -> bool:
        """Whether JSON text may hold what readers would read differently.

        Looking at every value one by one would add a call per value to
        every save and every load; this test of the whole text, in a few
        calls that run in C, rules that out for nearly every session:

        - an integer beyond ``max_safe_integer`` has 16 digits or more;
        - a lone surrogate is either in the text as it is, which UTF-8
          cannot encode, or escaped as ``\\udXXX`` after a backslash;
        - a key that was a number, True, False or None, which the encoder
          turns into a string without a word, is its JSON in quotes before
          a colon: a digit before ``":``, or ``"true":``. Inside a string
          the quotes would be escaped, so only a key looks like that.

        Digits in a string, a string key that ends with a digit, or any
        other escape also answer yes, and then the walk decides.
        """
        try:
            shape = text.encode("utf-8").translate(cls.text_shape)
        except UnicodeEncodeError:
            return True
        if "\\" in text or cls.sixteen_digits in shape:
            return True
        return written and (
            cls.number_key in shape or any(key in text for key in cls.literal_keys)
        )

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
                    return f" has the key {key!r}; {cls.key_advice(key)}"
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
