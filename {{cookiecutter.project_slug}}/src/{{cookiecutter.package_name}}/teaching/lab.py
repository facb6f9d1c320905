"""The tamper lab: paste a session cookie, see what the server makes of it."""

from flask import current_app, render_template, request
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from .report import describe_cookie


class CookieForm(FlaskForm):
    """A session cookie value to judge."""

    cookie = TextAreaField(
        "Cookie value",
        filters=[lambda value: value.strip() if value else value],
        render_kw={"rows": 6, "spellcheck": "false"},
        validators=[
            DataRequired(),
            # Browsers keep at most about 4 KB in a cookie; twice that is plenty.
            Length(max=8192, message="A cookie is at most a few kilobytes long."),
        ],
    )


def lab():
    """Judge a cookie value the way the server judges the one it receives."""
    name = current_app.session_interface.get_cookie_name(current_app)
    form = CookieForm()
    verdict = None
    if form.validate_on_submit():
        # Only reads: the lab never signs anything, so it cannot be used to
        # mint a session.
        verdict = describe_cookie(name, form.cookie.data)
    elif request.method == "GET":
        # Start from the visitor's own cookie, ready to be changed.
        form.cookie.data = request.cookies.get(name)
    return render_template("teaching/lab.html", form=form, verdict=verdict)
