"""The tamper lab: paste a session cookie, see what the server makes of it."""

from flask import Blueprint, current_app, render_template, request

from .forms import CookieForm
from .sessions import InvalidSessionCookie

bp = Blueprint("lab", __name__)


@bp.route("/session/lab", methods=("GET", "POST"))
def lab():
    """Judge a cookie value the way the server judges the one it receives."""
    interface = current_app.session_interface
    form = CookieForm()
    verdict = None
    if form.validate_on_submit():
        verdict = judge(interface, form.cookie.data)
    elif request.method == "GET":
        # Start from the visitor's own cookie, ready to be changed.
        form.cookie.data = request.cookies.get(interface.get_cookie_name(current_app))
    return render_template("lab.html", form=form, verdict=verdict)


def judge(interface, value):
    """What the server makes of a cookie value, as plain data for the page.

    Only reads: the lab never signs anything, so it cannot be used to
    mint a session.
    """
    try:
        cookie = interface.decode(current_app, value)
    except InvalidSessionCookie as error:
        return {"kind": error.kind, "reason": str(error)}
    return {
        "kind": "valid",
        "key_index": cookie.key_index,
        "json": cookie.pretty_json(),
        "signed_at": cookie.signed_at,
        "age": cookie.age_seconds,
        "compressed": cookie.compressed,
    }
