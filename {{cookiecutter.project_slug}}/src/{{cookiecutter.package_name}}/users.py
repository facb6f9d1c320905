"""User accounts in the database: names, passwords, addresses, epochs."""

import functools
import re
import time
import unicodedata
from typing import NamedTuple

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from .db import db
from .emails import EMAIL_KEY_MAX_LENGTH, EMAIL_MAX_LENGTH, email_key
from .lookalikes import INVISIBLE, mixes_scripts, username_skeleton
from .reads import read_row

USERNAME_MAX_LENGTH = 64
# Casefolding can turn one character into three (U+0390 becomes "ΐ").
USERNAME_KEY_MAX_LENGTH = 3 * USERNAME_MAX_LENGTH
# \Z, not $: a $ would also accept a name that ends in a newline.
USERNAME_PATTERN = re.compile(r"^[\w.@+-]+\Z")
USERNAME_RULE = "Use letters, digits and . @ + - _ only."
ONE_SCRIPT_RULE = (
    "Use the letters of one script, such as Latin, Greek or Cyrillic: a name"
    " that mixes them can pass for another."
)
# A Hangul syllable decomposes into three letters, whose skeleton is seven
# characters long: the longest any character of a username gives.
USERNAME_SKELETON_MAX_LENGTH = 7 * USERNAME_MAX_LENGTH
PASSWORD_MIN_LENGTH = 8


class User(db.Model):  # type: ignore[name-defined]  # db.Model is made at run time
    # Plural, as PostgreSQL reserves the word "user".
    __tablename__ = "users"
    # An id is never given out again, so that an old cookie of a deleted
    # account cannot sign in as a new one. PostgreSQL's sequences never go
    # back; SQLite reuses the largest id after a delete unless told not to.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    # As the user chose it, NFKC-normalised: what the site shows.
    username: Mapped[str] = mapped_column(sa.String(USERNAME_MAX_LENGTH))
    # What look-alike names share (see username_key): unique, so that
    # "Alice" and fullwidth "ａｌｉｃｅ" cannot be two accounts.
    username_key: Mapped[str] = mapped_column(
        sa.String(USERNAME_KEY_MAX_LENGTH), unique=True
    )
    # What the names it looks like share (see lookalikes.username_skeleton):
    # unique, so that Cyrillic "сор" cannot join Latin "cop". Empty only
    # for the accounts that looked like an older one before the rule.
    username_skeleton: Mapped[str | None] = mapped_column(
        sa.String(USERNAME_SKELETON_MAX_LENGTH), unique=True
    )
    password: Mapped[str] = mapped_column(sa.String(255))
    # Copied into the session at login. Raising it ends every session that
    # holds an older value: the server-side half of signing out everywhere.
    epoch: Mapped[int] = mapped_column(default=0, server_default="0")
    # The confirmed address, where password resets go; None for accounts
    # made before addresses, or whose address was never confirmed.
    email: Mapped[str | None] = mapped_column(sa.String(EMAIL_MAX_LENGTH))
    # What the spellings of the address share (see emails.email_key):
    # unique, so that one mailbox can reset one account only.
    email_key: Mapped[str | None] = mapped_column(
        sa.String(EMAIL_KEY_MAX_LENGTH), unique=True
    )
    # Seconds since 1970, when the owner followed the confirmation link.
    email_confirmed_at: Mapped[int | None]
    # An address given but not yet confirmed, at registration or to replace
    # ``email``. Not unique: anyone may type any address, and only its
    # mailbox can confirm it, so a taken address tells no one anything.
    pending_email: Mapped[str | None] = mapped_column(sa.String(EMAIL_MAX_LENGTH))


class CurrentUser(NamedTuple):
    """What a request needs of its signed-in user: who, and the epoch to check.

    Plain values rather than a ``User``: cheap to build on every request,
    and still readable after a failed transaction was rolled back, when
    an ORM object would go back to the database (error pages show the
    name). A view that needs the whole account loads it with
    :func:`get_user`.
    """

    id: int
    username: str
    epoch: int
    # An address that awaits its confirmation, which pages remind of.
    pending_email: str | None


# Built once: building a statement costs more than running it.
CURRENT_USER = sa.select(User.id, User.username, User.epoch, User.pending_email).where(
    User.id == sa.bindparam("user_id")
)


class UsernameTaken(ValueError):
    """Another account already has this username."""


class EmailTaken(ValueError):
    """Another account has already confirmed this address."""

    def __init__(self, address):
        super().__init__(f"The address {address!r} belongs to another account.")


def normal_username(username):
    """``username`` in Unicode's NFKC form: fullwidth "ａ" becomes "a", "ﬁ" "fi"."""
    return unicodedata.normalize("NFKC", username)


def username_key(username):
    """The form of a username that its look-alikes share: NFKC, then casefolded."""
    return normal_username(username).casefold()


def username_problem(username):
    """Why ``username`` cannot name an account, or None if it can.

    The rule applies to the NFKC form, which is the one stored: a
    character such as "½" is a digit, but its NFKC form holds a slash.
    """
    username = normal_username(username)
    if len(username) > USERNAME_MAX_LENGTH:
        return f"Use at most {USERNAME_MAX_LENGTH} characters."
    if INVISIBLE.search(username):
        return "Invisible characters, such as zero-width spaces, are not allowed."
    if not USERNAME_PATTERN.match(username):
        return USERNAME_RULE
    return None


def new_username_problem(username):
    """Why a new account cannot take ``username``, or None if it can.

    The rule of :func:`username_problem`, and one script: names given
    before that rule may mix scripts, and still log in.
    """
    problem = username_problem(username)
    if problem is None and mixes_scripts(normal_username(username)):
        return ONE_SCRIPT_RULE
    return problem


def hash_password(password):
    """Hash with ``PASSWORD_HASH_METHOD``, werkzeug's scrypt unless configured."""
    return generate_password_hash(password, current_app.config["PASSWORD_HASH_METHOD"])


def get_user(user_id):
    """The user with this id, or None: one primary-key lookup."""
    return db.session.get(User, user_id)


def get_current_user(user_id):
    """The :class:`CurrentUser` with this id, or None: one query, on every
    signed-in request, read as it is now in the database."""
    row = read_row(CURRENT_USER, {"user_id": user_id})
    return None if row is None else CurrentUser._make(row)


def get_user_by_name(username):
    """The user whose name ``username`` looks like, whatever its case."""
    key = username_key(username)
    return db.session.scalar(sa.select(User).where(User.username_key == key))


def get_user_by_email(address):
    """The user whose confirmed address is ``address``, a normal form, in any
    case, or None."""
    key = email_key(address)
    return db.session.scalar(sa.select(User).where(User.email_key == key))


def create_user(username, password, pending_email=None, email=None):
    """Store a new user with a hashed password and return its id.

    ``pending_email`` awaits confirmation by mail; ``email`` is taken as
    confirmed already, as an administrator's word. Both are normal forms
    (see ``emails.normal_email``).

    Raises :class:`UsernameTaken` if the name or a look-alike is taken,
    :class:`EmailTaken` if ``email`` is, and ValueError if the name breaks
    the rules of :func:`new_username_problem`. The unique columns decide,
    so two requests at once cannot both win.
    """
    problem = new_username_problem(username)
    if problem:
        raise ValueError(problem)
    username = normal_username(username)
    user = User(
        username=username,
        username_key=username_key(username),
        username_skeleton=username_skeleton(username),
        password=hash_password(password),
        pending_email=pending_email,
    )
    if email is not None:
        user.email = email
        user.email_key = email_key(email)
        user.email_confirmed_at = int(time.time())
    db.session.add(user)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        if email is not None and get_user_by_email(email) is not None:
            raise EmailTaken(email) from None
        raise UsernameTaken(taken_message(username)) from None
    return user.id


def taken_message(username):
    """Why ``username``, refused by a unique column, cannot be had."""
    if get_user_by_name(username) is not None:
        return f"The username {username!r} is already taken."
    return (
        f"The username {username!r} looks too much like one that is taken."
        " Please choose another."
    )


def set_password(user_id, password):
    """Store a new password and end every session signed in before it."""
    update_user(user_id, password=hash_password(password), epoch=User.epoch + 1)


def ask_for_email(user_id, address):
    """Make ``address`` the one awaiting confirmation; any earlier one's
    confirmation link stops working."""
    update_user(user_id, pending_email=address)


def confirm_email(user_id, address):
    """Make ``address``, which was awaiting confirmation, the account's own.

    Returns False when it no longer awaits confirmation (a newer address
    replaced it, or it was confirmed already). Raises :class:`EmailTaken`
    if another account confirmed it first.
    """
    user = db.session.get(User, user_id)
    if user is None or user.pending_email != address:
        return False
    user.email = address
    user.email_key = email_key(address)
    user.email_confirmed_at = int(time.time())
    user.pending_email = None
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise EmailTaken(address) from None
    return True


def delete_user(user_id):
    """Remove the account. Its sessions end, as their user is gone."""
    db.session.execute(sa.delete(User).where(User.id == user_id))
    db.session.commit()


def end_all_sessions(user_id):
    """Raise the user's epoch, so that every session issued before is refused."""
    update_user(user_id, epoch=User.epoch + 1)


def update_user(user_id, **values):
    """Change a user in one statement: ``epoch + 1`` is done by the database.

    Two requests that end sessions at once then both count, where
    reading the epoch, adding one and writing it back could lose one.
    """
    db.session.execute(sa.update(User).where(User.id == user_id).values(**values))
    db.session.commit()


def authenticate(username, password):
    """Return the user if the password is theirs, else None.

    An unknown username still costs one hash check, so the response
    time does not tell an attacker which usernames exist.
    """
    user = get_user_by_name(username)
    if user is None:
        check_password_hash(
            _unused_hash(current_app.config["PASSWORD_HASH_METHOD"]), password
        )
        return None
    if not check_password_hash(user.password, password):
        return None
    return user


@functools.cache
def _unused_hash(method):
    return generate_password_hash("no account has this password", method)
