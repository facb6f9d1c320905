"""Steps that end in a mailed link: asking for it through the forms, then
reading it from the mailbox, as its owner would.

The tests of mail, of signed links and of the reset form share them.
"""

from urllib.parse import urlsplit

import mailboxes
from {{ cookiecutter.package_name }}.users import (
    ask_for_email,
    authenticate,
    confirm_email,
    get_user_by_name,
)

NEW_PASSWORD = "a new password"


def give_address(app, username, address):
    """Make ``address`` the confirmed address of ``username``, as following
    its confirmation link would."""
    with app.app_context():
        user_id = get_user_by_name(username).id
        ask_for_email(user_id, address)
        assert confirm_email(user_id, address)


def await_address(app, username, address):
    """Make ``address`` the one ``username`` waits to confirm."""
    with app.app_context():
        ask_for_email(get_user_by_name(username).id, address)


def ask_for_reset(client, address, **kwargs):
    """Ask the forgot-password form for a reset link.

    Buffered, so that the response is closed and the mail, which waits
    for it, goes out before this returns.
    """
    return client.post(
        "/auth/forgot-password", data={"email": address}, buffered=True, **kwargs
    )


def register(client, username, address, password=NEW_PASSWORD, **kwargs):
    """Create an account through the form, which mails ``address`` a
    confirmation link."""
    return client.post(
        "/auth/register",
        data={
            "username": username,
            "email": address,
            "password": password,
            "confirm": password,
        },
        **kwargs,
    )


def only_link(message):
    (link,) = mailboxes.links_in(message)
    return link


def path_of(link):
    return urlsplit(link).path


def token_of(path):
    return path.rpartition("/")[2]


def reset_link(client, mailbox, address):
    """The path of a new reset link for the account whose address is ``address``."""
    ask_for_reset(client, address)
    return path_of(only_link(mailbox.last_to(address)))


def confirmation_link(client, mailbox, address, username="alice"):
    """The path of the link that confirms ``address`` for a new account."""
    register(client, username, address)
    return path_of(only_link(mailbox.last_to(address)))


def reset(client, path, password=NEW_PASSWORD, confirm=None):
    """Send a reset link's form: the new password, twice."""
    return client.post(
        path,
        data={
            "password": password,
            "confirm": password if confirm is None else confirm,
        },
    )


def password_works(app, username, password):
    with app.app_context():
        return authenticate(username, password) is not None


def account_row(app, username):
    """What a link could change of an account."""
    with app.app_context():
        user = get_user_by_name(username)
        return (user.password, user.epoch, user.email, user.pending_email)
