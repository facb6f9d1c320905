"""Slowing down password guessing: failed logins per username and address."""

import time

from flask import current_app

from .db import get_db


def _window():
    return current_app.config["LOGIN_FAILURE_WINDOW"]


def _recent_failures(username, address, now):
    return (
        get_db()
        .execute(
            "SELECT failed_at FROM login_failure"
            " WHERE username = ? AND address = ? AND failed_at > ?"
            " ORDER BY failed_at DESC",
            (username, address, now - _window()),
        )
        .fetchall()
    )


def seconds_locked(username, address):
    """How long logins for this pair stay refused; 0 when they are allowed.

    Once ``LOGIN_MAX_FAILURES`` failures fall within
    ``LOGIN_FAILURE_WINDOW`` seconds, the lock holds until the oldest of
    them leaves the window. Attempts during the lock are not counted, so
    it always ends on time.
    """
    now = time.time()
    failures = _recent_failures(username, address, now)
    limit = current_app.config["LOGIN_MAX_FAILURES"]
    if len(failures) < limit:
        return 0
    oldest_counted = failures[limit - 1]["failed_at"]
    return max(1, round(oldest_counted + _window() - now))


def record_failure(username, address):
    now = time.time()
    db = get_db()
    with db:
        db.execute(
            "INSERT INTO login_failure (username, address, failed_at) VALUES (?, ?, ?)",
            (username, address, now),
        )
        # Rows past the window can never count again.
        db.execute("DELETE FROM login_failure WHERE failed_at <= ?", (now - _window(),))


def forget_failures(username, address):
    db = get_db()
    with db:
        db.execute(
            "DELETE FROM login_failure WHERE username = ? AND address = ?",
            (username, address),
        )
