"""Slowing down password guessing: failed logins per username and address."""

import functools
import hashlib
import hmac
import ipaddress
import math
import time

import sqlalchemy as sa
from flask import current_app
from itsdangerous import Signer
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from .db import db
from .users import username_key

# Both dialects spell an atomic upsert the same way, ON CONFLICT DO UPDATE.
UPSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


class LoginAttempts(db.Model):  # type: ignore[name-defined]  # db.Model is made at run time
    """Unforgiven login attempts for one username from one address.

    A row has a fixed size whatever was typed: the username is kept as a
    digest of the form look-alike names share, so no request can store
    more than one small row, and the raw input is never stored.
    """

    __tablename__ = "login_attempts"

    username_digest: Mapped[bytes] = mapped_column(sa.LargeBinary(32), primary_key=True)
    address: Mapped[str] = mapped_column(sa.String(45), primary_key=True)
    attempts: Mapped[int]
    # Seconds since 1970. Indexed: old rows are pruned by it.
    window_started_at: Mapped[float] = mapped_column(index=True)


#: Mixed into the digests' key, so that it is good for nothing else.
DIGEST_SALT = "login-throttle.username-digest"


@functools.lru_cache(maxsize=4)
def digest_key(secret_key):
    """The key of the username digests, derived once per ``SECRET_KEY``."""
    signer = Signer(
        secret_key,
        salt=DIGEST_SALT,
        key_derivation="hmac",
        digest_method=hashlib.sha256,
    )
    return signer.derive_key()


def digest(username):
    """An HMAC of the username's look-alike form, under a key from ``SECRET_KEY``.

    A plain hash of a name is reversed by hashing a list of names, and
    people do type passwords into the username box: keyed, the stored
    digests and the log's prefixes tell nothing without the key. A new
    ``SECRET_KEY`` gives new digests, so a key rotation starts every
    count afresh.
    """
    key = digest_key(current_app.secret_key)
    return hmac.new(key, username_key(username).encode("utf-8"), "sha256").digest()


def normal_address(address):
    """The client's address in one spelling; anything else counts as unknown.

    An IPv6 zone (``fe80::1%eth0``) is dropped: it names the server's own
    interface, not the client, and its length has no bound.
    """
    try:
        return ipaddress.ip_address(address.partition("%")[0]).compressed
    except (AttributeError, ValueError):
        return "unknown"


def start_attempt(username, address):
    """Count a login attempt before checking its password.

    Returns how many seconds logins for this pair stay refused; 0 means
    go ahead. The first attempt opens a window of ``LOGIN_FAILURE_WINDOW``
    seconds; once ``LOGIN_MAX_FAILURES`` attempts fall in it, the rest are
    refused until it closes. The attempt is counted in one statement that
    reads and writes the counter together, so guesses sent side by side
    are each counted, on SQLite and on PostgreSQL alike. A refused
    attempt is not counted, so the lock always ends on time.
    """
    now = time.time()
    window = current_app.config["LOGIN_FAILURE_WINDOW"]
    limit = current_app.config["LOGIN_MAX_FAILURES"]
    row = LoginAttempts  # the row as it stands, in the update below
    closed = row.window_started_at <= now - window
    insert = UPSERTS[db.engine.dialect.name](LoginAttempts).values(
        username_digest=digest(username),
        address=normal_address(address),
        attempts=1,
        window_started_at=now,
    )
    count_attempt = insert.on_conflict_do_update(
        index_elements=[row.username_digest, row.address],
        set_={
            # limit + 1 marks the lock; past it nothing is counted.
            "attempts": sa.case(
                (closed, 1),
                (row.attempts > limit, row.attempts),
                else_=row.attempts + 1,
            ),
            "window_started_at": sa.case((closed, now), else_=row.window_started_at),
        },
    ).returning(row.attempts, row.window_started_at)
    attempts, window_started_at = db.session.execute(count_attempt).one()
    db.session.commit()
    forget_closed_windows(now - window)
    if attempts > limit:
        wait = max(1, math.ceil(window_started_at + window - now))
        # The digest, not the name: the log must not collect typed passwords
        # that land in the username field.
        current_app.logger.warning(
            "Throttled a login for username digest %s from %s for %d s.",
            digest(username).hex()[:16],
            normal_address(address),
            wait,
        )
        return wait
    return 0


def forget_closed_windows(cutoff):
    """Rows whose window closed can never count again."""
    db.session.execute(
        sa.delete(LoginAttempts).where(LoginAttempts.window_started_at <= cutoff)
    )
    db.session.commit()


def forget_failures(username, address):
    """After a good password: the pair starts again from nothing."""
    db.session.execute(
        sa.delete(LoginAttempts).where(
            LoginAttempts.username_digest == digest(username),
            LoginAttempts.address == normal_address(address),
        )
    )
    db.session.commit()
