"""The mails about an account: confirmations and resets with their signed
links, and notices of what changed.

A mail that anyone can make the app send (a confirmation, a reset) is
counted by the throttle first, per address, so that the forms cannot
flood an inbox. Notices go with actions that needed the password.
"""

from flask import request, url_for

from . import throttle, tokens
from .mail import compose, send, send_after_response
from .users import get_user_by_email

FAILED = "The mail could not be sent just now. Please try again in a few minutes."


def deliver(address, subject, template, **context):
    """Count a mail to ``address``, then send it; None when it went, or what
    to tell the user when it did not."""
    wait = throttle.start_mail(address, request.remote_addr)
    if wait:
        return f"Enough mails have gone to {address} for now. {throttle.try_again_in(wait)}"
    if not send(compose(address, subject, template, **context)):
        return FAILED
    return None


def send_confirmation(user_id, address):
    """Mail ``address`` a link that confirms it for the account ``user_id``.

    If another account has confirmed it already, its owner is told
    instead: no account can take it, and the page that asked says the
    same words either way.
    """
    if get_user_by_email(address) is not None:
        return deliver(address, "Your address was given again", "address_in_use")
    token = tokens.make(tokens.CONFIRM, user_id=user_id, email=address)
    link = url_for("account.confirm_address", token=token, _external=True)
    lifetime = tokens.lifetime_in_words(tokens.CONFIRM)
    return deliver(
        address, "Confirm your address", "confirm", link=link, lifetime=lifetime
    )


def send_reset_after_response(user):
    """Mail ``user``'s confirmed address a reset link, once the page has gone.

    The link dies with the account's epoch and address (see tokens.py).
    Only the link is made now, from this request's host; the mail is
    rendered and sent once the response has gone (see
    ``mail.send_after_response``), so that the page takes as long for an
    address no account has. Plain values go with it: the account's row
    is gone with the request.
    """
    token = tokens.make(
        tokens.RESET, user_id=user.id, epoch=user.epoch, email=user.email
    )
    link = url_for("reset.reset_password", token=token, _external=True)
    address, username = user.email, user.username
    lifetime = tokens.lifetime_in_words(tokens.RESET)
    send_after_response(
        lambda: compose(
            address,
            "Reset your password",
            "reset",
            link=link,
            username=username,
            lifetime=lifetime,
        )
    )


def send_notice(user, subject, template, **context):
    """Tell the owner of ``user``'s confirmed address, if any, what changed.

    A notice lets the owner act if it was not them; one that cannot be
    sent is logged, and the change it tells of stands.
    """
    if user.email:
        send(compose(user.email, subject, template, user=user, **context))
