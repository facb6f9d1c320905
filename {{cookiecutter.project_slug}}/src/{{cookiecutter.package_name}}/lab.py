"""The tamper lab: paste a session cookie, see what the server makes of it."""

from flask import Blueprint, current_app, render_template, request

from .forms import CookieForm
from .pages import describe_cookie

bp = Blueprint("lab", __name__)


@bp.route("/session/lab", methods=("GET", "POST"))
def lab():
    """Judge a cookie value the way the server judges the one it receives."""
    interface = current_app.session_interface
    name = interface.get_cookie_name(current_app)
    form = CookieForm()
    verdict = None
    if form.validate_on_submit():
        # Only reads: the lab never signs anything, so it cannot be used to
        # mint a session.
        verdict = describe_cookie(interface, name, form.cookie.data)
    elif request.method == "GET":
        # Start from the visitor's own cookie, ready to be changed.
        form.cookie.data = request.cookies.get(name)
    return render_template("lab.html", form=form, verdict=verdict)
