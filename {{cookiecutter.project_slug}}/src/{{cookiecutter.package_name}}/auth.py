"""Registering, logging in and out, and who the current user is."""

import functools
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
from werkzeug.exceptions import TooManyRequests

from . import devices, throttle
from .account_mail import send_confirmation, send_notice
from .forms import LoginForm, PasswordForm, RegisterForm
from .redirects import safe_next_path
from .users import (
    UsernameTaken,
    authenticate,
    create_user,
    end_all_sessions,
    get_current_user,
    get_user,
    set_password,
)

bp = Blueprint("auth", __name__, url_prefix="/auth")

# The largest id an integer column holds in PostgreSQL.
MAX_USER_ID = 2**31 - 1


def is_user_id(value):
    """Whether ``value``, read from signed data, can be an account's id.

    A value of another type or out of range must not reach the database,
    where it would fail the query. ``type(...) is int``, because True is
    an int too.
    """
    return type(value) is int and 1 <= value <= MAX_USER_ID


def claimed_user(claims):
    """The account whose id the signed ``claims`` hold, or None."""
    user_id = claims.get("user_id")
    return get_user(user_id) if is_user_id(user_id) else None


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
    """Begin a fresh session for ``user``, who has just proved their password.

    Clearing first means nothing planted in the session before login,
    such as a session chosen by an attacker, survives it. The epoch and
    issue time let the server end this session early (see
    :func:`load_logged_in_user`), which a signed cookie alone cannot do.
    The browser is also remembered as a device of the account, which
    keeps an allowance of its own while others guess at the account.
    """
    session.clear()
    session["user_id"] = user.id
    session["epoch"] = user.epoch
    session["issued_at"] = int(time.time())
    session.permanent = permanent
    devices.remember(user)


def holds_a_login(data):
    """Whether session ``data`` records a login in the shape start_session writes.

    The signature proves only that this app wrote the cookie, perhaps
    under an older version or a bug; a value of another type or out of
    range must not reach the database or the clock. ``type(...) is int``,
    because True is an int too.
    """
    epoch = data.get("epoch")
    issued_at = data.get("issued_at")
    return (
        is_user_id(data.get("user_id"))
        and type(epoch) is int
        and type(issued_at) is int
        and issued_at >= 0
    )


def login_deadline(data):
    """When the login recorded in session ``data`` must end, or None if none is."""
    if not holds_a_login(data):
        return None
    lifetime = current_app.config["SESSION_ABSOLUTE_LIFETIME"]
    try:
        return datetime.fromtimestamp(data["issued_at"], UTC) + lifetime
    except (OverflowError, ValueError, OSError):
        # Past the year 9999, where Python has no dates: no real login.
        return None


def user_free(view):
    """Mark a view that needs no user loaded, and so no database."""
    view.user_free = True
    return view


def session_free(view):
    """Mark a view whose response is the same for everyone, with no user loaded.

    Reading the session to load the user would add ``Vary: Cookie`` to
    its responses, and could end a revoked session on a request that
    shows nothing of it.
    """
    return user_free(view)


def is_user_free(endpoint):
    """Whether the view at ``endpoint`` serves static files or is user-free."""
    if endpoint is None:
        # No route matched: the error page shows who is logged in.
        return False
    # Flask names the views of static files "static", or "<blueprint>.static".
    if endpoint.rpartition(".")[2] == "static":
        return True
    return getattr(current_app.view_functions.get(endpoint), "user_free", False)


def session_end_reason(user, data):
    """Why session ``data`` may no longer stand for ``user``, or None."""
    if user is None:
        return "Your account no longer exists, so you have been logged out."
    if data.get("epoch") != user.epoch:
        return (
            "You have been logged out: this account signed out everywhere or"
            " changed its password."
        )
    deadline = login_deadline(data)
    if deadline is None or datetime.now(UTC) > deadline:
        return "Your session reached its time limit. Please log in again."
    return None


@bp.before_app_request
def load_logged_in_user():
    """Put the user the session is signed in as in ``g.user``, or None."""
    if is_user_free(request.endpoint):
        g.user = None
    else:
        # The session itself rather than its proxy, which would look it
        # up again on every read.
        g.user = signed_in_user(session._get_current_object())


def signed_in_user(data):
    """The user that session ``data`` is signed in as, or None.

    A :class:`~.users.CurrentUser`, read from the database on every
    request, so that a session ended elsewhere is refused at once; an
    ended login is cleared from ``data``, with a message saying why.
    """
    if "user_id" not in data:
        return None
    if not holds_a_login(data):
        current_app.logger.warning("Refused a signed session of the wrong shape.")
        reason = "Your session could not be read, so you have been logged out."
    else:
        user = get_current_user(data["user_id"])
        reason = session_end_reason(user, data)
        if reason is None:
            return user
    data.clear()
    flash(reason, "info")
    return None


@bp.route("/register", methods=("GET", "POST"))
def register():
    """Create an account, and mail a link that confirms its address."""
    form = RegisterForm()
    if form.validate_on_submit():
        address = form.email.data
        try:
            user_id = create_user(
                form.username.data, form.password.data, pending_email=address
            )
        except UsernameTaken as error:
            form.username.errors.append(str(error))
        else:
            problem = send_confirmation(user_id, address)
            if problem:
                flash("Your account is ready. Please log in.", "success")
                flash(problem, "error")
            else:
                flash(
                    f"Your account is ready, and a link to confirm {address} is on"
                    " its way there. Please log in.",
                    "success",
                )
            return redirect(url_for("auth.login"))
    return render_template("form.html", form=form, title="Register", button="Register")


@bp.route("/login", methods=("GET", "POST"))
def login():
    """Log in, then go to a safe ``next`` path or the home page."""
    form = LoginForm()
    if form.validate_on_submit():
        user = throttled_authenticate(form.username.data, form.password.data)
        if user is None:
            flash("Incorrect username or password.", "error")
        else:
            start_session(user, permanent=form.remember.data)
            flash(f"Welcome, {user.username}.", "success")
            next_path = safe_next_path(request.args.get("next"))
            return redirect(next_path or url_for("index"))
    return render_template(
        "auth/login.html", form=form, title="Log in", button="Log in"
    )


class Throttled(TooManyRequests):
    """Refused while a throttle's lock holds: a 429 that says when to try again."""

    def __init__(self, what, wait):
        super().__init__(
            f"Too many {what}. {throttle.try_again_in(wait)}",
            retry_after=wait,
        )


def throttled_authenticate(username, password):
    """Check a password as one attempt the login throttle counts.

    Returns the user, or None for a wrong password; raises Throttled while
    the throttle's lock holds, when the password is not checked at all. A
    right password forgets the failures before it. A browser holding a
    device cookie for the account is counted as that device rather than
    by its address and the account's ceiling.
    """
    address = request.remote_addr
    device = devices.recognised(username)
    wait = throttle.start_attempt(username, address, device)
    if wait:
        raise Throttled("failed attempts for this username", wait)
    user = authenticate(username, password)
    if user is not None:
        throttle.forget_failures(username, address, device)
    return user


def proves_own_password(field):
    """Whether ``field`` holds the signed-in user's password.

    A wrong one is marked on the field. A stolen session must not become
    a way to guess the password: each try counts as a login attempt for
    the account.
    """
    if throttled_authenticate(g.user.username, field.data) is not None:
        return True
    field.errors.append("That is not your current password.")
    return False


@bp.route("/logout", methods=("POST",))
@user_free
def logout():
    """Forget the user. POST only, so no link or image can log anyone out.

    User-free: clearing this browser's session needs no database, so it
    works while the database is down. Whoever the session names, and
    whether their account still stands, makes no difference to it.
    """
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
    if form.validate_on_submit() and proves_own_password(form.current_password):
        set_password(g.user.id, form.password.data)
        user = get_user(g.user.id)
        # Every other session has ended; this browser gets a new one.
        start_session(user, session.permanent)
        send_notice(user, "Your password was changed", "password_changed")
        flash(
            "Your password has been changed, and every other session ended.",
            "success",
        )
        return redirect(url_for("index"))
    return render_template(
        "form.html", form=form, title="Change your password", button="Change password"
    )
