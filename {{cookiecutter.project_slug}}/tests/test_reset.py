"""Forgot password: the form that mails a reset link, and the form the link opens.

The first must tell no one whether an address has an account; the second
sets the password as the registration form would, and ends every other
session of the account.
"""

from collections.abc import Callable
from typing import NamedTuple

import pytest
from flask import g
from werkzeug.test import TestResponse

import helpers
import links

ADDRESS = "test@example.com"
NEW_ADDRESS = "alice@example.com"
PRIVATE_HEADERS = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


@pytest.fixture
def address(app):
    """The test user's confirmed address, where its reset links go."""
    links.give_address(app, "test", ADDRESS)
    return ADDRESS


def reset_link(client, mailbox):
    return links.reset_link(client, mailbox, ADDRESS)


def confirmation_link(client, mailbox):
    return links.confirmation_link(client, mailbox, NEW_ADDRESS)


def confirm(client, path):
    return client.post(path)


class Opened(NamedTuple):
    ask: Callable[..., str]  # (client, mailbox) -> the link's path
    use: Callable[..., TestResponse]  # (client, path) -> its form's response
    username: str  # whose account the link changes


OPENED = [
    pytest.param(Opened(reset_link, links.reset, "test"), id="reset"),
    pytest.param(Opened(confirmation_link, confirm, "alice"), id="confirmation"),
]


@pytest.mark.parametrize("link", OPENED)
def test_opening_a_link_changes_nothing(app, client, mailbox, address, link):
    path = link.ask(client, mailbox)
    before = links.account_row(app, link.username)

    assert client.get(path).status_code == 200

    assert links.account_row(app, link.username) == before
    # Still good: the form the page shows is what acts.
    assert link.use(client, path).status_code == 302
    assert links.account_row(app, link.username) != before


@pytest.mark.parametrize("link", OPENED)
@pytest.mark.parametrize(
    ("good", "status"), [(True, 200), (False, 400)], ids=["form", "error page"]
)
def test_a_link_page_keeps_its_url_to_itself(
    client, mailbox, address, link, good, status
):
    path = link.ask(client, mailbox)
    if not good:
        path += "x"

    response = client.get(path)

    assert response.status_code == status
    assert {name: response.headers[name] for name in PRIVATE_HEADERS} == PRIVATE_HEADERS


def visible_parts(response, address):
    """What a visitor could compare between two answers: the status of each
    step, the headers but the cookies, and the page, the address left out."""
    steps = [*response.history, response]
    return (
        [step.status_code for step in steps],
        [
            sorted((k, v) for k, v in step.headers.items() if k != "Set-Cookie")
            for step in steps
        ],
        response.text.replace(address, "ADDRESS"),
    )


# Of one length, so that the pages that show them are too.
CONFIRMED = ADDRESS
UNKNOWN = "anon@example.com"
AWAITING = "mary@example.com"


@pytest.fixture
def every_kind_of_address(app, address):
    """A confirmed address, one no account has, one an account awaits."""
    links.await_address(app, "other", AWAITING)
    return [CONFIRMED, UNKNOWN, AWAITING]


def test_forgot_password_answers_alike_for_every_address(app, every_kind_of_address):
    answers = [
        visible_parts(
            links.ask_for_reset(app.test_client(), each, follow_redirects=True), each
        )
        for each in every_kind_of_address
    ]

    assert answers[0] == answers[1] == answers[2]
    assert "If an account has the address ADDRESS" in answers[0][2]


@pytest.mark.parametrize(
    ("asked", "mails"),
    [(CONFIRMED, 1), (UNKNOWN, 0), (AWAITING, 0)],
    ids=["confirmed", "unknown", "awaiting confirmation"],
)
def test_only_a_confirmed_address_gets_a_reset_link(
    client, mailbox, every_kind_of_address, asked, mails
):
    links.ask_for_reset(client, asked)

    assert len(mailbox.messages) == mails


@pytest.mark.parametrize("asked", [CONFIRMED, UNKNOWN], ids=["confirmed", "unknown"])
def test_mails_to_one_address_are_capped_for_everyone_together(
    build_app, mailbox, every_kind_of_address, asked
):
    app = build_app(MAIL_MAX_PER_WINDOW=2)
    statuses = [
        links.ask_for_reset(
            app.test_client(), asked, environ_base={"REMOTE_ADDR": f"192.0.2.{n}"}
        ).status_code
        for n in range(1, 4)
    ]

    assert statuses == [302, 302, 429]
    assert len(mailbox.messages) == (2 if asked == CONFIRMED else 0)


def test_mails_to_one_address_are_capped_for_each_client(build_app, mailbox, address):
    app = build_app(LOGIN_MAX_FAILURES=2)
    client = app.test_client()
    statuses = [links.ask_for_reset(client, ADDRESS).status_code for _ in range(3)]

    assert statuses == [302, 302, 429]
    # Another client still gets the link.
    assert (
        links.ask_for_reset(
            app.test_client(), ADDRESS, environ_base={"REMOTE_ADDR": "192.0.2.1"}
        ).status_code
        == 302
    )
    assert len(mailbox.to(ADDRESS)) == 3


class BadPassword(NamedTuple):
    password: str
    confirm: str
    message: str


@pytest.mark.parametrize(
    "case",
    [
        BadPassword("", "", "This field is required."),
        BadPassword("short", "short", "at least 8 characters"),
        BadPassword("a long password", "another one", "The passwords differ."),
    ],
    ids=lambda case: case.message,
)
def test_a_reset_follows_the_registration_rules(app, client, mailbox, address, case):
    path = reset_link(client, mailbox)

    response = links.reset(client, path, case.password, case.confirm)

    assert response.status_code == 200
    assert case.message in response.text
    assert links.password_works(app, "test", helpers.TEST_PASSWORD)


def test_a_reset_sets_the_password(app, client, mailbox, address):
    path = reset_link(client, mailbox)

    links.reset(client, path)

    assert links.password_works(app, "test", links.NEW_PASSWORD)
    assert not links.password_works(app, "test", helpers.TEST_PASSWORD)


def test_a_reset_ends_the_sessions_signed_in_before(app, client, mailbox, address):
    elsewhere = app.test_client()
    helpers.AuthActions(elsewhere).login()
    path = reset_link(client, mailbox)

    links.reset(client, path)

    assert elsewhere.get("/account").status_code == 302


@pytest.mark.parametrize("signed_in_as", [None, "other"])
def test_a_reset_signs_in_the_account_of_the_link(
    app, client, mailbox, address, signed_in_as
):
    if signed_in_as is not None:
        helpers.AuthActions(client).login(signed_in_as)
    path = reset_link(client, mailbox)

    links.reset(client, path)

    with client:
        client.get("/")
        # Loaded only while the session holds the account's epoch.
        assert g.user.username == "test"


def test_a_reset_tells_the_owner(client, mailbox, address):
    path = reset_link(client, mailbox)

    links.reset(client, path)

    notice = mailbox.last_to(ADDRESS)
    assert notice["Subject"].endswith("Your password was changed")
    assert "/auth/forgot-password" in links.only_link(notice)
