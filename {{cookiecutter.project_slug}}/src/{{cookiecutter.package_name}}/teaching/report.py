"""What the viewer and the lab show about a session cookie, or a link's token,
as plain data."""

import json
from datetime import UTC, datetime, timedelta

from flask import current_app

from .. import tokens
from ..auth import login_deadline
from ..errors import LINK_REFUSALS
from ..sessions import InvalidSessionCookie, decode
from ..sessions.cookie import COOKIE_SHAPE

# Flask's default MAX_COOKIE_SIZE, just under the 4096 bytes of name and
# value that browsers keep in one cookie.
BROWSER_COOKIE_LIMIT = 4093


def describe_cookie(name, value):
    """Everything the viewer and the lab show about one cookie value.

    The session interface judges it, as it judges the cookie a request
    brings, and gives its limits; the login's absolute deadline is the
    login checks' to say. ``kind`` is ``"valid"`` or the reason's code,
    as :class:`InvalidSessionCookie` gives it.
    """
    interface = current_app.session_interface
    report = {
        "size": len(name) + 1 + len(value),
        # 0 turns the app's check off, not the browsers' limit.
        "budget": current_app.config["MAX_COOKIE_SIZE"] or BROWSER_COOKIE_LIMIT,
        "parts": value.rsplit(".", 2) if COOKIE_SHAPE.fullmatch(value) else None,
    }
    try:
        decoded = decode(
            value,
            interface.signing_keys(current_app),
            max_age=interface.get_max_age(current_app),
            salt=interface.salt,
        )
    except InvalidSessionCookie as error:
        report.update(kind=error.kind, error=str(error))
        return report
    data, signed_at = decoded.data, decoded.signed_at
    max_age = timedelta(seconds=interface.get_max_age(current_app))
    report.update(
        kind="valid",
        error=None,
        json=json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False),
        compressed=decoded.compressed,
        key_index=decoded.key_index,
        signed_at=signed_at,
        age_seconds=int((datetime.now(UTC) - signed_at).total_seconds()),
        expires_at=signed_at + max_age,
        permanent=data.get("_permanent", False),
        refresh_after=interface.get_refresh_after(current_app),
        absolute_deadline=login_deadline(data),
        csrf_token=data.get("csrf_token"),
    )
    return report


def describe_token(value):
    """What the app makes of ``value`` as the token of one of its links.

    Each purpose's salt is tried in turn, as each link's page tries its
    own: ``kind`` is ``"valid"`` or ``"expired"`` under the ``salt``
    whose key made the signature, or ``"none"`` when no salt's key made
    it. Only the signature and the lifetime are judged here: what the
    claims still require of the account, the link's page checks when
    it is used.
    """
    # Every purpose has a lifetime, so these are all the links' salts.
    for salt, setting in tokens.LIFETIMES.items():
        report = {
            "salt": salt,
            "link": LINK_REFUSALS[salt].name,
            "lifetime_setting": setting,
        }
        try:
            claims = tokens.read(salt, value)
        except tokens.BadLink as error:
            if error.expired:
                return {"kind": "expired", **report}
            continue
        claims_json = json.dumps(claims, indent=2, sort_keys=True, ensure_ascii=False)
        return {"kind": "valid", "json": claims_json, **report}
    return {"kind": "none", "salt": None, "salts": list(tokens.LIFETIMES)}
