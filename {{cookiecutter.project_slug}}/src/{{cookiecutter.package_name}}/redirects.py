"""Deciding whether a ``next`` parameter may be followed after login."""

import unicodedata
from urllib.parse import urlsplit


def safe_next_path(target):
    """Return ``target`` if it is a path on this site, else None.

    Following any URL a link hands us would make the login page an open
    redirect: a phishing mail links to our real login page, and after a
    real login the user lands on the attacker's copy. So only a path is
    accepted. Browsers are lenient in ways a naive check misses, and
    each rule below closes one of them:

    * ``//evil.example`` and ``///evil.example`` are scheme-relative URLs
      to another host;
    * ``/\\evil.example`` is one too, since browsers read ``\\`` as ``/``;
    * ``https:evil.example`` has a scheme but no host, and browsers
      supply the host from what follows;
    * browsers drop tabs and newlines inside URLs and strip leading
      control characters, so ``/\\t/evil.example`` becomes ``//evil.example``.
    """
    if not target:
        return None
    if any(unicodedata.category(char) == "Cc" for char in target):
        return None
    normalised = target.replace("\\", "/")
    if not normalised.startswith("/") or normalised.startswith("//"):
        return None
    parts = urlsplit(normalised)
    if parts.scheme or parts.netloc:
        return None
    return target
