"""The start-up checks: settings that would make sessions unusable or unsafe.

They run when the interface is installed (``init_app``), so that a bad
deployment fails loudly before serving anyone, with a message that names
the setting and the fix. Debug and testing mode relax the rules that only
matter in production.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from itsdangerous.encoding import want_bytes

if TYPE_CHECKING:
    from flask import Flask

    from .interface import SignedCookieSessionInterface

NEW_KEY_COMMAND = "python -c 'import secrets; print(secrets.token_hex(32))'"

#: Keys shorter than this many bytes are refused outside debug and
#: testing. 32 random bytes cannot be guessed; a short or memorable key
#: can be brute-forced offline from a single cookie.
MIN_KEY_LENGTH = 32


class SessionConfigError(RuntimeError):
    """The app's settings would make sessions insecure or unusable."""


def check_config(app: Flask, interface: SignedCookieSessionInterface) -> None:
    """Refuse settings that would make ``interface`` unusable or unsafe in ``app``."""
    secret_key = app.secret_key
    if secret_key is None or (isinstance(secret_key, str | bytes) and not secret_key):
        raise SessionConfigError(
            "SECRET_KEY is not set, so sessions cannot be signed. Set the"
            " FLASK_SECRET_KEY environment variable (for example in .env) to"
            f" the output of: {NEW_KEY_COMMAND}"
        )
    keys = interface.signing_keys(app)
    check_key_types(keys)
    if not (app.debug or app.testing):
        check_key_lengths(keys)
        check_secure_flag(app.config["SESSION_COOKIE_SECURE"])
    refresh_after = interface.get_refresh_after(app)
    if not isinstance(refresh_after, int | float) or not 0 <= refresh_after <= 1:
        raise SessionConfigError(
            f"SESSION_REFRESH_AFTER is {refresh_after!r}; use a fraction from 0 to 1."
        )
    check_cookie_attributes(app, interface)


def key_name(index: int) -> str:
    """How a message names the key at ``index`` of the signing keys."""
    return "SECRET_KEY" if index == 0 else "a key in SECRET_KEY_FALLBACKS"


def check_key_types(keys: tuple[object, ...]) -> None:
    """Refuse a key, current or fallback, that is not text or bytes.

    Flask reads ``FLASK_`` environment variables as JSON, so a key of
    digits alone arrives as a number, and ``true`` or ``[...]`` as JSON's
    other values; the signer would fail on them with a ``TypeError`` at
    the first request. A lone surrogate (``\\ud800`` in JSON) has no
    UTF-8 bytes to sign with. The message names the key, never its value.
    """
    for index, key in enumerate(keys):
        if not isinstance(key, str | bytes):
            raise SessionConfigError(
                f"{key_name(index)} must be a string, not {type(key).__name__}:"
                " FLASK_ environment variables are read as JSON, where digits"
                f" alone are a number. Use a new key: {NEW_KEY_COMMAND}"
            )
        try:
            want_bytes(key)
        except UnicodeEncodeError:
            raise SessionConfigError(
                f"{key_name(index)} holds a lone surrogate, which has no UTF-8"
                f" bytes. Use a new key: {NEW_KEY_COMMAND}"
            ) from None


def check_key_lengths(keys: tuple[str | bytes, ...]) -> None:
    """Refuse a key, current or fallback, shorter than :data:`MIN_KEY_LENGTH`."""
    for index, key in enumerate(keys):
        length = len(want_bytes(key))
        if length < MIN_KEY_LENGTH:
            raise SessionConfigError(
                f"{key_name(index)} is {length} bytes; use at least"
                f" {MIN_KEY_LENGTH} random bytes: {NEW_KEY_COMMAND}"
            )


def check_secure_flag(secure: object) -> None:
    """Refuse a ``SESSION_COOKIE_SECURE`` that turns the flag off in production.

    Any false value does, not only ``False``: the environment reads
    ``FLASK_SESSION_COOKIE_SECURE=0`` as the number 0, and a config file
    may say ``""``. ``None`` is not refused: it means Secure here.
    """
    if secure is not None and not secure:
        raise SessionConfigError(
            f"SESSION_COOKIE_SECURE is {secure!r} outside debug and testing, so the"
            " session would travel over plain HTTP. Set it to True, or to"
            " None for Secure everywhere but in debug and testing."
        )


def check_cookie_attributes(
    app: Flask, interface: SignedCookieSessionInterface
) -> None:
    """Refuse cookie attributes that browsers would reject with the cookie."""
    name = interface.get_cookie_name(app)
    secure = interface.get_cookie_secure(app)
    samesite = interface.get_cookie_samesite(app) or ""
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
    if name.startswith("__Host-") and interface.get_cookie_domain(app):
        raise SessionConfigError(
            f"SESSION_COOKIE_NAME {name!r} forbids a Domain; unset"
            " SESSION_COOKIE_DOMAIN."
        )
    if name.startswith("__Host-") and interface.get_cookie_path(app) != "/":
        raise SessionConfigError(
            f"SESSION_COOKIE_NAME {name!r} needs Path=/; set SESSION_COOKIE_PATH"
            " to '/'."
        )
