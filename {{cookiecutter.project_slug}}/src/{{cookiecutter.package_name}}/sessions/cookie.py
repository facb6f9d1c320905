"""The session cookie's format, readable and writable without Flask::

    [.]payload.timestamp.signature

The payload is the session's JSON in base64url; a leading dot marks one
that zlib made shorter. The timestamp says when it was signed, and the
signature, an HMAC over everything before it, says by whom: this is
itsdangerous's ``URLSafeTimedSerializer`` format with its defaults, so
the "better client-side sessions" Flask snippet that this project grew
from reads and writes the same cookies.

:func:`decode` and :func:`encode` are the whole format in two calls, as
``verify(cookie, secrets, options)`` is in the Node and Lua readers::

    cookie = encode({"user_id": 42}, "the secret key")
    decode(cookie, ["the secret key"], max_age=3600).data  # {'user_id': 42}

:class:`CookieFormat` does the same work with its keys prepared once,
for a server that reads a cookie on every request.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
import zlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from itsdangerous import BadData, BadSignature, SignatureExpired, TimestampSigner
from itsdangerous.encoding import base64_decode, base64_encode, want_bytes

from .strict_json import StrictJSON

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

# Three fields of the base64url alphabet, the first after a dot when it is
# compressed; anything else is not worth handing to the signer.
COOKIE_SHAPE = re.compile(r"\.?[\w-]+\.[\w-]+\.[\w-]+", re.ASCII)

BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

#: The salt that the "better client-side sessions" Flask snippet signs
#: with, and so the one that its cookies verify with.
DEFAULT_SALT = "cookie-session"


class InvalidSessionCookie(ValueError):
    """A session cookie that cannot be trusted. The message says why.

    ``kind`` names the reason for programs, as the shared test vectors do:
    ``"malformed"``, ``"bad-signature"``, ``"expired"`` or ``"future"``.
    """

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


class CookieTooLarge(RuntimeError):
    """The session has outgrown what a browser will store in one cookie.

    Browsers drop such a cookie without a word, and with it the user's
    login and flash messages, so the error is raised on the server where
    someone will see it.
    """


class DecodedCookie(NamedTuple):
    """What a cookie that verified holds, and what its signature proved."""

    #: The session, as the JSON object it was stored as.
    data: dict[str, Any]
    #: When it was signed, in UTC.
    signed_at: datetime
    #: The position of the key that verified it in the keys given.
    key_index: int
    #: Whether its payload was compressed (the cookie starts with a dot).
    compressed: bool


class SessionSigner(TimestampSigner):
    """itsdangerous's timestamp signer, with the work on its key done once.

    itsdangerous derives the signing key from the secret key and the salt,
    and sets up an HMAC with it, on every sign and every verify, although
    both depend on the key alone. Here they are done when the signer is
    built, and each signature starts from a copy of the prepared HMAC: the
    same bytes, for less work on every request. The algorithm is always
    itsdangerous's default, an HMAC over ``digest_method``.

    Unlike itsdangerous's signer, it holds a single key.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if len(self.secret_keys) != 1:
            raise TypeError("SessionSigner holds one key; make one signer per key.")
        self.prepared_mac = hmac.new(self.derive_key(), digestmod=self.digest_method)

    def digest(self, value: str | bytes) -> bytes:
        mac = self.prepared_mac.copy()
        mac.update(want_bytes(value))
        return mac.digest()

    def get_signature(self, value: str | bytes) -> bytes:
        return base64_encode(self.digest(value))

    def verify_signature(self, value: str | bytes, sig: str | bytes) -> bool:
        try:
            return hmac.compare_digest(base64_decode(sig), self.digest(value))
        except BadData:
            return False


class CookieFormat:
    """Session cookies signed and verified with one set of keys.

    The keys come newest first: the first signs, and every one verifies,
    so that a key can be rotated without signing everyone out. Building
    the format prepares a signer per key, once; a server keeps the
    format for as long as its keys stay the same.
    """

    #: The hash behind the HMAC. SHA-1 is itsdangerous's default; HMAC
    #: does not rely on the collision resistance that SHA-1 has lost.
    digest_method = staticmethod(hashlib.sha1)

    #: How the signing key is derived from the secret key and the salt.
    #: ``"django-concat"`` is itsdangerous's default and Django's scheme;
    #: Flask's built-in session uses ``"hmac"``, so its cookies do not
    #: verify here, nor ours there.
    key_derivation = "django-concat"

    #: Turns the session dict into JSON text and back.
    serializer = StrictJSON

    #: The most a payload may hold, compressed or not: a few kilobytes of
    #: signed zeros would otherwise inflate to megabytes on every request.
    max_payload_size = 64 * 1024

    #: Payloads shorter than this many bytes are not compressed. Setting up
    #: zlib costs more than signing a small session, and what it could save
    #: there is a few dozen bytes of a cookie far below the 4 KB limit
    #: (sessions of ids and numbers rarely repeat enough to save any).
    compress_min_size = 64

    def __init__(self, keys: Sequence[str | bytes], salt: str = DEFAULT_SALT) -> None:
        if isinstance(keys, str | bytes):
            # Each character would otherwise become a key of its own.
            raise TypeError("keys is a list of secret keys, newest first.")
        if not keys:
            raise ValueError("a cookie format needs at least one secret key.")
        self.keys = tuple(keys)
        # One signer per key, rather than one holding every key, so that
        # verify() can tell which key verified a cookie.
        self.signers = tuple(
            SessionSigner(
                key,
                salt=salt,
                key_derivation=self.key_derivation,
                digest_method=self.digest_method,
            )
            for key in self.keys
        )

    def decode(self, cookie: str, *, max_age: int) -> DecodedCookie:
        """Verify a cookie and return what it holds.

        Raises :class:`InvalidSessionCookie` with the reason when the
        cookie is malformed, forged, older than ``max_age`` seconds,
        signed in the future, or does not hold a JSON object.
        """
        payload, signed_at, key_index = self.verify(cookie, max_age)
        data = self.load_payload(payload)
        return DecodedCookie(data, signed_at, key_index, cookie.startswith("."))

    def verify(self, cookie: str, max_age: int) -> tuple[bytes, datetime, int]:
        """Check a cookie's signature and age, trying each key in turn.

        Returns its payload field, when it was signed, and the index of the
        key that verified it in :attr:`keys`.
        """
        if not COOKIE_SHAPE.fullmatch(cookie):
            raise InvalidSessionCookie(
                "malformed: not three base64url fields", "malformed"
            )
        if not self.is_canonical_base64(cookie.rpartition(".")[2]):
            raise InvalidSessionCookie(
                "malformed: the signature is not canonical", "malformed"
            )
        for key_index, signer in enumerate(self.signers):
            try:
                payload, signed_at = signer.unsign(
                    cookie, max_age=max_age, return_timestamp=True
                )
            except SignatureExpired as error:
                # Raised only once the signature matched, so no other
                # key needs to be tried.
                raise self.expiry_error(error, max_age) from error
            except BadSignature:
                continue
            except (OverflowError, ValueError, OSError) as error:
                # A signed timestamp too far out to be a date.
                raise InvalidSessionCookie(
                    "malformed: the timestamp is out of range", "malformed"
                ) from error
            return payload, signed_at, key_index
        raise InvalidSessionCookie(
            "bad signature: no current or fallback key made it", "bad-signature"
        )

    @staticmethod
    def is_canonical_base64(field: str) -> bool:
        """Whether the field is base64's one spelling of its bytes.

        The last character of a base64 field has spare bits, which decoding
        ignores: without this check, four spellings of every signature would
        verify. A length that leaves one character over is not base64 at all.
        """
        spare_bits = len(field) * 6 % 8
        if spare_bits == 6:
            return False
        return BASE64URL.index(field[-1]) & ((1 << spare_bits) - 1) == 0

    @staticmethod
    def expiry_error(error: SignatureExpired, max_age: int) -> InvalidSessionCookie:
        """Say whether a signature is too old or dated in the future."""
        now = datetime.now(UTC)
        signed_at = error.date_signed or now
        if signed_at > now:
            ahead = math.ceil((signed_at - now).total_seconds())
            return InvalidSessionCookie(
                f"future-dated: signed {ahead} s from now", "future"
            )
        return InvalidSessionCookie(
            f"expired: signed {int((now - signed_at).total_seconds())} s ago,"
            f" the limit is {max_age} s",
            "expired",
        )

    @classmethod
    def load_payload(cls, payload: bytes) -> dict[str, Any]:
        """The session a payload field holds, which must be a JSON object.

        It checks no signature, and anything it cannot read, however it was
        made, raises :class:`InvalidSessionCookie`. A compressed payload
        inflates to :attr:`max_payload_size` bytes at most.
        """
        compressed = payload.startswith(b".")
        try:
            raw = base64_decode(payload[1:] if compressed else payload)
            if compressed:
                inflater = zlib.decompressobj()
                raw = inflater.decompress(raw, cls.max_payload_size)
                if inflater.unconsumed_tail or not inflater.eof:
                    limit = cls.max_payload_size
                    raise ValueError(f"it inflates past {limit} bytes or is cut short")
            data = cls.serializer.loads(raw.decode("utf-8"))
        # RecursionError: JSON nested deeper than Python's stack allows.
        except (BadData, zlib.error, ValueError, RecursionError) as error:
            raise InvalidSessionCookie(
                f"undecodable payload: {error}", "malformed"
            ) from error
        if not isinstance(data, dict):
            raise InvalidSessionCookie(
                f"the payload is a JSON {type(data).__name__}, not an object",
                "malformed",
            )
        return data

    def encode(self, data: Mapping[str, Any]) -> str:
        """Sign ``data`` with the newest key, as a cookie value."""
        return self.signers[0].sign(self.dump_payload(data)).decode("ascii")

    @classmethod
    def dump_payload(cls, data: Mapping[str, Any]) -> bytes:
        """``data`` as JSON in base64url, compressed and dotted if zlib saves room."""
        payload = cls.serializer.dumps(data).encode("utf-8")
        if len(payload) > cls.max_payload_size:
            raise CookieTooLarge(
                f"The session's JSON is {len(payload)} bytes, over the"
                f" {cls.max_payload_size}-byte limit on what a cookie may inflate"
                f" to. Largest keys: {largest_keys(data)}."
            )
        if len(payload) >= cls.compress_min_size:
            compressed = zlib.compress(payload)
            # The dot that marks it costs a byte.
            if len(compressed) < len(payload) - 1:
                return b"." + base64_encode(compressed)
        return base64_encode(payload)


def decode(
    cookie: str,
    keys: Sequence[str | bytes],
    *,
    max_age: int,
    salt: str = DEFAULT_SALT,
) -> DecodedCookie:
    """Verify ``cookie`` with ``keys``, newest first, and return what it holds.

    ``max_age`` is how many seconds a signature stays valid. Raises
    :class:`InvalidSessionCookie`, whose ``kind`` says why, for a cookie
    that cannot be trusted.
    """
    return CookieFormat(keys, salt).decode(cookie, max_age=max_age)


def encode(
    data: Mapping[str, Any], key: str | bytes, *, salt: str = DEFAULT_SALT
) -> str:
    """Sign ``data`` with ``key`` as a session cookie value, dated now.

    Raises ``TypeError`` for a value that JSON readers would not all read
    back alike, and :class:`CookieTooLarge` for a session past
    :attr:`CookieFormat.max_payload_size`.
    """
    return CookieFormat([key], salt).encode(data)


def load_payload(field: str | bytes) -> dict[str, Any]:
    """The session in a cookie's payload field, read *without* verifying it.

    For showing what an untrusted cookie claims, never for trusting it.
    Raises :class:`InvalidSessionCookie` for a field it cannot read.
    """
    return CookieFormat.load_payload(want_bytes(field))


def largest_keys(data: Mapping[str, Any], count: int = 3) -> str:
    """Name the keys that take the most room, for size error messages."""
    sizes = {key: len(json.dumps(data[key], default=repr)) for key in data}
    largest = sorted(sizes, key=sizes.__getitem__, reverse=True)[:count]
    return ", ".join(f"{key!r} ({sizes[key]} bytes)" for key in largest)
