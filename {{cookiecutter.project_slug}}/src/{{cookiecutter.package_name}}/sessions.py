"""Sessions kept in the browser as signed, readable JSON.

Flask's default session already lives in a signed cookie. This interface
keeps that idea and changes what is inside: plain JSON that JavaScript, a
proxy or a person can read, signed as itsdangerous signs by default::

    [.]payload.timestamp.signature

The payload is the session's JSON in base64url; a leading dot marks one
that zlib made shorter. The data is *signed, not encrypted*: never put a
secret in the session.

This module imports nothing else from the project, so it can be copied
into any Flask 3.1 app::

    app.config["SESSION_COOKIE_SECURE"] = None  # Flask's False is refused
    SignedCookieSessionInterface().init_app(app)

:meth:`SignedCookieSessionInterface.check_config` lists what it refuses.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
import zlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from flask.sessions import SecureCookieSession, SessionInterface, SessionMixin
from itsdangerous import BadData, BadSignature, SignatureExpired, TimestampSigner
from itsdangerous.encoding import base64_decode, base64_encode, want_bytes
from werkzeug.http import dump_cookie

if TYPE_CHECKING:
    from collections.abc import Mapping

    from flask import Flask, Request, Response

# Three fields of the base64url alphabet, the first after a dot when it is
# compressed; anything else is not worth handing to the signer.
COOKIE_SHAPE = re.compile(r"\.?[\w-]+\.[\w-]+\.[\w-]+", re.ASCII)

BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

NEW_KEY_COMMAND = "python -c 'import secrets; print(secrets.token_hex(32))'"


class SessionConfigError(RuntimeError):
    """The app's settings would make sessions insecure or unusable."""


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


class SignedSession(SecureCookieSession):
    """Flask's session dict with change tracking, and what its cookie proved."""

    #: When the cookie this session was read from was signed; None for a
    #: session that did not come from a valid cookie.
    signed_at: datetime | None = None

    #: Which key verified that cookie: 0 for ``SECRET_KEY``, n for the n-th
    #: newest of ``SECRET_KEY_FALLBACKS``.
    key_index: int = 0


class SignedCookieSessionInterface(SessionInterface):
    """Store the session in a cookie as signed JSON.

    ``SECRET_KEY`` signs and verifies; ``SECRET_KEY_FALLBACKS`` (newest
    last, as in Flask) only verify, so that a key can be rotated without
    signing everyone out.
    """

    #: Mixed into the signing key so that a signature made for the
    #: session cannot be replayed as one for another purpose that uses
    #: the same secret key. The value of the "better client-side sessions"
    #: Flask snippet that this module grew from.
    salt = "cookie-session"

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

    #: The session object: Flask's dict with change tracking.
    session_class = SignedSession

    #: The most a payload may hold, compressed or not: a few kilobytes of
    #: signed zeros would otherwise inflate to megabytes on every request.
    max_payload_size = 64 * 1024

    #: Payloads shorter than this many bytes are not compressed. Setting up
    #: zlib costs more than signing a small session, and what it could save
    #: there is a few dozen bytes of a cookie far below the 4 KB limit
    #: (sessions of ids and numbers rarely repeat enough to save any).
    compress_min_size = 64

    #: SameSite when ``SESSION_COOKIE_SAMESITE`` is unset. ``"Lax"``
    #: keeps the cookie off cross-site POSTs, a first wall against CSRF.
    default_samesite = "Lax"

    #: Keys shorter than this many bytes are refused outside debug and
    #: testing. 32 random bytes cannot be guessed; a short or memorable
    #: key can be brute-forced offline from a single cookie.
    min_key_length = 32

    #: An unchanged session is signed again once its signature is older
    #: than this fraction of ``PERMANENT_SESSION_LIFETIME`` (overridden by
    #: ``SESSION_REFRESH_AFTER``). Active users then never reach the idle
    #: timeout, while most responses carry no ``Set-Cookie`` at all.
    refresh_after = 0.5

    def __init__(self) -> None:
        # (keys, signers): built once per set of keys, not per request.
        self._signer_cache: tuple[tuple[Any, ...], tuple[SessionSigner, ...]] = (
            (),
            (),
        )

    def init_app(self, app: Flask) -> None:
        """Check the app's session settings at start-up, then use this interface."""
        self.check_config(app)
        app.session_interface = self

    def check_config(self, app: Flask) -> None:
        """Refuse settings that would make sessions unusable or unsafe.

        Called at start-up by :meth:`init_app`, so that a bad deployment
        fails loudly before serving anyone, with a message that names the
        setting and the fix. Debug and testing mode relax the rules that
        only matter in production.
        """
        if not app.secret_key:
            raise SessionConfigError(
                "SECRET_KEY is not set, so sessions cannot be signed. Set the"
                " FLASK_SECRET_KEY environment variable (for example in .env) to"
                f" the output of: {NEW_KEY_COMMAND}"
            )
        keys = self.signing_keys(app)
        if not (app.debug or app.testing):
            for index, key in enumerate(keys):
                name = "SECRET_KEY" if index == 0 else "a key in SECRET_KEY_FALLBACKS"
                length = len(want_bytes(key))
                if length < self.min_key_length:
                    raise SessionConfigError(
                        f"{name} is {length} bytes; use at least"
                        f" {self.min_key_length} random bytes: {NEW_KEY_COMMAND}"
                    )
            if app.config["SESSION_COOKIE_SECURE"] is False:
                raise SessionConfigError(
                    "SESSION_COOKIE_SECURE is False outside debug and testing, so the"
                    " session would travel over plain HTTP. Set it to True, or to"
                    " None for Secure everywhere but in debug and testing."
                )
        refresh_after = self.get_refresh_after(app)
        if not isinstance(refresh_after, int | float) or not 0 <= refresh_after <= 1:
            raise SessionConfigError(
                f"SESSION_REFRESH_AFTER is {refresh_after!r}; use a fraction from 0"
                " to 1."
            )
        self.check_cookie_attributes(app)

    def check_cookie_attributes(self, app: Flask) -> None:
        """Refuse cookie attributes that browsers would reject with the cookie."""
        name = self.get_cookie_name(app)
        secure = self.get_cookie_secure(app)
        samesite = self.get_cookie_samesite(app) or ""
        if samesite.lower() == "none" and not secure:
            raise SessionConfigError(
                "SESSION_COOKIE_SAMESITE is 'None' but the cookie is not Secure;"
                " browsers reject that. Set SESSION_COOKIE_SECURE to True."
            )
        if name.startswith(("__Host-", "__Secure-")) and not secure:
            raise SessionConfigError(
                f"SESSION_COOKIE_NAME {name!r} needs a Secure cookie, or browsers"
                " reject it. Set SESSION_COOKIE_SECURE to True."
            )
        if name.startswith("__Host-") and self.get_cookie_domain(app):
            raise SessionConfigError(
                f"SESSION_COOKIE_NAME {name!r} forbids a Domain; unset"
                " SESSION_COOKIE_DOMAIN."
            )
        if name.startswith("__Host-") and self.get_cookie_path(app) != "/":
            raise SessionConfigError(
                f"SESSION_COOKIE_NAME {name!r} needs Path=/; set SESSION_COOKIE_PATH"
                " to '/'."
            )

    def signing_keys(self, app: Flask) -> tuple[Any, ...]:
        """The keys that verify, newest first; the first one also signs."""
        fallbacks = app.config.get("SECRET_KEY_FALLBACKS") or []
        if not isinstance(fallbacks, list | tuple):
            raise SessionConfigError(
                "SECRET_KEY_FALLBACKS must be a list of old keys, not"
                f" {type(fallbacks).__name__}: Flask would take every character of a"
                ' string as a key of its own. Write ["old-key"].'
            )
        return (app.secret_key, *reversed(fallbacks))

    def get_signers(self, app: Flask) -> tuple[SessionSigner, ...]:
        """One signer per key, in the order of :meth:`signing_keys`.

        One per key, rather than one holding every key, so that
        :meth:`verify` can tell which key verified a cookie.
        """
        keys = self.signing_keys(app)
        cached_keys, signers = self._signer_cache
        if keys != cached_keys:
            signers = tuple(
                SessionSigner(
                    key,
                    salt=self.salt,
                    key_derivation=self.key_derivation,
                    digest_method=self.digest_method,
                )
                for key in keys
            )
            self._signer_cache = (keys, signers)
        return signers

    def get_cookie_secure(self, app: Flask) -> bool:
        """``SESSION_COOKIE_SECURE``; ``None`` means Secure but in debug and testing.

        A development server speaks plain HTTP, where some clients would not
        send a Secure cookie back.
        """
        secure = app.config["SESSION_COOKIE_SECURE"]
        if secure is None:
            return not (app.debug or app.testing)
        return bool(secure)

    def get_cookie_samesite(self, app: Flask) -> str | None:
        return app.config["SESSION_COOKIE_SAMESITE"] or self.default_samesite

    def get_refresh_after(self, app: Flask) -> float:
        # A number once check_config has passed: it refuses anything else.
        refresh_after: float = app.config.get(
            "SESSION_REFRESH_AFTER", self.refresh_after
        )
        return refresh_after

    def get_max_age(self, app: Flask) -> int:
        """Seconds a signature stays valid: ``PERMANENT_SESSION_LIFETIME``.

        The browser is told the same through ``Expires`` for permanent
        sessions, but a browser can be lied to; the signed timestamp
        cannot.
        """
        return int(app.permanent_session_lifetime.total_seconds())

    def should_set_cookie(self, app: Flask, session: SessionMixin) -> bool:
        """Send the cookie if the session changed, or if its signature is ageing.

        The signature's timestamp is the idle timeout's clock, so an
        unchanged session is signed again once that clock passes
        :attr:`refresh_after` of the lifetime, whether the session is
        permanent or lasts only as long as the browser.
        ``SESSION_REFRESH_EACH_REQUEST = False`` turns this off.
        """
        if session.modified:
            return True
        signed_at: datetime | None = getattr(session, "signed_at", None)
        if signed_at is None or not app.config["SESSION_REFRESH_EACH_REQUEST"]:
            return False
        age = datetime.now(UTC) - signed_at
        return age > app.permanent_session_lifetime * self.get_refresh_after(app)

    def open_session(self, app: Flask, request: Request) -> SignedSession | None:
        if not app.secret_key:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        try:
            return self.decode(app, value)
        except InvalidSessionCookie as error:
            app.logger.info("Ignored the session cookie: %s", error)
            # Left in the browser, as Flask leaves it: in a key rotation, an
            # instance that does not know the new key yet must not sign its
            # users out for good. The next write replaces it.
            return self.session_class()

    def decode(self, app: Flask, value: str) -> SignedSession:
        """Verify a cookie value and return the session Flask gets from it.

        Raises :class:`InvalidSessionCookie` with the reason when the
        cookie is malformed, forged, expired, signed in the future, or
        does not hold a JSON object. Flash messages come back as Flask's
        tuples; flashes of another shape are dropped and logged. The
        session is marked changed, so that the response signs it again,
        when a fallback key verified it or flashes were dropped.
        """
        payload, signed_at, key_index = self.verify(app, value)
        data = self.load_payload(payload)
        if not isinstance(data, dict):
            raise InvalidSessionCookie(
                f"the payload is a JSON {type(data).__name__}, not an object",
                "malformed",
            )
        flashes_kept = self.restore_flashes(data)
        if not flashes_kept:
            app.logger.info("Dropped flash messages of the wrong shape.")
        session = self.session_class(data)
        session.signed_at = signed_at
        session.key_index = key_index
        session.modified = key_index > 0 or not flashes_kept
        return session

    def verify(self, app: Flask, value: str) -> tuple[bytes, datetime, int]:
        """Check a cookie's signature and age, trying each key in turn.

        Returns its payload field, when it was signed, and the index of the
        key that verified it in :meth:`signing_keys`.
        """
        if not COOKIE_SHAPE.fullmatch(value):
            raise InvalidSessionCookie(
                "malformed: not three base64url fields", "malformed"
            )
        if not self.is_canonical_base64(value.rpartition(".")[2]):
            raise InvalidSessionCookie(
                "malformed: the signature is not canonical", "malformed"
            )
        max_age = self.get_max_age(app)
        for key_index, signer in enumerate(self.get_signers(app)):
            try:
                payload, signed_at = signer.unsign(
                    value, max_age=max_age, return_timestamp=True
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

    def load_payload(self, payload: bytes) -> Any:
        """The data a payload field holds, whatever it holds.

        It checks no signature, and anything it cannot read, however it was
        made, raises :class:`InvalidSessionCookie`. A compressed payload
        inflates to :attr:`max_payload_size` bytes at most.
        """
        compressed = payload.startswith(b".")
        try:
            data = base64_decode(payload[1:] if compressed else payload)
            if compressed:
                inflater = zlib.decompressobj()
                data = inflater.decompress(data, self.max_payload_size)
                if inflater.unconsumed_tail or not inflater.eof:
                    limit = self.max_payload_size
                    raise ValueError(f"it inflates past {limit} bytes or is cut short")
            return self.serializer.loads(data.decode("utf-8"))
        # RecursionError: JSON nested deeper than Python's stack allows.
        except (BadData, zlib.error, ValueError, RecursionError) as error:
            raise InvalidSessionCookie(
                f"undecodable payload: {error}", "malformed"
            ) from error

    @staticmethod
    def restore_flashes(data: dict[str, Any]) -> bool:
        """Turn ``_flashes`` back into Flask's (category, message) tuples.

        Anything other than a list of two strings each is removed, as
        ``flash()`` could not add to it. Returns False if it was.
        """
        if "_flashes" not in data:
            return True
        flashes = data["_flashes"]
        if isinstance(flashes, list) and all(
            isinstance(pair, list)
            and len(pair) == 2
            and all(isinstance(text, str) for text in pair)
            for pair in flashes
        ):
            data["_flashes"] = [tuple(pair) for pair in flashes]
            return True
        del data["_flashes"]
        return False

    def save_session(
        self, app: Flask, session: SessionMixin, response: Response
    ) -> None:
        name = self.get_cookie_name(app)
        attributes: dict[str, Any] = {
            "domain": self.get_cookie_domain(app),
            "path": self.get_cookie_path(app),
            "secure": self.get_cookie_secure(app),
            "samesite": self.get_cookie_samesite(app),
            "httponly": self.get_cookie_httponly(app),
            "partitioned": self.get_cookie_partitioned(app),
        }
        # An emptied session deletes the cookie; any other is sent when it
        # changed or its signature is ageing.
        send = session.modified if not session else self.should_set_cookie(app, session)
        if send and not session:
            response.delete_cookie(name, **attributes)
        elif send:
            header = self.cookie_header(app, session, name, attributes)
            response.headers.add("Set-Cookie", header)
        # Caches must not hand one visitor's page, built from their
        # session, to another.
        if session.accessed or send:
            self.add_vary_cookie(response)

    def cookie_header(
        self, app: Flask, session: SessionMixin, name: str, attributes: dict[str, Any]
    ) -> str:
        """The ``Set-Cookie`` value for ``session``, or :exc:`CookieTooLarge`."""
        header = dump_cookie(
            name,
            self.encode(app, dict(session)),
            expires=self.get_expiration_time(app, session),
            max_size=0,  # checked below, as an error rather than a warning
            **attributes,
        )
        # 0 turns the check off, as it turns off Flask's warning.
        max_size = app.config["MAX_COOKIE_SIZE"]
        if max_size and len(header) > max_size:
            raise CookieTooLarge(
                f"The session cookie would be {len(header)} bytes; browsers drop"
                f" cookies over {max_size}. Largest keys:"
                f" {self.largest_keys(session)}. Keep large data on the"
                " server (in the database) and only its id in the session."
            )
        return header

    def encode(self, app: Flask, data: dict[str, Any]) -> str:
        """Sign ``data`` with ``SECRET_KEY`` as a cookie value."""
        payload = self.dump_payload(data)
        return self.get_signers(app)[0].sign(payload).decode("ascii")

    def dump_payload(self, data: dict[str, Any]) -> bytes:
        """``data`` as JSON in base64url, compressed and dotted if zlib saves room."""
        payload = self.serializer.dumps(data).encode("utf-8")
        if len(payload) > self.max_payload_size:
            raise CookieTooLarge(
                f"The session's JSON is {len(payload)} bytes, over the"
                f" {self.max_payload_size}-byte limit on what a cookie may inflate"
                f" to. Largest keys: {self.largest_keys(data)}."
            )
        if len(payload) >= self.compress_min_size:
            compressed = zlib.compress(payload)
            # The dot that marks it costs a byte.
            if len(compressed) < len(payload) - 1:
                return b"." + base64_encode(compressed)
        return base64_encode(payload)

    @staticmethod
    def largest_keys(data: Mapping[str, Any], count: int = 3) -> str:
        """Name the keys that take the most room, for size error messages."""
        sizes = {key: len(json.dumps(data[key], default=repr)) for key in data}
        largest = sorted(sizes, key=sizes.__getitem__, reverse=True)[:count]
        return ", ".join(f"{key!r} ({sizes[key]} bytes)" for key in largest)

    @staticmethod
    def add_vary_cookie(response: Response) -> None:
        """Add ``Cookie`` to the response's ``Vary`` header.

        ``response.vary`` parses the header and writes it back; when there is
        no ``Vary`` yet, the usual case, adding the header is several times
        cheaper. ``getlist``, because werkzeug answers ``in`` for a missing
        header by raising and catching an exception.
        """
        if response.headers.getlist("Vary"):
            response.vary.add("Cookie")
        else:
            response.headers.add("Vary", "Cookie")
