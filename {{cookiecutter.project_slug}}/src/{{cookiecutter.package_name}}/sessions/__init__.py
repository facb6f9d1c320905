"""Sessions kept in the browser as signed, readable JSON.

Flask's default session already lives in a signed cookie. This package
keeps that idea and changes what is inside: plain JSON that JavaScript, a
proxy or a person can read, signed as itsdangerous signs by default. The
data is *signed, not encrypted*: never put a secret in the session.

One module per concept, each readable in one sitting:

- ``strict_json``: the JSON rules, so that every reader reads a session alike;
- ``cookie``: the cookie format, with :func:`decode` and :func:`encode`,
  which need no Flask;
- ``interface``: Flask's session interface (open, save, refresh, ``Vary``,
  cookie attributes);
- ``checks``: the settings refused at start-up, and why;
- ``session-cookie.mjs``: the same format read in JavaScript, by browsers
  and by Node.

The package imports nothing from the app around it. To use it in another
Flask 3.1 app, copy this folder into the app's package and install the
interface when the app is created::

    from .sessions import SignedCookieSessionInterface

    app.config["SESSION_COOKIE_SECURE"] = None  # Flask's False is refused
    SignedCookieSessionInterface().init_app(app)

It needs Flask and itsdangerous, which Flask already brings.
"""

from .checks import SessionConfigError
from .cookie import (
    CookieTooLarge,
    DecodedCookie,
    InvalidSessionCookie,
    decode,
    encode,
)
from .interface import SignedCookieSessionInterface, SignedSession

__all__ = [
    "CookieTooLarge",
    "DecodedCookie",
    "InvalidSessionCookie",
    "SessionConfigError",
    "SignedCookieSessionInterface",
    "SignedSession",
    "decode",
    "encode",
]
