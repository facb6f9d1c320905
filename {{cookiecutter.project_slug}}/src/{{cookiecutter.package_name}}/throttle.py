"""Slowing down password guessing: failed logins per username and address."""

import math
import time

from flask import current_app

from .db import get_db


def start_attempt(username, address):
    """Count a login attempt before checking its password.

    Returns how many seconds logins for this pair stay refused; 0 means
    go ahead. Once ``LOGIN_MAX_FAILURES`` attempts fall within
    ``LOGIN_FAILURE_WINDOW`` seconds, the lock holds until the oldest of
    them leaves the window. The attempt is written first, as a failure,
    in one transaction with the count: requests sent side by side cannot
    all pass the count before any of them is written. A refused attempt
    is not written, so the lock always ends on time.
    """
    now = time.time()
    window = current_app.config["LOGIN_FAILURE_WINDOW"]
    limit = current_app.config["LOGIN_MAX_FAILURES"]
    db = get_db()
    with db:
        # Take the write lock before reading, so that the count holds.
        db.execute("BEGIN IMMEDIATE")
        recent = db.execute(
            "SELECT failed_at FROM login_failure"
            " WHERE username = ? AND address = ? AND failed_at > ?"
            " ORDER BY failed_at DESC",
            (username, address, now - window),
        ).fetchall()
        if len(recent) >= limit:
            oldest_counted = recent[limit - 1]["failed_at"]
            return max(1, math.ceil(oldest_counted + window - now))
        db.execute(
            "INSERT INTO login_failure (username, address, failed_at) VALUES (?, ?, ?)",
            (username, address, now),
        )
        # Rows past the window can never count again.
        db.execute("DELETE FROM login_failure WHERE failed_at <= ?", (now - window,))
    return 0


def forget_failures(username, address):
    """After a good password: the pair starts again from nothing."""
    db = get_db()
    with db:
        db.execute(
            "DELETE FROM login_failure WHERE username = ? AND address = ?",
            (username, address),
        )


def init_app(app):
    """Refuse throttle settings that could not work, at start-up."""
    limit, window = app.config["LOGIN_MAX_FAILURES"], app.config["LOGIN_FAILURE_WINDOW"]
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError(
            f"LOGIN_MAX_FAILURES must be a whole number from 1, not {limit!r}."
        )
    if isinstance(window, bool) or not isinstance(window, int | float) or window <= 0:
        raise ValueError(
            f"LOGIN_FAILURE_WINDOW must be a number of seconds, not {window!r}."
        )
