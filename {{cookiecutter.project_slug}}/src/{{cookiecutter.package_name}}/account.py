"""The account page: the address and its confirmation, and deleting the account.

An address is given at registration or on this page, and waits,
unconfirmed, until its owner follows the link mailed to it; only then
does it become the account's address, where password resets go. Until
then the account works, and the home page says so.
"""

from datetime import UTC, datetime

from flask import Blueprint, flash, g, redirect, render_template, session, url_for

from . import throttle, tokens
from .account_mail import send_confirmation, send_notice
from .auth import claimed_user, login_required, proves_own_password
from .emails import email_key
from .forms import ConfirmForm, DeleteAccountForm, EmailForm
from .headers import private_url
from .users import (
    EmailTaken,
    ask_for_email,
    confirm_email,
    delete_user,
    get_user,
)

bp = Blueprint("account", __name__, url_prefix="/account")


def email_form():
    # Prefixed: the two forms of the page each have a password field.
    return EmailForm(prefix="email")


def delete_form():
    return DeleteAccountForm(prefix="delete")


def account_page(email=None, delete=None, status=200):
    user = get_user(g.user.id)
    confirmed_at = None
    if user.email_confirmed_at is not None:
        confirmed_at = datetime.fromtimestamp(user.email_confirmed_at, UTC)
    page = render_template(
        "account.html",
        user=user,
        confirmed_at=confirmed_at,
        email_form=email or email_form(),
        delete_form=delete or delete_form(),
    )
    return page, status


@bp.route("")
@login_required
def index():
    """The account's address, and the forms that change it or delete it."""
    return account_page()


@bp.route("/email", methods=("POST",))
@login_required
def change_email():
    """Ask for a new address, after proving the password.

    The address changes only once the new one is confirmed, so a typo
    loses nothing. The old address is told, so that its owner can act
    if the request was not theirs.
    """
    form = email_form()
    if not (form.validate_on_submit() and proves_own_password(form.current_password)):
        return account_page(email=form, status=400)
    address = form.email.data
    user = get_user(g.user.id)
    if email_key(address) == user.email_key:
        flash(f"{user.email} is your address already.", "info")
        return redirect(url_for("account.index"))
    ask_for_email(user.id, address)
    problem = send_confirmation(user.id, address)
    send_notice(user, "A new address was given", "address_changing", new=address)
    flash_how_it_went(problem, address)
    return redirect(url_for("account.index"))


def flash_how_it_went(problem, address):
    """Say whether the confirmation went to ``address``, or why not."""
    if problem:
        flash(problem, "error")
    else:
        flash(
            f"A link to confirm {address} is on its way there. Your address"
            " changes once you follow it.",
            "info",
        )


@bp.route("/confirmation", methods=("POST",))
@login_required
def resend_confirmation():
    """Mail the link that confirms the address awaiting it again."""
    address = g.user.pending_email
    if address is None:
        flash("No address is waiting for its confirmation.", "info")
    else:
        flash_how_it_went(send_confirmation(g.user.id, address), address)
    return redirect(url_for("index"))


@bp.route("/confirm/<token>", methods=("GET", "POST"))
@private_url
def confirm_address(token):
    """Confirm an address from the link mailed to it.

    Opening the link changes nothing, since mail scanners open links; its
    button does. No login is needed: following the link proves that the
    mailbox is the owner's, and it confirms only the address it was sent
    to, while that address is still the one waiting.
    """
    user_id, address = waiting_address(tokens.read(tokens.CONFIRM, token))
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            confirmed = confirm_email(user_id, address)
        except EmailTaken as error:
            flash(f"{error} It cannot be confirmed for this one.", "error")
            return redirect(url_for("index"))
        if not confirmed:
            raise tokens.BadLink(tokens.CONFIRM)
        flash(f"Thank you: {address} is confirmed.", "success")
        return redirect(url_for("index"))
    return render_template(
        "form.html",
        form=form,
        title="Confirm your address",
        intro=f"Confirm {address} as the address of your account.",
        button="Confirm",
    )


def waiting_address(claims):
    """The account and address a confirmation link's ``claims`` may still
    confirm, or BadLink: the address must be the one the account awaits."""
    user, address = claimed_user(claims), claims.get("email")
    if user is None or user.pending_email is None or user.pending_email != address:
        raise tokens.BadLink(tokens.CONFIRM)
    return user.id, address


@bp.route("/delete", methods=("POST",))
@login_required
def delete_account():
    """Delete the account for good, after proving the password.

    Every session of it ends, since the account they name is gone; its
    throttle rows go with it; and its id is never given to another
    account (see ``users.User``).
    """
    form = delete_form()
    if not (form.validate_on_submit() and proves_own_password(form.current_password)):
        return account_page(delete=form, status=400)
    user = get_user(g.user.id)
    throttle.forget_account(user)
    delete_user(user.id)
    session.clear()
    flash("Your account has been deleted.", "info")
    return redirect(url_for("index"))
