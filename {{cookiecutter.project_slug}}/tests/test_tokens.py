"""Every way a mailed link must die, and what keeps one alive.

A link is signed, so it cannot be forged; what it asks for must also
still hold when it is used (see tokens.py): the reset link names the
account's epoch and address, the confirmation link the address awaiting
confirmation. Each test here takes one of those away.
"""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

import pytest
from flask import g, session

import helpers
import links
from {{ cookiecutter.package_name }} import devices

ADDRESS = "test@example.com"
NEW_ADDRESS = "alice@example.com"
START = datetime(2030, 1, 1, 12, tzinfo=UTC)
SECOND = timedelta(seconds=1)


@pytest.fixture
def address(app):
    """The test user's confirmed address, where its reset links go."""
    links.give_address(app, "test", ADDRESS)
    return ADDRESS


class Kind(NamedTuple):
    ask: Callable[..., str]  # (client, mailbox, address) -> the link's path
    address: str
    lifetime: str  # the setting
    form_title: str
    url_prefix: str


RESET = Kind(
    links.reset_link,
    ADDRESS,
    "RESET_LINK_LIFETIME",
    "Set a new password",
    "/auth/reset/",
)
CONFIRMATION = Kind(
    links.confirmation_link,
    NEW_ADDRESS,
    "CONFIRMATION_LINK_LIFETIME",
    "Confirm your address",
    "/account/confirm/",
)
KINDS = [pytest.param(RESET, id="reset"), pytest.param(CONFIRMATION, id="confirmation")]


def test_a_reset_link_works_once(app, client, mailbox, address):
    link = links.reset_link(client, mailbox, address)
    assert links.reset(client, link).status_code == 302

    refused = links.reset(client, link, "a third password")

    assert refused.status_code == 400
    assert links.password_works(app, "test", links.NEW_PASSWORD)


def test_a_confirmation_link_works_once(client, mailbox):
    link = links.confirmation_link(client, mailbox, NEW_ADDRESS)
    assert client.post(link).status_code == 302

    assert client.post(link).status_code == 400


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("past_its_lifetime", "status", "words"),
    [(-SECOND, 200, None), (SECOND, 400, "has expired")],
    ids=["a second before", "a second after"],
)
def test_a_link_dies_at_the_end_of_its_lifetime(
    app, client, mailbox, address, time_machine, kind, past_its_lifetime, status, words
):
    time_machine.move_to(START, tick=False)
    link = kind.ask(client, mailbox, kind.address)

    time_machine.move_to(
        START + app.config[kind.lifetime] + past_its_lifetime, tick=False
    )
    response = client.get(link)

    assert response.status_code == status
    assert (words or kind.form_title) in response.text


def change_password_by_form(client, runner):
    auth = helpers.AuthActions(client)
    auth.login()
    assert auth.change_password().status_code == 302


def set_password_by_command(client, runner):
    result = runner.invoke(args=["set-password", "test", "--password", "by the admin"])
    assert result.exit_code == 0, result.output


def sign_out_everywhere(client, runner):
    helpers.AuthActions(client).login()
    assert client.post("/auth/sign-out-everywhere").status_code == 302


@pytest.mark.parametrize(
    "raise_the_epoch",
    [change_password_by_form, set_password_by_command, sign_out_everywhere],
)
def test_a_reset_link_dies_when_the_sessions_of_its_account_end(
    client, runner, mailbox, address, raise_the_epoch
):
    link = links.reset_link(client, mailbox, address)

    raise_the_epoch(client, runner)

    assert client.get(link).status_code == 400


def test_a_newer_reset_link_leaves_the_older_one_working(client, mailbox, address):
    older = links.reset_link(client, mailbox, address)
    links.reset_link(client, mailbox, address)

    assert links.reset(client, older).status_code == 302


@pytest.mark.parametrize("used", [0, 1], ids=["older used", "newer used"])
def test_using_a_reset_link_kills_every_other(client, mailbox, address, used):
    both = [links.reset_link(client, mailbox, address) for _ in range(2)]
    assert links.reset(client, both.pop(used)).status_code == 302

    (other,) = both
    assert client.get(other).status_code == 400


def test_a_reset_link_dies_with_its_account(client, auth, mailbox, address):
    link = links.reset_link(client, mailbox, address)
    auth.login()

    client.post(
        "/account/delete", data={"delete-current_password": helpers.TEST_PASSWORD}
    )

    assert client.get(link).status_code == 400


def ask_for_new_address(client, auth):
    auth.login()
    return client.post(
        "/account/email",
        data={
            "email-email": NEW_ADDRESS,
            "email-current_password": helpers.TEST_PASSWORD,
        },
    )


def test_a_reset_link_lives_while_a_new_address_awaits_confirmation(
    client, auth, mailbox, address
):
    link = links.reset_link(client, mailbox, address)

    ask_for_new_address(client, auth)

    assert client.get(link).status_code == 200


def test_a_reset_link_dies_once_the_address_changes(client, auth, mailbox, address):
    link = links.reset_link(client, mailbox, address)
    ask_for_new_address(client, auth)
    confirmation = links.path_of(links.only_link(mailbox.last_to(NEW_ADDRESS)))

    assert client.post(confirmation).status_code == 302

    assert client.get(link).status_code == 400


def test_a_confirmation_link_dies_when_a_newer_address_is_given(app, client, mailbox):
    link = links.confirmation_link(client, mailbox, NEW_ADDRESS)

    links.await_address(app, "alice", "another@example.com")

    assert client.post(link).status_code == 400


@pytest.mark.parametrize(
    ("kind", "other"),
    [(RESET, CONFIRMATION), (CONFIRMATION, RESET)],
    ids=["reset", "confirmation"],
)
def test_a_link_works_only_for_its_purpose(client, mailbox, address, kind, other):
    token = links.token_of(kind.ask(client, mailbox, kind.address))

    response = client.get(other.url_prefix + token)

    assert response.status_code == 400


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("cookie", ["session", devices.COOKIE_NAME])
def test_a_cookie_of_the_app_is_no_link(app, client, auth, kind, cookie):
    auth.login()
    name = app.config["SESSION_COOKIE_NAME"] if cookie == "session" else cookie
    value = client.get_cookie(name).value

    assert client.get(kind.url_prefix + value).status_code == 400


@pytest.mark.parametrize("kind", KINDS)
def test_a_link_is_no_session(app, client, mailbox, address, kind):
    token = links.token_of(kind.ask(client, mailbox, kind.address))

    client.set_cookie(app.config["SESSION_COOKIE_NAME"], token)

    with client:
        client.get("/")
        assert g.user is None
        assert dict(session) == {}


def changed(text, index):
    """``text`` with the character at ``index`` replaced by another of the
    base64 alphabet."""
    return text[:index] + ("B" if text[index] == "A" else "A") + text[index + 1 :]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("field", [0, 1, 2], ids=["payload", "timestamp", "signature"])
def test_a_changed_link_is_refused(client, mailbox, address, kind, field):
    token = links.token_of(kind.ask(client, mailbox, kind.address))
    fields = token.split(".")
    # The first character of a field: all six of its bits count.
    fields[field] = changed(fields[field], 0)

    response = client.get(kind.url_prefix + ".".join(fields))

    assert response.status_code == 400
    assert "cannot be used" in response.text


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("fallbacks", "status"),
    [([helpers.TEST_SECRET_KEY], 200), ([], 400)],
    ids=["old key a fallback", "old key retired"],
)
def test_a_link_outlives_its_key_while_the_key_is_a_fallback(
    build_app, client, mailbox, address, kind, fallbacks, status
):
    link = kind.ask(client, mailbox, kind.address)

    rotated = build_app(
        SECRET_KEY="the next key, as long as the one before: 0123456789",
        SECRET_KEY_FALLBACKS=fallbacks,
    )

    assert rotated.test_client().get(link).status_code == status
