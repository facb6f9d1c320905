"""User accounts in the database, and the create-user command."""

import functools
import re
import unicodedata

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from .db import db

USERNAME_MAX_LENGTH = 64
# \Z, not $: a $ would also accept a name that ends in a newline.
USERNAME_PATTERN = r"^[\w.@+-]+\Z"
USERNAME_RULE = "Use letters, digits and . @ + - _ only."
PASSWORD_MIN_LENGTH = 8


class User(db.Model):
    # Plural, as PostgreSQL reserves the word "user".
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(USERNAME_MAX_LENGTH), unique=True)
    password: Mapped[str] = mapped_column(sa.String(255))
    # Copied into the session at login. Raising it ends every session that
    # holds an older value: the server-side half of signing out everywhere.
    epoch: Mapped[int] = mapped_column(default=0, server_default="0")


class UsernameTaken(ValueError):
    """Another account already has this username."""


def username_key(username):
    """The form of a username that its look-alikes share: NFKC, then casefolded."""
    return unicodedata.normalize("NFKC", username).casefold()


def hash_password(password):
    """Hash with ``PASSWORD_HASH_METHOD``, werkzeug's scrypt unless configured."""
    return generate_password_hash(password, current_app.config["PASSWORD_HASH_METHOD"])


def get_user(user_id):
    """The user with this id, or None: one primary-key lookup."""
    return db.session.get(User, user_id)


def get_user_by_name(username):
    return db.session.scalar(sa.select(User).where(User.username == username))


def create_user(username, password):
    """Store a new user with a hashed password and return its id."""
    user = User(username=username, password=hash_password(password))
    db.session.add(user)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise UsernameTaken(f"The username {username!r} is already taken.") from None
    return user.id


def set_password(user_id, password):
    """Store a new password and end every session signed in before it."""
    update_user(user_id, password=hash_password(password), epoch=User.epoch + 1)


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


@click.command("create-user")
@with_appcontext
@click.argument("username")
@click.password_option(help="The password; asked for when not given.")
def create_user_command(username, password):
    """Create a user who can log in."""
    if not re.match(USERNAME_PATTERN, username) or len(username) > USERNAME_MAX_LENGTH:
        raise click.BadParameter(
            f"{USERNAME_RULE} At most {USERNAME_MAX_LENGTH} characters.",
            param_hint="username",
        )
    if len(password) < PASSWORD_MIN_LENGTH:
        raise click.BadParameter(
            f"use at least {PASSWORD_MIN_LENGTH} characters.", param_hint="password"
        )
    try:
        create_user(username, password)
    except UsernameTaken as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Created the user {username!r}.")


def init_app(app):
    app.cli.add_command(create_user_command)
