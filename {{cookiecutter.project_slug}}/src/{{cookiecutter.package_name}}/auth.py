"""Registering, logging in and out, and who the current user is."""

import functools

from flask import (
    Blueprint,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from .forms import LoginForm, PasswordForm, RegisterForm
from .redirects import safe_next_path
from .users import UsernameTaken, authenticate, create_user, get_user, set_password

bp = Blueprint("auth", __name__, url_prefix="/auth")


def login_required(view):
    """Send anonymous visitors to the login page, and back here after it."""

    @functools.wraps(view)
    def wrapped_view(**kwargs):
        if g.user is None:
            flash("Please log in to see that page.", "info")
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(**kwargs)

    return wrapped_view


@bp.before_app_request
def load_logged_in_user():
    """Put the user named by the session's ``user_id`` in ``g.user``."""
    user_id = session.get("user_id")
    g.user = get_user(user_id) if user_id is not None else None
    if user_id is not None and g.user is None:
        session.clear()
        flash("Your account no longer exists, so you have been logged out.", "info")


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
        user = authenticate(form.username.data, form.password.data)
        if user is None:
            flash("Incorrect username or password.", "error")
        else:
            # A fresh session at login: anything planted in the old one,
            # including a session id an attacker chose, is gone.
            session.clear()
            session["user_id"] = user["id"]
            flash(f"Welcome, {user['username']}.", "success")
            next_path = safe_next_path(request.args.get("next"))
            return redirect(next_path or url_for("index"))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=("POST",))
def logout():
    """Forget the user. POST only, so no link or image can log anyone out."""
    session.clear()
    flash("You have been logged out.", "info")
    return redirect(url_for("index"))


@bp.route("/password", methods=("GET", "POST"))
@login_required
def change_password():
    """Change the password, after proving the current one."""
    form = PasswordForm()
    if form.validate_on_submit():
        if authenticate(g.user["username"], form.current_password.data) is None:
            form.current_password.errors.append("That is not your current password.")
        else:
            set_password(g.user["id"], form.password.data)
            flash("Your password has been changed.", "success")
            return redirect(url_for("index"))
    return render_template("auth/password.html", form=form)
