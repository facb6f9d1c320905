"""Commands that manage accounts: create-user, set-password, delete-user."""

import click
from flask.cli import with_appcontext

from .emails import InvalidEmail, normal_email
from .throttle import forget_account
from .users import (
    PASSWORD_MIN_LENGTH,
    EmailTaken,
    UsernameTaken,
    create_user,
    delete_user,
    get_user_by_name,
    new_username_problem,
    set_password,
)

password_option = click.password_option(
    help="The password; asked for, twice, when not given."
)


def checked_password(password):
    """``password``, if the registration form would take it."""
    if len(password) < PASSWORD_MIN_LENGTH:
        raise click.BadParameter(
            f"use at least {PASSWORD_MIN_LENGTH} characters.", param_hint="password"
        )
    return password


def existing_user(username):
    """The account ``username`` names, or a one-line error."""
    user = get_user_by_name(username)
    if user is None:
        raise click.ClickException(f"No account has the username {username!r}.")
    return user


@click.command("create-user")
@with_appcontext
@click.argument("username")
@password_option
@click.option(
    "--email",
    help="The account's address, taken as confirmed: password resets go there.",
)
def create_user_command(username, password, email):
    """Create a user who can log in."""
    problem = new_username_problem(username)
    if problem:
        raise click.BadParameter(problem, param_hint="username")
    if email is not None:
        try:
            email = normal_email(email)
        except InvalidEmail as error:
            raise click.BadParameter(str(error), param_hint="--email") from None
    try:
        create_user(username, checked_password(password), email=email)
    except (UsernameTaken, EmailTaken) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Created the user {username!r}.")


@click.command("set-password")
@with_appcontext
@click.argument("username")
@password_option
def set_password_command(username, password):
    """Give a user a new password, ending every session of theirs."""
    user = existing_user(username)
    set_password(user.id, checked_password(password))
    click.echo(f"Set a new password for {user.username!r}; their sessions have ended.")


@click.command("delete-user")
@with_appcontext
@click.argument("username")
@click.confirmation_option(
    "--yes", prompt="Delete this account and everything it holds for good?"
)
def delete_user_command(username):
    """Delete a user's account for good, ending every session of theirs."""
    user = existing_user(username)
    forget_account(user)
    delete_user(user.id)
    click.echo(f"Deleted the user {user.username!r}.")


def init_app(app):
    for command in (create_user_command, set_password_command, delete_user_command):
        app.cli.add_command(command)
