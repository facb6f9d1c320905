{% if cookiecutter.teaching_pages -%}
"""The home page and the session viewer."""

import json
from datetime import UTC, datetime

from flask import Blueprint, current_app, render_template, request

from .auth import login_deadline
from .rotation import rotations
from .sessions import InvalidSessionCookie, decode
from .sessions.cookie import COOKIE_SHAPE
{%- else -%}
"""The home page."""

from flask import Blueprint, render_template
{%- endif %}

bp = Blueprint("pages", __name__)
{%- if cookiecutter.teaching_pages %}

# Flask's default MAX_COOKIE_SIZE, just under the 4096 bytes of name and
# value that browsers keep in one cookie.
BROWSER_COOKIE_LIMIT = 4093
{%- endif %}


@bp.route("/")
def index():
    """Who you are, and what to try."""
    return render_template("index.html")

{%- if cookiecutter.teaching_pages %}


@bp.route("/session")
def viewer():
    """Take apart the session cookie this request arrived with."""
    interface = current_app.session_interface
    name = interface.get_cookie_name(current_app)
    value = request.cookies.get(name)
    return render_template(
        "session.html",
        cookie_name=name,
        value=value,
        report=describe_cookie(interface, name, value) if value else None,
        # Registered in debug mode only (see rotation.py).
        can_rotate="rotation.rotate_key" in current_app.view_functions,
        rotations=rotations(current_app),
    )


def describe_cookie(interface, name, value):
    """Everything the viewer and the lab show about one cookie value, as plain data.

    ``kind`` is ``"valid"`` or the reason's code, as
    :class:`~.sessions.InvalidSessionCookie` gives it.
    """
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
    report.update(
        kind="valid",
        error=None,
        json=json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False),
        compressed=decoded.compressed,
        key_index=decoded.key_index,
        signed_at=signed_at,
        age_seconds=int((datetime.now(UTC) - signed_at).total_seconds()),
        expires_at=signed_at + current_app.permanent_session_lifetime,
        permanent=data.get("_permanent", False),
        refresh_after=interface.get_refresh_after(current_app),
        absolute_deadline=login_deadline(data),
        csrf_token=data.get("csrf_token"),
    )
    return report
{%- endif %}
