"""User accounts in the database, and the create-user command."""

import functools
import re
import sqlite3

import click
from flask import current_app
from flask.cli import with_appcontext
from werkzeug.security import check_password_hash, generate_password_hash

from .db import get_db

USERNAME_MAX_LENGTH = 64
# \Z, not $: a $ would also accept a name that ends in a newline.
USERNAME_PATTERN = r"^[\w.@+-]+\Z"
USERNAME_RULE = "Use letters, digits and . @ + - _ only."
PASSWORD_MIN_LENGTH = 8


class UsernameTaken(ValueError):
    """Another account already has this username."""


def hash_password(password):
    """Hash with ``PASSWORD_HASH_METHOD``, werkzeug's scrypt unless configured."""
    return generate_password_hash(password, current_app.config["PASSWORD_HASH_METHOD"])


def get_user(user_id):
    return get_db().execute("SELECT * FROM user WHERE id = ?", (user_id,)).fetchone()


def get_user_by_name(username):
    return (
        get_db()
        .execute("SELECT * FROM user WHERE username = ?", (username,))
        .fetchone()
    )


def create_user(username, password):
    """Store a new user with a hashed password and return its id."""
    db = get_db()
    try:
        with db:
            cursor = db.execute(
                "INSERT INTO user (username, password) VALUES (?, ?)",
                (username, hash_password(password)),
            )
    except sqlite3.IntegrityError:
        raise UsernameTaken(f"The username {username!r} is already taken.") from None
    return cursor.lastrowid


def set_password(user_id, password):
    """Store a new password and end every session signed in before it."""
    db = get_db()
    with db:
        db.execute(
            "UPDATE user SET password = ?, epoch = epoch + 1 WHERE id = ?",
            (hash_password(password), user_id),
        )


def end_all_sessions(user_id):
    """Raise the user's epoch, so that every session issued before is refused."""
    db = get_db()
    with db:
        db.execute("UPDATE user SET epoch = epoch + 1 WHERE id = ?", (user_id,))


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
    if not check_password_hash(user["password"], password):
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
    click.echo(f"Created the user {username!r} in {current_app.config['DATABASE']}.")


def init_app(app):
    app.cli.add_command(create_user_command)
