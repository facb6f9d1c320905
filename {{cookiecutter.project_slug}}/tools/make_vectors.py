"""Write tests/vectors/sessions.json: session cookies and what they decode to.

Every cookie is made by real code with the clock frozen: this project's
session package (``sessions.encode``), Flask's built-in session interface
and the seed snippet's serializer (the seed snippet is the "better
client-side sessions" Flask snippet this project grew from, which signs
with itsdangerous's defaults). Every expected outcome is what
``sessions.decode()`` says about the cookie at the vector's time; each
case also states the outcome it is meant to show, and the script stops
rather than write a vector that does not show it.

The Python tests and the JavaScript verifier's tests both check every
vector, so the two implementations cannot drift apart unnoticed. After a
change to the session format, run it from the project's root::

    python tools/make_vectors.py
"""

import argparse
import json
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import time_machine
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import Signer, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode

from {{ cookiecutter.package_name }}.config import defaults
from {{ cookiecutter.package_name }}.sessions import (
    InvalidSessionCookie,
    decode,
    encode,
)
from {{ cookiecutter.package_name }}.sessions.checks import MIN_KEY_LENGTH
from {{ cookiecutter.package_name }}.sessions.cookie import (
    DEFAULT_SALT,
    CookieFormat,
    SessionSigner,
)

OUTPUT = Path(__file__).resolve().parent.parent / "tests" / "vectors" / "sessions.json"

#: Every vector is checked as of this moment: 2026-01-01 00:00:00 UTC.
NOW = 1767225600
#: PERMANENT_SESSION_LIFETIME for the vectors: one hour, so that the
#: expired cases are near the limit rather than years past it.
MAX_AGE = 3600
SALT = DEFAULT_SALT
MAX_DEPTH = CookieFormat.serializer.max_depth
SECRET = "vector secret: the current key, 32 bytes or more"
FALLBACK = "vector secret: the previous key, also long enough"
OLDEST = "vector secret: the key before that, long enough too"


def signer(secret: str = SECRET, salt: str = SALT) -> SessionSigner:
    """The signer that signs cookies for ``secret``."""
    return CookieFormat([secret], salt).signers[0]


def mint(data: Any, secret: str = SECRET, salt: str = SALT, at: int = NOW) -> str:
    """Sign ``data`` as the app does when it saves a session at ``at``."""
    with time_machine.travel(at, tick=False):
        return encode(data, secret, salt=salt)


def gzip_wrapped(data: bytes) -> bytes:
    """``data`` deflated in gzip's wrapping, the same bytes under every Python.

    ``gzip.compress`` writes a header that changed between Python versions;
    zlib's own gzip wrapping (``wbits=31``) does not.
    """
    compressor = zlib.compressobj(wbits=31)
    return compressor.compress(data) + compressor.flush()


def sign_payload(payload: bytes, at: int = NOW) -> str:
    """Sign a raw payload field, to make cookies that encode() would never write."""
    with time_machine.travel(at, tick=False):
        return signer().sign(payload).decode()


def sign_fields(payload_and_timestamp: bytes) -> str:
    """Sign fields as they are, without adding a timestamp."""
    return Signer.sign(signer(), payload_and_timestamp).decode()


def mint_flask_builtin(data: dict) -> str:
    with time_machine.travel(NOW, tick=False):
        app = Flask(__name__)
        app.secret_key = SECRET
        serializer = SecureCookieSessionInterface().get_signing_serializer(app)
        assert serializer is not None, "the app has a secret key"
        return serializer.dumps(data)


def mint_seed(data: dict) -> str:
    """The seed snippet's ``get_serializer(app).dumps(dict(session))``."""
    with time_machine.travel(NOW, tick=False):
        return URLSafeTimedSerializer(SECRET, salt="cookie-session").dumps(data)


def replace_field(cookie: str, index: int, value: str) -> str:
    fields = cookie.rsplit(".", 2)
    fields[index] = value
    return ".".join(fields)


def flip_last_bits(field: str) -> str:
    """Change the bits of the last character that base64 decoding ignores."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(field[-1])
    return field[:-1] + alphabet[last ^ 1]


def nested(levels: int, wrap: Callable[[Any], Any]) -> bytes:
    """A session whose key ``a`` nests ``levels`` levels, the session the first.

    ``wrap`` makes each level around the one inside it. A short list beside
    it puts more brackets in the text than there are levels, so that no
    reader can judge the depth by counting them. The innermost value is a
    number: Lua reads an empty list and an empty object alike, and would
    write either back as an object.
    """
    value: Any = 0
    for _ in range(levels - 1):
        value = wrap(value)
    return json.dumps({"a": value, "b": [0]}, separators=(",", ":")).encode()


def b64(data: bytes) -> str:
    return base64_encode(data).decode()


class Case(NamedTuple):
    name: str
    description: str
    cookie: str
    #: What the case is meant to show: "valid" or a failure code.
    shows: str
    secrets: tuple[str, ...] = (SECRET,)
    salt: str = SALT


def signed_but_malformed(name: str, description: str, payload: bytes) -> Case:
    """A case whose payload field, correctly signed, holds no session."""
    return Case(name, description, sign_payload(base64_encode(payload)), "malformed")


PLAIN = mint({"user_id": 42, "_fresh": True})
FLASHES = {"_flashes": [["success", "Your password was changed."]] * 6}
THIRTY_THOUSAND_LEVELS = b'{"a":' + b"[" * 30_000 + b"]" * 30_000 + b"}"
TOO_BIG = b'{"a":"' + b"0" * (CookieFormat.max_payload_size + 1) + b'"}'

CASES = [
    Case("plain", "A small session: plain JSON, not compressed.", PLAIN, "valid"),
    Case(
        "compressed",
        "Repetitive data: zlib made it shorter, so the payload has a leading dot.",
        mint(FLASHES),
        "valid",
    ),
    Case(
        "unicode",
        "Text beyond ASCII, stored as UTF-8 rather than \\u escapes.",
        mint({"name": "Zoë Ångström", "greeting": "セッション ☕", "cookie": "🍪"}),
        "valid",
    ),
    Case("empty object", "An empty session.", mint({}), "valid"),
    Case(
        "every JSON type",
        "Nested objects and arrays, numbers, booleans and null.",
        mint(
            {
                "cart": [{"sku": "A-1", "qty": 2}],
                "ratio": 0.5,
                "gift": False,
                "note": None,
            }
        ),
        "valid",
    ),
    Case(
        "fallback key",
        "Signed with the previous key, still listed in SECRET_KEY_FALLBACKS.",
        mint({"user_id": 7}, secret=FALLBACK),
        "valid",
        secrets=(SECRET, FALLBACK),
    ),
    Case(
        "older fallback key",
        "Signed with the second-newest fallback key.",
        mint({"user_id": 7}, secret=OLDEST),
        "valid",
        secrets=(SECRET, FALLBACK, OLDEST),
    ),
    Case(
        "custom salt",
        "An app that sets its own salt, verified with that salt.",
        mint({"user_id": 7}, salt="my-app-session"),
        "valid",
        salt="my-app-session",
    ),
    Case(
        "at the lifetime limit",
        "Signed exactly max_age seconds ago: still valid.",
        mint({"user_id": 7}, at=NOW - MAX_AGE),
        "valid",
    ),
    Case(
        "signature with ignored bits changed",
        "The last character of the signature differs only in bits that base64"
        " decoding drops: the signature bytes are the same, but only the one"
        " canonical spelling is accepted, or every signature would have four.",
        replace_field(PLAIN, 2, flip_last_bits(PLAIN.rsplit(".", 1)[1])),
        "malformed",
    ),
    Case(
        "seed snippet",
        "Minted by the seed snippet's URLSafeTimedSerializer(secret, salt="
        "'cookie-session').",
        mint_seed({"user_id": 3, "note": "from the seed"}),
        "valid",
    ),
    Case(
        "expired",
        "Signed max_age + 1 seconds ago.",
        mint({"user_id": 7}, at=NOW - MAX_AGE - 1),
        "expired",
    ),
    Case(
        "future-dated",
        "Signed a minute after the vector's time.",
        mint({"user_id": 7}, at=NOW + 60),
        "future",
    ),
    Case(
        "tampered payload",
        "The payload replaced with another user's id; timestamp and signature kept.",
        replace_field(PLAIN, 0, b64(b'{"user_id":1,"_fresh":true}')),
        "bad-signature",
    ),
    Case(
        "tampered timestamp",
        "The timestamp moved a day later, to stretch the session's life.",
        replace_field(PLAIN, 1, mint({}, at=NOW + 86400).split(".")[1]),
        "bad-signature",
    ),
    Case(
        "tampered signature",
        "The first character of the signature changed.",
        replace_field(PLAIN, 2, "A" + PLAIN.rsplit(".", 1)[1][1:]),
        "bad-signature",
    ),
    Case(
        "wrong key",
        "Signed with a key the app does not have.",
        mint({"user_id": 42}, secret="some other app's key, long like ours"),
        "bad-signature",
    ),
    Case(
        "wrong salt",
        "Signed with the right key for another purpose (salt 'email-confirm').",
        mint({"user_id": 42}, salt="email-confirm"),
        "bad-signature",
    ),
    Case(
        "flask built-in session",
        "Flask's SecureCookieSessionInterface with the same key and salt: it derives"
        " the signing key with HMAC, not SHA1(salt + 'signer' + key).",
        mint_flask_builtin({"user_id": 42}),
        "bad-signature",
    ),
    Case(
        "unreadable timestamp",
        "A correct signature over a timestamp of nine bytes: itsdangerous counts"
        " a timestamp it cannot read as a bad signature.",
        sign_fields(b64(b"{}").encode() + b"." + base64_encode(b"\x01" * 9)),
        "bad-signature",
    ),
    Case("not a cookie", "No dots at all.", "not-a-session-cookie", "malformed"),
    signed_but_malformed(
        "payload not JSON",
        "A correctly signed payload that is not JSON.",
        b"not json",
    ),
    Case(
        "payload an array",
        "A correctly signed JSON array: a session must be an object.",
        mint([1, 2, 3]),
        "malformed",
    ),
    signed_but_malformed(
        "payload not UTF-8",
        "A correctly signed payload whose bytes are not UTF-8.",
        b'{"name":"\xff"}',
    ),
    Case(
        "corrupt compressed payload",
        "A leading dot, then bytes that are not zlib data.",
        sign_payload(b"." + base64_encode(b"not zlib data")),
        "malformed",
    ),
    Case(
        "compressed payload cut short",
        "A zlib stream missing its end.",
        sign_payload(b"." + base64_encode(zlib.compress(b'{"user_id":42}')[:-6])),
        "malformed",
    ),
    signed_but_malformed(
        "number out of range",
        "Valid JSON, but 1e400 is no finite number: Python and JavaScript"
        " would both read it as infinity.",
        b'{"user_id":1e400}',
    ),
    signed_but_malformed(
        "NaN",
        "Python's json module writes and reads NaN, which is not JSON: no other"
        " reader takes it.",
        b'{"ratio":NaN}',
    ),
    Case(
        "largest safe integers",
        "2**53 - 1 and its negative: the largest integers a double holds exactly.",
        mint({"max": 2**53 - 1, "min": -(2**53 - 1)}),
        "valid",
    ),
    signed_but_malformed(
        "integer 2**53",
        "A correctly signed integer one past the largest safe one: JavaScript"
        " would read 2**53 + 1 as the same number.",
        b'{"n":9007199254740992}',
    ),
    signed_but_malformed(
        "integer -2**53",
        "The same, below the smallest safe integer.",
        b'{"n":-9007199254740992}',
    ),
    Case(
        "escaped surrogate pair",
        "A character beyond the Basic Multilingual Plane written as a \\u"
        " escape pair: one character, read alike everywhere.",
        sign_payload(base64_encode(b'{"cookie":"\\ud83c\\udf6a"}')),
        "valid",
    ),
    signed_but_malformed(
        "lone high surrogate",
        "A correctly signed string holding \\ud800 alone, half of a pair:"
        " it has no UTF-8 form.",
        b'{"name":"\\ud800"}',
    ),
    signed_but_malformed(
        "lone low surrogate",
        "The same with \\udc00, the other half.",
        b'{"name":"\\udc00"}',
    ),
    Case(
        "lists nested to the depth limit",
        "Lists nested 64 levels deep, counting the session's object: the"
        " deepest that every reader accepts.",
        sign_payload(base64_encode(nested(MAX_DEPTH, lambda inner: [inner]))),
        "valid",
    ),
    signed_but_malformed(
        "lists nested past the depth limit",
        "One level deeper. Each reader's own limit lies elsewhere (Python's"
        " near a thousand levels, cjson's at 1,000, JavaScript's in the"
        " thousands), so the format sets one.",
        nested(MAX_DEPTH + 1, lambda inner: [inner]),
    ),
    Case(
        "objects nested to the depth limit",
        "Objects nested 64 levels deep, the session's own the first.",
        sign_payload(base64_encode(nested(MAX_DEPTH, lambda inner: {"k": inner}))),
        "valid",
    ),
    signed_but_malformed(
        "objects nested past the depth limit",
        "One level deeper, in objects.",
        nested(MAX_DEPTH + 1, lambda inner: {"k": inner}),
    ),
    Case(
        "nested thirty thousand levels",
        "A session holding lists nested far past the limit, compressed into a"
        " few hundred bytes: deeper than Python's own JSON reader goes, so each"
        " reader must refuse it without running out of stack.",
        sign_payload(b"." + base64_encode(zlib.compress(THIRTY_THOUSAND_LEVELS))),
        "malformed",
    ),
    *(
        signed_but_malformed(
            f"number {number}",
            f"A correctly signed {number}, which is not JSON: {why}; Python's"
            " and JavaScript's readers refuse it, and so must every reader.",
            b'{"n":' + number.encode() + b"}",
        )
        for number, why in [
            ("-.5", "a minus sign then a dot, which C's strtod reads as -0.5"),
            (".5", "no digit before the dot"),
            ("1.", "no digit after the dot, which strtod reads as 1"),
            ("+1", "a plus sign"),
            ("01", "a leading zero"),
            ("-01", "a leading zero after the minus sign"),
            ("0x10", "hexadecimal"),
            ("Infinity", "not a number JSON has"),
            ("-Infinity", "not a number JSON has"),
        ]
    ),
    Case(
        "gzip payload",
        "A leading dot, then the JSON in gzip's wrapping rather than zlib's:"
        " the format is zlib's alone, and a reader that detects gzip by itself"
        " must be told not to.",
        sign_payload(b"." + base64_encode(gzip_wrapped(b'{"user_id":42}'))),
        "malformed",
    ),
    Case(
        "signature of impossible length",
        "A signature field of a length that leaves one base64 character over.",
        replace_field(PLAIN, 2, PLAIN.rsplit(".", 1)[1] + "AA"),
        "malformed",
    ),
    Case(
        "compression bomb",
        "A few hundred bytes that inflate past the 64 KiB limit.",
        sign_payload(b"." + base64_encode(zlib.compress(TOO_BIG))),
        "malformed",
    ),
]


def outcome(case: Case) -> dict[str, Any]:
    """What ``sessions.decode()`` makes of the case's cookie, at ``NOW``."""
    with time_machine.travel(NOW, tick=False):
        try:
            cookie = decode(case.cookie, case.secrets, max_age=MAX_AGE, salt=case.salt)
        except InvalidSessionCookie as error:
            return {"error": error.kind}
    return {
        "payload": cookie.data,
        "signed_at": int(cookie.signed_at.timestamp()),
        "compressed": cookie.compressed,
        "key_index": cookie.key_index,
    }


def vector(case: Case) -> dict[str, Any]:
    expected = outcome(case)
    if expected.get("error", "valid") != case.shows:
        raise SystemExit(f"{case.name!r} was meant to be {case.shows}, got {expected}")
    return {
        "name": case.name,
        "description": case.description,
        "cookie": case.cookie,
        "secrets": list(case.secrets),
        "salt": case.salt,
        "now": NOW,
        "max_age": MAX_AGE,
        "expected": expected,
    }


def limits() -> dict[str, int]:
    """The format's limits, from the Python package: every reader is tested on them."""
    lifetimes = defaults(instance_path="")
    return {
        "max_depth": CookieFormat.serializer.max_depth,
        "max_payload_size": CookieFormat.max_payload_size,
        "max_safe_integer": CookieFormat.serializer.max_safe_integer,
        "min_key_length": MIN_KEY_LENGTH,
        "max_age": int(lifetimes["PERMANENT_SESSION_LIFETIME"].total_seconds()),
        "max_login_age": int(lifetimes["SESSION_ABSOLUTE_LIFETIME"].total_seconds()),
    }


def render() -> str:
    document = {
        "about": (
            "Session cookies and what a verifier must make of them at the time"
            " 'now', written by tools/make_vectors.py. 'secrets' lists the keys"
            " newest first: SECRET_KEY, then SECRET_KEY_FALLBACKS from the end;"
            " 'key_index' is the position of the key that verified the cookie."
            " A failure is one of: malformed, bad-signature, expired, future."
        ),
        "format": {
            "serializer": "itsdangerous URLSafeTimedSerializer",
            "key_derivation": "django-concat: SHA1(salt + 'signer' + secret)",
            "digest": "HMAC-SHA1",
        },
        "limits_about": (
            "The format's limits, as the Python package sets them: the most"
            " levels of nesting, the most bytes a payload inflates to, the"
            " largest integer, the fewest bytes in a key, and the default idle"
            " (max_age) and absolute (max_login_age) lifetimes in seconds."
        ),
        "limits": limits(),
        "vectors": [vector(case) for case in CASES],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT)
    output = parser.parse_args().output
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render(), encoding="utf-8")
    print(f"Wrote {len(CASES)} vectors to {output}.")


if __name__ == "__main__":
    main()
