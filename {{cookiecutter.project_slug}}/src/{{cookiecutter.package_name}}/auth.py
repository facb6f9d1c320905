"""Registering, logging in and out, and who the current user is."""

import functools
import math
import time
from datetime import UTC, datetime

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from . import throttle
from .forms import LoginForm, PasswordForm, RegisterForm
from .redirects import safe_next_path
from .users import (
    UsernameTaken,
    authenticate,
    create_user,
    end_all_sessions,
    get_user,
    set_password,
)

bp = Blueprint("auth", __name__, url_prefix="/auth")


def login_required(view):
    """Send anonymous visitors to the login page, and back here after it."""

    @functools.wraps(view)
    def wrapped_view(**kwargs):
        if g.user is None:
            flash("Please log in to see that page.", "info")
            # Only a page can be returned to; a form's POST cannot.
            if request.method != "GET":
                return redirect(url_for("auth.login"))
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(**kwargs)

    return wrapped_view


def start_session(user, permanent=False):
    """Begin a fresh session for ``user``.

    Clearing first means nothing planted in the session before login,
    such as a session chosen by an attacker, survives it. The epoch and
    issue time let the server end this session early (see
    :func:`load_logged_in_user`), which a signed cookie alone cannot do.
    """
    session.clear()
    session["user_id"] = user.id
    session["epoch"] = user.epoch
    session["issued_at"] = int(time.time())
    session.permanent = permanent


def login_deadline(data):
    """When the login recorded in session ``data`` must end, or None if none is."""
    issued_at = data.get("issued_at")
    if not isinstance(issued_at, int):
        return None
    lifetime = current_app.config["SESSION_ABSOLUTE_LIFETIME"]
    return datetime.fromtimestamp(issued_at, UTC) + lifetime


def session_end_reason(user):
    """Why the current session may no longer stand for ``user``, or None."""
    if user is None:
        return "Your account no longer exists, so you have been logged out."
    if session.get("epoch") != user.epoch:
        return (
            "You have been logged out: this account signed out everywhere or"
            " changed its password."
        )
    deadline = login_deadline(session)
    if deadline is None or datetime.now(UTC) > deadline:
        return "Your session reached its time limit. Please log in again."
    return None


@bp.before_app_request
def load_logged_in_user():
    """Put the user named by the session's ``user_id`` in ``g.user``."""
    g.user = None
    if request.endpoint == "static":
        return
    user_id = session.get("user_id")
    if user_id is None:
        return
    user = get_user(user_id)
    reason = session_end_reason(user)
    if reason:
        session.clear()
        flash(reason, "info")
    else:
        g.user = user


@bp.route("/register", methods=("GET", "POST"))
def register():
    """Create an account."""
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            create_user(form.username.data, form.password.data)
        except UsernameTaken as error:
            form.username.errors.append(str(error))
        else:
            flash("Your account is ready. Please log in.", "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/register.html", form=form)


@bp.route("/login", methods=("GET", "POST"))
def login():
    """Log in, then go to a safe ``next`` path or the home page."""
    form = LoginForm()
    if form.validate_on_submit():
        username, address = form.username.data, request.remote_addr
        wait = throttle.start_attempt(username, address)
        if wait:
            flash(
                "Too many failed attempts for this username. Try again in"
                f" {math.ceil(wait / 60)} minute(s).",
                "error",
            )
            page = render_template("auth/login.html", form=form)
            return page, 429, {"Retry-After": str(wait)}
        user = authenticate(username, form.password.data)
        if user is None:
            flash("Incorrect username or password.", "error")
        else:
            throttle.forget_failures(username, address)
            start_session(user, permanent=form.remember.data)
            flash(f"Welcome, {user.username}.", "success")
            next_path = safe_next_path(request.args.get("next"))
            return redirect(next_path or url_for("index"))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=("POST",))
def logout():
    """Forget the user. POST only, so no link or image can log anyone out."""
    session.clear()
    flash("You have been logged out.", "info")
    return redirect(url_for("index"))


@bp.route("/sign-out-everywhere", methods=("POST",))
@login_required
def sign_out_everywhere():
    """End every session of this account, in every browser, this one too."""
    end_all_sessions(g.user.id)
    session.clear()
    flash("You have been signed out everywhere, including here.", "info")
    return redirect(url_for("index"))


@bp.route("/password", methods=("GET", "POST"))
@login_required
def change_password():
    """Change the password, after proving the current one."""
    form = PasswordForm()
    if form.validate_on_submit():
        if authenticate(g.user.username, form.current_password.data) is None:
            form.current_password.errors.append("That is not your current password.")
        else:
            set_password(g.user.id, form.password.data)
            # Every other session has ended; this browser gets a new one.
            start_session(get_user(g.user.id), session.permanent)
            flash(
                "Your password has been changed, and every other session ended.",
                "success",
            )
            return redirect(url_for("index"))
    return render_template("auth/password.html", form=form)
