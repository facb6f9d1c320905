"""Signed links: a password reset, an address confirmation.

A link carries a token made by itsdangerous, the library that signs the
session cookie: the same keys (``SECRET_KEY``, and its fallbacks while a
rotation is under way), the same format, another salt. The salt goes into
the key that signs, so each purpose has a key of its own: a token signed
for one purpose fails the signature check of every other, and of the
session. One secret serves them all safely, as no signature made with a
derived key tells anything of the others or of the secret.

A signature proves only that the app wrote the token and when. What the
token asked for must still be true when it is used, so each one names
the state it depends on, and dies with it:

- a reset link names the account, its epoch and its address. Using it
  raises the epoch, as any password change and signing out everywhere
  do, so every reset link of the account dies with the first one used;
  a new address kills those sent to the old one.
- a confirmation link names the account and the address it was sent to,
  and confirms that address only while it is still the one awaiting
  confirmation: asking for another kills the links sent before.
"""

from flask import current_app
from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer

#: One salt per purpose. Never the session's ``cookie-session``, nor the
#: device cookie's ``login-device``.
RESET = "password-reset"
CONFIRM = "address-confirmation"

#: Each purpose's lifetime setting.
LIFETIMES = {RESET: "RESET_LINK_LIFETIME", CONFIRM: "CONFIRMATION_LINK_LIFETIME"}


class BadLink(Exception):
    """A link for ``purpose`` that cannot be used: forged, expired, used, or
    made for another purpose.

    The app answers it with a friendly page (see ``errors.py``), which
    ``expired`` words apart: a link that is only old deserves a different
    word from one that never was good, or no longer is.
    """

    def __init__(self, purpose, expired=False):
        super().__init__(f"{purpose}: {'expired' if expired else 'invalid'}")
        self.purpose = purpose
        self.expired = expired


def serializer(purpose):
    """The serializer for ``purpose``, with the keys the session uses.

    itsdangerous signs with the last key and accepts any of them, as
    Flask's session does, so a link mailed before a rotation still works
    while its key is a fallback, and not once the key is retired.
    """
    fallbacks = current_app.config["SECRET_KEY_FALLBACKS"] or []
    keys = [*fallbacks, current_app.secret_key]
    return URLSafeTimedSerializer(keys, salt=purpose)


def lifetime_in_words(purpose):
    """How long a link for ``purpose`` works, as a person says it: "1 hour"."""
    seconds = int(current_app.config[LIFETIMES[purpose]].total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds} seconds"


def make(purpose, **claims):
    """A token for ``purpose`` that holds ``claims``, signed now."""
    return serializer(purpose).dumps(claims)


def read(purpose, token):
    """The claims of a good token for ``purpose``, or BadLink.

    Good means signed with one of the keys under this purpose's salt,
    younger than its lifetime, and holding an object: what the claims
    still require of the account is for the caller to check.
    """
    lifetime = current_app.config[LIFETIMES[purpose]].total_seconds()
    try:
        claims = serializer(purpose).loads(token, max_age=lifetime)
    except SignatureExpired:
        raise BadLink(purpose, expired=True) from None
    except BadData:
        raise BadLink(purpose) from None
    if not isinstance(claims, dict):
        raise BadLink(purpose)
    return claims
