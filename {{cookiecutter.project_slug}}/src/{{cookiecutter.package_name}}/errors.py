"""Friendly error pages: a plain explanation, never a traceback.

The pages show who is signed in from ``g.user``, plain values taken when
the user was loaded, and ask nothing of the database: the error may be
the database's own.
"""

import contextlib
from typing import NamedTuple

import sqlalchemy as sa
from flask import Blueprint, current_app, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import (
    HTTPException,
    InternalServerError,
    RequestEntityTooLarge,
    SecurityError,
    ServiceUnavailable,
)

from . import tokens
from .db import db

bp = Blueprint("errors", __name__)


def end_failed_transaction():
    """Roll back what the request left of its transaction, before any page.

    A transaction that failed makes every later query in it fail again,
    and on PostgreSQL it keeps its locks until it ends. A rollback on a
    connection that is gone fails too; SQLAlchemy has discarded the
    connection by then, so nothing is left to end.
    """
    with contextlib.suppress(sa.exc.SQLAlchemyError):
        db.session.rollback()


class LinkRefusal(NamedTuple):
    """What the page for a signed link that cannot be used says of it."""

    name: str
    #: Why a link that was good may be good no longer.
    reasons: str
    #: The way on: an endpoint, and its words.
    next_endpoint: str
    next_text: str


LINK_REFUSALS = {
    tokens.RESET: LinkRefusal(
        "reset link",
        "it was used already, or a newer password or a sign-out replaced it",
        "reset.forgot_password",
        "Send me a new link",
    ),
    tokens.CONFIRM: LinkRefusal(
        "confirmation link",
        "the address was confirmed already, or a newer address replaced it",
        "account.index",
        "Go to your account",
    ),
}


@bp.app_errorhandler(tokens.BadLink)
def link_refused(error):
    """A friendly 400 page for a signed link that cannot be used.

    A link that is only old is told apart from one that never was good,
    or no longer is; either way the page offers a way on.
    """
    refusal = LINK_REFUSALS[error.purpose]
    if error.expired:
        lifetime = tokens.lifetime_in_words(error.purpose)
        message = f"This {refusal.name} has expired: each works for {lifetime}."
    else:
        message = (
            f"This {refusal.name} cannot be used: {refusal.reasons}, or it was"
            " changed on the way."
        )
    next_step = {"url": url_for(refusal.next_endpoint), "text": refusal.next_text}
    page = render_template(
        "message.html",
        title=refusal.name.capitalize(),
        message=message,
        next_step=next_step,
    )
    return page, 400


@bp.app_errorhandler(CSRFError)
def csrf_failed(error):
    message = (
        "This form has expired or did not come from this site. Go back, reload"
        " the page and send it again."
    )
    return render_template("error.html", error=error, message=message), error.code


@bp.app_errorhandler(SecurityError)
def untrusted_host(error):
    # A Host outside TRUSTED_HOSTS: Flask builds no URLs for it, so the
    # error page, whose links need them, cannot be shown.
    return f"{error.description}\n", error.code, {"Content-Type": "text/plain"}


@bp.app_errorhandler(RequestEntityTooLarge)
def too_large(error):
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    return http_error(
        RequestEntityTooLarge(
            f"What you sent is too large: this site accepts at most"
            f" {limit // 1024} KB at once. Send less, or split it up."
        )
    )


# A database that is down, restarting, out of connections or locked is
# worth trying again in a moment; any other database error is a bug (500).
@bp.app_errorhandler(sa.exc.OperationalError)
@bp.app_errorhandler(sa.exc.TimeoutError)
def database_unavailable(error):
    end_failed_transaction()
    # The driver's message says what failed; it belongs in the log, not
    # on a page that anyone can load.
    reason = getattr(error, "orig", None) or error
    current_app.logger.error(
        "The database is unavailable (%s %s): %s",
        request.method,
        request.path,
        str(reason).strip().replace("\n", " "),
    )
    return http_error(
        ServiceUnavailable(
            "The site cannot reach its database just now. Please try again in"
            " a minute.",
            retry_after=30,
        )
    )


@bp.app_errorhandler(HTTPException)
def http_error(error):
    if isinstance(error, InternalServerError):
        # An unexpected error, perhaps in the middle of a transaction.
        end_failed_transaction()
        message = "Something went wrong on our side. It has been logged."
    else:
        message = error.description
    # Keep what the error adds, such as the Allow header of a 405.
    headers = [(k, v) for k, v in error.get_headers() if k != "Content-Type"]
    page = render_template("error.html", error=error, message=message)
    return page, error.code, headers
