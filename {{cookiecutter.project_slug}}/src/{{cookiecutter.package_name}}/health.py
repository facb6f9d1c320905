"""A health check for load balancers and orchestrators: /healthz."""

import sqlalchemy as sa
from flask import Blueprint, current_app

from .auth import session_free
from .reads import read_row

bp = Blueprint("health", __name__)

TRIVIAL_QUERY = sa.text("SELECT 1")


@bp.get("/healthz")
@session_free
def healthz():
    """200 while the database answers a trivial query, else 503 and why.

    It reads as the user lookup does (see ``reads.py``): a connection
    that a restart of the database dropped is replaced and the query tried
    again, so the check does not fail once the database is back.

    It never touches the session, not even to load the user, so its
    responses carry no Set-Cookie and no Vary: Cookie, and a cache or a
    probe sees the same answer for everyone. A GET needs no CSRF token.
    """
    try:
        read_row(TRIVIAL_QUERY, {})
    except sa.exc.SQLAlchemyError as error:
        reason = getattr(error, "orig", None) or error
        current_app.logger.error(
            "Health check: the database does not answer: %s", reason
        )
        return {"status": "unavailable", "reason": "the database does not answer"}, 503
    return {"status": "ok"}
