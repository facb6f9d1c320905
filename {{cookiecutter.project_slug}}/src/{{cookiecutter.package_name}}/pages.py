{% if cookiecutter.teaching_pages -%}
"""The home page and the session viewer."""

from flask import Blueprint, current_app, render_template, request

from .auth import login_deadline
from .rotation import rotations
from .sessions import COOKIE_SHAPE, InvalidSessionCookie, split_cookie
{%- else -%}
"""The home page."""

from flask import Blueprint, render_template
{%- endif %}

bp = Blueprint("pages", __name__)


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
    """Everything the viewer shows about one cookie value, as plain data."""
    report = {
        "size": len(name) + 1 + len(value),
        "budget": current_app.config["MAX_COOKIE_SIZE"],
        "parts": split_cookie(value) if COOKIE_SHAPE.fullmatch(value) else None,
    }
    try:
        cookie = interface.decode(current_app, value)
    except InvalidSessionCookie as error:
        report["error"] = str(error)
        return report
    lifetime = current_app.permanent_session_lifetime
    report.update(
        error=None,
        json=cookie.pretty_json(),
        compressed=cookie.compressed,
        key_index=cookie.key_index,
        signed_at=cookie.signed_at,
        age_seconds=cookie.age_seconds,
        expires_at=cookie.signed_at + lifetime,
        permanent=cookie.data.get("_permanent", False),
        refresh_after=interface.get_refresh_after(current_app),
        absolute_deadline=login_deadline(cookie.data),
        csrf_token=cookie.data.get("csrf_token"),
    )
    return report
{%- endif %}
