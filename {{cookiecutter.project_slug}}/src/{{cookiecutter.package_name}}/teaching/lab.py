"""The tamper lab: paste a session cookie, or a link's token, and see what
the server makes of it."""

from flask import current_app, render_template, request
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from .report import describe_cookie, describe_token


def pasted_value(text):
    """The value to judge in ``text``: trimmed, and a link's last segment.

    A reset or confirmation link ends with its token, and neither a
    cookie nor a token holds a slash, so a link pasted whole is read as
    the token it carries.
    """
    return text.strip().rpartition("/")[2] if text else text


class CookieForm(FlaskForm):
    """A session cookie value, or a link's token, to judge."""

    cookie = TextAreaField(
        "Cookie value, or a link's token",
        filters=[pasted_value],
        render_kw={"rows": 6, "spellcheck": "false"},
        validators=[
            DataRequired(),
            # Browsers keep at most about 4 KB in a cookie; twice that is plenty.
            Length(max=8192, message="A cookie is at most a few kilobytes long."),
        ],
    )


def lab():
    """Judge a value the way the server judges a cookie it receives, and
    the way each link's page judges a token."""
    name = current_app.session_interface.get_cookie_name(current_app)
    form = CookieForm()
    verdict = token = None
    if form.validate_on_submit():
        # Only reads: the lab never signs anything, so it cannot be used to
        # mint a session or a link.
        verdict = describe_cookie(name, form.cookie.data)
        token = describe_token(form.cookie.data)
    elif request.method == "GET":
        # Start from the visitor's own cookie, ready to be changed.
        form.cookie.data = request.cookies.get(name)
    return render_template("teaching/lab.html", form=form, verdict=verdict, token=token)
