"""Slowing down password guessing: failed attempts per account, counted by where
they come from.

An attempt is counted in two places: under its address, and under the
account as a whole, where a ceiling stops a guess spread over many
addresses. A browser that logged in to the account before is counted
under its device cookie instead (see ``devices.py``), with an allowance
of its own that the ceiling leaves alone: an attack can lock strangers
out of an account, not its owner.
"""

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
from .emails import email_key
from .users import username_key

# Both dialects spell an atomic upsert the same way, ON CONFLICT DO UPDATE.
UPSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}

#: The ``address`` of the row that counts an account's attempts from every
#: address. No spelling of an address reads like it.
ANY_ADDRESS = "any address"

#: Prefix of the ``address`` of a row that counts a device's attempts.
DEVICE = "device "

#: Prefix of the name that the mails sent to an address are counted under.
MAIL = "mail:"

#: An IPv6 client is counted by its /64: one customer, one network, as
#: hosting providers and ISPs hand them out, with 2**64 addresses in it.
IPV6_PREFIX = 64


class LoginAttempts(db.Model):  # type: ignore[name-defined]  # db.Model is made at run time
    """Unforgiven login attempts for one username from one address.

    A row has a fixed size whatever was typed: the username is kept as a
    digest of the form look-alike names share, so no request can store
    more than one small row, and the raw input is never stored. The
    address is also ``ANY_ADDRESS`` for the account's ceiling, or names
    a device by a digest of its cookie.
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
    """Where a client is, in one spelling; anything else counts as unknown.

    An IPv6 address stands for its /64 network, which one client holds
    whole. An IPv4 address written as IPv6 (``::ffff:192.0.2.1``) is the
    IPv4 address. An IPv6 zone (``fe80::1%eth0``) is dropped: it names the
    server's own interface, not the client, and its length has no bound.
    """
    try:
        ip = ipaddress.ip_address(address.partition("%")[0])
    except (AttributeError, ValueError):
        return "unknown"
    if ip.version == 4:
        return ip.compressed
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped.compressed
    return ipaddress.ip_network((ip, IPV6_PREFIX), strict=False).compressed


def device_address(device):
    """The ``address`` that counts the attempts of the device cookie ``device``.

    A digest, so that a row has a fixed size and the database holds no
    cookie a reader could present.
    """
    return DEVICE + hashlib.sha256(device.encode("utf-8")).hexdigest()[:32]


def counted_at(address, device):
    """The rows an attempt is counted in, each with its limit.

    A recognised device is counted alone, so that its owner keeps an
    allowance when the account's ceiling is reached; OWASP's lockout of
    a device that keeps failing is its own limit.
    """
    config = current_app.config
    if device is not None:
        return [(device_address(device), config["LOGIN_MAX_FAILURES"])]
    return [
        (normal_address(address), config["LOGIN_MAX_FAILURES"]),
        (ANY_ADDRESS, config["LOGIN_ACCOUNT_MAX_FAILURES"]),
    ]


def start_attempt(username, address, device=None):
    """Count an attempt at the account ``username`` names, before checking it.

    Every form that checks a password starts here. ``device`` is the
    value of a device cookie that ``devices.recognised`` accepted for
    this account, or None.

    Returns how many seconds attempts from here stay refused; 0 means go
    ahead. An attempt is counted under its address, then under the whole
    account; a refusal by the first is not counted by the second, so
    that guesses from a locked address cannot use up the ceiling.
    """
    return start("a login", username, counted_at(address, device))


def start_mail(email, address):
    """Count a mail about to go to ``email`` for a client at ``address``.

    Returns, as :func:`start_attempt` does, how many seconds mails to
    ``email`` stay refused; 0 means send it. Counted as logins are, under
    the client's address and under the mailbox as a whole, where
    ``MAIL_MAX_PER_WINDOW`` caps what everyone together can send it: no
    one can flood an inbox through the app's forms.
    """
    config = current_app.config
    counted = [
        (normal_address(address), config["LOGIN_MAX_FAILURES"]),
        (ANY_ADDRESS, config["MAIL_MAX_PER_WINDOW"]),
    ]
    return start("a mail", mail_name(email), counted)


def mail_name(email):
    """The name a mailbox's mails are counted under. No username holds a
    colon, so it never counts with an account's logins."""
    return MAIL + email_key(email)


def try_again_in(wait):
    """When a refused client may try again, in words, from the seconds left."""
    return f"Try again in {math.ceil(wait / 60)} minute(s)."


def start(attempt, name, counted):
    """Count an attempt for ``name`` in each of the ``counted`` rows in turn,
    with their limits; how long the first lock met holds, or 0."""
    now = time.time()
    name_digest = digest(name)
    wait = 0
    for counted_as, limit in counted:
        wait = count(name_digest, counted_as, limit, now)
        if wait:
            # The digest, not the name: the log must not collect typed
            # passwords that land in the username field.
            current_app.logger.warning(
                "Throttled %s for digest %s from %s for %d s.",
                attempt,
                name_digest.hex()[:16],
                counted_as,
                wait,
            )
            break
    forget_closed_windows(now - current_app.config["LOGIN_FAILURE_WINDOW"])
    return wait


def count(user_digest, counted_as, limit, now):
    """Count one attempt in a row; return how many seconds its lock holds, or 0.

    The first attempt opens a window of ``LOGIN_FAILURE_WINDOW`` seconds;
    once ``limit`` attempts fall in it, the rest are refused until it
    closes. One statement reads and writes the counter together, so
    guesses sent side by side are each counted, on SQLite and on
    PostgreSQL alike. A refused attempt is not counted, so the lock always
    ends on time. Each count commits on its own: a transaction that held
    two rows could deadlock with another one holding them.
    """
    window = current_app.config["LOGIN_FAILURE_WINDOW"]
    row = LoginAttempts  # the row as it stands, in the update below
    closed = row.window_started_at <= now - window
    insert = UPSERTS[db.engine.dialect.name](LoginAttempts).values(
        username_digest=user_digest,
        address=counted_as,
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
    if attempts > limit:
        return max(1, math.ceil(window_started_at + window - now))
    return 0


def forget_closed_windows(cutoff):
    """Rows whose window closed can never count again."""
    db.session.execute(
        sa.delete(LoginAttempts).where(LoginAttempts.window_started_at <= cutoff)
    )
    db.session.commit()


def forget_failures(username, address, device=None):
    """After a good password: where it came from starts again from nothing.

    The account's ceiling only gets this attempt back, so that the owner
    logging in from new browsers does not use it up, while the guesses
    counted in it still stand. Each statement commits on its own, as in
    :func:`count`.
    """
    user_digest = digest(username)
    row = LoginAttempts
    # Where the attempt was counted first: its device, or its address.
    (counted_as, _), *_ = counted_at(address, device)
    db.session.execute(
        sa.delete(row).where(
            row.username_digest == user_digest, row.address == counted_as
        )
    )
    db.session.commit()
    if device is None:
        db.session.execute(
            sa.update(row)
            .where(
                row.username_digest == user_digest,
                row.address == ANY_ADDRESS,
                row.attempts > 0,
            )
            .values(attempts=row.attempts - 1)
        )
        db.session.commit()


def forget_account(user):
    """Remove every row of a deleted account: its logins, and the mails
    sent to its addresses, which no longer name anyone."""
    names = [user.username]
    names += [mail_name(email) for email in (user.email, user.pending_email) if email]
    digests = [digest(name) for name in names]
    db.session.execute(
        sa.delete(LoginAttempts).where(LoginAttempts.username_digest.in_(digests))
    )
    db.session.commit()
