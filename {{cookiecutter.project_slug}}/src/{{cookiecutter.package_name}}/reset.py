"""Forgot password: a reset link by mail, and the form it opens.

The forgot-password form answers with the same words, in the same time,
whether or not an account has the address, so that it cannot be used to
find out who has an account. The link's page changes nothing when it is
opened, since mail scanners open links; its form does.
"""

from flask import Blueprint, flash, redirect, render_template, request, url_for

from . import throttle, tokens
from .account_mail import send_notice, send_reset_after_response
from .auth import Throttled, claimed_user, start_session
from .forms import ForgotPasswordForm, ResetPasswordForm
from .headers import private_url
from .users import get_user, get_user_by_email, set_password

bp = Blueprint("reset", __name__, url_prefix="/auth")

SENT = (
    "If an account has the address {address} and it is confirmed, a link to"
    " reset its password is on its way there. It works for {lifetime}."
)


@bp.route("/forgot-password", methods=("GET", "POST"))
def forgot_password():
    """Ask for a reset link by mail."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        address = form.email.data
        # Counted for every address, known or not, so that the throttle
        # tells nothing either.
        wait = throttle.start_mail(address, request.remote_addr)
        if wait:
            raise Throttled("mails to this address", wait)
        user = get_user_by_email(address)
        if user is not None:
            send_reset_after_response(user)
        lifetime = tokens.lifetime_in_words(tokens.RESET)
        flash(SENT.format(address=address, lifetime=lifetime), "info")
        return redirect(url_for("auth.login"))
    return render_template(
        "form.html",
        form=form,
        title="Forgot your password?",
        intro="Give the address of your account, and we will mail it a link"
        " that sets a new password.",
        button="Send the link",
    )


def account_for(claims):
    """The account a reset link's ``claims`` may still reset, or BadLink.

    The link dies with the state it names: the epoch, which every
    password change, every use of a reset link and signing out everywhere
    raise, and the address it was sent to.
    """
    user = claimed_user(claims)
    if (
        user is None
        or claims.get("epoch") != user.epoch
        or user.email is None
        or claims.get("email") != user.email
    ):
        raise tokens.BadLink(tokens.RESET)
    return user


@bp.route("/reset/<token>", methods=("GET", "POST"))
@private_url
def reset_password(token):
    """Set a new password from a reset link, then sign in with it.

    Whoever is signed in here, the link decides the account, and a new
    session replaces theirs.
    """
    user = account_for(tokens.read(tokens.RESET, token))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        set_password(user.id, form.password.data)
        user = get_user(user.id)
        start_session(user)
        send_notice(user, "Your password was changed", "password_changed")
        flash(
            "Your password has been set, and every other session of your account"
            " has ended.",
            "success",
        )
        return redirect(url_for("index"))
    return render_template(
        "form.html",
        form=form,
        title="Set a new password",
        intro=f"Choose a new password for {user.username}.",
        button="Set the password",
    )
