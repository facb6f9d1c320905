"""Flask's session interface for cookies of the format in :mod:`.cookie`.

Flask asks a session interface for two things: the session a request
arrives with (``open_session``) and the ``Set-Cookie`` header its
response leaves with (``save_session``). This one reads and writes
signed, readable JSON, and decides on the way out whether the cookie
needs sending at all: when the session changed, or when its signature is
ageing. It also keeps the cookie's attributes and ``Vary: Cookie``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from flask.sessions import SecureCookieSession, SessionInterface, SessionMixin
from werkzeug.http import dump_cookie

from .checks import SessionConfigError, check_config
from .cookie import (
    DEFAULT_SALT,
    CookieFormat,
    CookieTooLarge,
    InvalidSessionCookie,
    largest_keys,
)

if TYPE_CHECKING:
    from flask import Flask, Request, Response


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
    #: the same secret key.
    salt = DEFAULT_SALT

    #: The cookie format: its digest, key derivation, JSON rules and size
    #: limits are attributes of this class.
    cookie_format_class = CookieFormat

    #: The session object: Flask's dict with change tracking.
    session_class = SignedSession

    #: SameSite when ``SESSION_COOKIE_SAMESITE`` is unset. ``"Lax"``
    #: keeps the cookie off cross-site POSTs, a first wall against CSRF.
    default_samesite = "Lax"

    #: An unchanged session is signed again once its signature is older
    #: than this fraction of ``PERMANENT_SESSION_LIFETIME`` (overridden by
    #: ``SESSION_REFRESH_AFTER``). Active users then never reach the idle
    #: timeout, while most responses carry no ``Set-Cookie`` at all.
    refresh_after = 0.5

    #: Flash messages a session keeps; past this many, the oldest are
    #: dropped as it is saved. A client that never loads the page after a
    #: redirect never shows its messages, and without a bound each request
    #: could add one until the cookie outgrew its limits and the response
    #: became an error. Ten of the app's messages stay far below them.
    max_flashes = 10

    def __init__(self) -> None:
        # Built once per set of keys, not per request: see get_cookie_format.
        self._cookie_format: CookieFormat | None = None

    def init_app(self, app: Flask) -> None:
        """Check the app's session settings at start-up, then use this interface.

        :func:`.checks.check_config` lists what it refuses.
        """
        check_config(app, self)
        app.session_interface = self

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

    def get_cookie_format(self, app: Flask) -> CookieFormat:
        """The cookie format for the app's keys, in the order of :meth:`signing_keys`.

        Building one prepares a signer per key, so it is kept until the keys
        change, which a key rotation does while the app runs.
        """
        keys = self.signing_keys(app)
        cookie_format = self._cookie_format
        if cookie_format is None or cookie_format.keys != keys:
            cookie_format = self.cookie_format_class(keys, self.salt)
            self._cookie_format = cookie_format
        return cookie_format

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
        """The session the request's cookie holds, or an empty one.

        Flash messages come back as Flask's tuples; flashes of another
        shape are dropped and logged. The session is marked changed, so
        that the response signs it again, when a fallback key verified it
        or flashes were dropped.
        """
        if not app.secret_key:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        cookie_format = self.get_cookie_format(app)
        try:
            # CookieFormat.decode()'s two steps, without the DecodedCookie
            # it builds: a request needs only these, and reads them often.
            payload, signed_at, key_index = cookie_format.verify(
                value, self.get_max_age(app)
            )
            data = cookie_format.load_payload(payload)
        except InvalidSessionCookie as error:
            app.logger.info("Ignored the session cookie: %s", error)
            # Left in the browser, as Flask leaves it: in a key rotation, an
            # instance that does not know the new key yet must not sign its
            # users out for good. The next write replaces it.
            return self.session_class()
        flashes_kept = self.restore_flashes(data)
        if not flashes_kept:
            app.logger.info("Dropped flash messages of the wrong shape.")
        session = self.session_class(data)
        session.signed_at = signed_at
        session.key_index = key_index
        session.modified = key_index > 0 or not flashes_kept
        return session

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
        if session.modified:
            self.drop_old_flashes(session)
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

    def drop_old_flashes(self, session: SessionMixin) -> None:
        """Keep the newest :attr:`max_flashes` flash messages of ``session``.

        Only for a changed session, as ``flash()`` leaves it: reading an
        unchanged one would mark it accessed, and add ``Vary: Cookie``.
        """
        flashes = session.get("_flashes", [])
        extra = len(flashes) - self.max_flashes
        if extra > 0:
            session["_flashes"] = flashes[extra:]

    def cookie_header(
        self, app: Flask, session: SessionMixin, name: str, attributes: dict[str, Any]
    ) -> str:
        """The ``Set-Cookie`` value for ``session``, or :exc:`CookieTooLarge`."""
        header = dump_cookie(
            name,
            self.get_cookie_format(app).encode(dict(session)),
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
                f" {largest_keys(session)}. Keep large data on the"
                " server (in the database) and only its id in the session."
            )
        return header

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
