"""The account's address and its confirmation, changing it, and deleting the account.

On SQLite; the tests whose outcome rests on the database itself (its
unique columns, its ids) run on PostgreSQL too.
"""

from urllib.parse import urlsplit

import pytest

import helpers
import mailboxes
from {{ cookiecutter.package_name }} import throttle, users

PASSWORD = "a long password"
ADDRESS = "alice@example.com"

on_each_database = pytest.mark.usefixtures("each_database_url")


@pytest.fixture
def database_url(request):
    """SQLite, or each database for the tests marked ``on_each_database``."""
    if "each_database_url" in request.fixturenames:
        return request.getfixturevalue("each_database_url")
    return request.getfixturevalue("sqlite_url")


def register(client, username="alice", address=ADDRESS):
    return client.post(
        "/auth/register",
        data={
            "username": username,
            "email": address,
            "password": PASSWORD,
            "confirm": PASSWORD,
        },
    )


def registered(app, username="alice", address=ADDRESS):
    """A new client, signed in to a new account that awaits ``address``."""
    client = app.test_client()
    assert register(client, username, address).status_code == 302
    assert log_in(client, username).status_code == 302
    return client


def log_in(client, username="alice"):
    return helpers.AuthActions(client).login(username, PASSWORD)


def confirmation_path(mailbox, address=ADDRESS):
    """The path of the confirmation link in the last mail to ``address``."""
    (link,) = mailboxes.links_in(mailbox.last_to(address))
    path = urlsplit(link).path
    assert path.startswith("/account/confirm/")
    return path


def subject_of(message):
    """The subject of ``message`` after the project's name."""
    return message["Subject"].partition(": ")[2]


def give_confirmed_address(app, username, address):
    with app.app_context():
        user_id = users.get_user_by_name(username).id
        users.ask_for_email(user_id, address)
        assert users.confirm_email(user_id, address)


def test_registering_mails_a_confirmation_link_to_the_address(client, mailbox):
    register(client)

    (message,) = mailbox.to(ADDRESS)
    assert subject_of(message) == "Confirm your address"
    assert confirmation_path(mailbox)


def test_the_account_works_before_its_address_is_confirmed(app, client):
    register(client)

    response = log_in(client)

    assert response.headers["Location"] == "/"
    assert "You are logged in as <strong>alice</strong>" in client.get("/").text
    user = helpers.account(app, "alice")
    assert (user.email, user.pending_email) == (None, ADDRESS)


def test_the_home_page_says_the_address_awaits_confirmation(app):
    client = registered(app)

    page = client.get("/").text

    assert 'id="unconfirmed"' in page
    assert ADDRESS in page
    assert "Send the link again" in page


def test_the_resend_button_mails_the_link_again(app, mailbox):
    client = registered(app)

    response = client.post("/account/confirmation")

    assert response.headers["Location"] == "/"
    first, again = mailbox.to(ADDRESS)
    assert subject_of(again) == "Confirm your address"
    assert mailboxes.links_in(again)[0].startswith("http://localhost/account/confirm/")


def test_opening_a_confirmation_link_shows_a_button_and_changes_nothing(
    app, client, mailbox
):
    register(client)

    response = client.get(confirmation_path(mailbox))

    assert response.status_code == 200
    assert '<button type="submit">Confirm</button>' in response.text
    user = helpers.account(app, "alice")
    assert (user.email, user.pending_email) == (None, ADDRESS)


def test_the_confirmation_button_confirms_the_address_without_a_login(
    app, client, mailbox
):
    register(client)
    stranger = app.test_client()

    response = stranger.post(confirmation_path(mailbox))

    assert response.headers["Location"] == "/"
    assert helpers.flashes(stranger) == [f"Thank you: {ADDRESS} is confirmed."]
    user = helpers.account(app, "alice")
    assert (user.email, user.pending_email) == (ADDRESS, None)
    assert user.email_confirmed_at is not None


def test_a_confirmed_address_leaves_the_home_page_alone(app, mailbox):
    client = registered(app)
    client.post(confirmation_path(mailbox))

    assert 'id="unconfirmed"' not in client.get("/").text


def test_a_confirmation_link_works_once(app, client, mailbox):
    register(client)
    path = confirmation_path(mailbox)
    client.post(path)

    response = client.post(path)

    assert response.status_code == 400
    assert "cannot be used" in response.text


def test_a_link_for_an_address_that_a_newer_one_replaced_is_refused(app, mailbox):
    client = registered(app)
    old_link = confirmation_path(mailbox)
    client.post(
        "/account/email",
        data={"email-email": "new@example.com", "email-current_password": PASSWORD},
    )

    response = client.post(old_link)

    assert response.status_code == 400
    assert "a newer address replaced it" in response.text
    user = helpers.account(app, "alice")
    assert (user.email, user.pending_email) == (None, "new@example.com")


@on_each_database
def test_an_address_another_account_confirmed_cannot_be_confirmed_again(app, mailbox):
    registered(app, "alice")
    alice_link = confirmation_path(mailbox)
    registered(app, "bob")
    bob_link = confirmation_path(mailbox)
    assert app.test_client().post(alice_link).status_code == 302
    client = app.test_client()

    response = client.post(bob_link)

    assert response.headers["Location"] == "/"
    assert "belongs to another account" in helpers.flashes(client)[0]
    bob = helpers.account(app, "bob")
    assert (bob.email, bob.pending_email) == (None, ADDRESS)
    assert helpers.account(app, "alice").email == ADDRESS


@pytest.mark.parametrize("spelling", ["owner@example.com", "OWNER@Example.COM"])
def test_registering_with_a_confirmed_address_mails_its_owner_a_notice(
    app, client, mailbox, spelling
):
    give_confirmed_address(app, "test", "owner@example.com")

    register(client, address=spelling)

    (message,) = mailbox.messages
    assert subject_of(message) == "Your address was given again"
    assert "/account/confirm/" not in mailboxes.text_of(message)


def test_registering_says_the_same_whether_the_address_is_taken_or_not(app):
    give_confirmed_address(app, "test", "owner@example.com")
    taken, free = app.test_client(), app.test_client()

    register(taken, "bob", "owner@example.com")
    register(free, "carol", "free@example.com")

    assert helpers.flashes(taken) == [
        message.replace("free@", "owner@") for message in helpers.flashes(free)
    ]


def change_address(client, address="new@example.com", password=PASSWORD):
    return client.post(
        "/account/email",
        data={"email-email": address, "email-current_password": password},
    )


def test_changing_the_address_refuses_a_wrong_password(app, mailbox):
    client = registered(app)
    give_confirmed_address(app, "alice", ADDRESS)
    mailbox.empty()

    response = change_address(client, password="not the password")

    assert response.status_code == 400
    assert "That is not your current password." in response.text
    assert helpers.account(app, "alice").pending_email is None
    assert mailbox.messages == []


def test_a_wrong_password_for_the_address_counts_as_a_failed_login(build_app):
    app = build_app(LOGIN_MAX_FAILURES=1)
    client = registered(app)
    change_address(client, password="not the password")

    response = change_address(client)

    assert response.status_code == 429
    assert helpers.account(app, "alice").pending_email == ADDRESS


def test_changing_the_address_mails_the_new_one_a_link_and_the_old_one_a_notice(
    app, mailbox
):
    client = registered(app)
    give_confirmed_address(app, "alice", ADDRESS)
    mailbox.empty()

    response = change_address(client)

    assert response.headers["Location"] == "/account"
    (notice,) = mailbox.to(ADDRESS)
    assert subject_of(notice) == "A new address was given"
    assert "new@example.com" in mailboxes.text_of(notice)
    assert confirmation_path(mailbox, "new@example.com")


def test_the_address_changes_only_once_the_new_one_is_confirmed(app, mailbox):
    client = registered(app)
    give_confirmed_address(app, "alice", ADDRESS)
    change_address(client)
    waiting = helpers.account(app, "alice")

    client.post(confirmation_path(mailbox, "new@example.com"))

    assert (waiting.email, waiting.pending_email) == (ADDRESS, "new@example.com")
    confirmed = helpers.account(app, "alice")
    assert (confirmed.email, confirmed.pending_email) == ("new@example.com", None)


def delete_account(client, password=PASSWORD):
    return client.post("/account/delete", data={"delete-current_password": password})


def test_deleting_the_account_refuses_a_wrong_password(app):
    client = registered(app)

    response = delete_account(client, password="not the password")

    assert response.status_code == 400
    assert "That is not your current password." in response.text
    assert helpers.account(app, "alice") is not None


def test_deleting_the_account_needs_a_post(app):
    client = registered(app)

    assert client.get("/account/delete").status_code == 405
    assert helpers.account(app, "alice") is not None


def test_deleting_the_account_signs_it_out(app):
    client = registered(app)

    response = delete_account(client)

    assert response.headers["Location"] == "/"
    assert helpers.flashes(client) == ["Your account has been deleted."]
    assert not helpers.signed_in(client)
    assert helpers.account(app, "alice") is None


def test_deleting_the_account_ends_its_sessions_elsewhere(app):
    client = registered(app)
    elsewhere = app.test_client()
    log_in(elsewhere)

    delete_account(client)

    page = elsewhere.get("/").text
    assert "You are not logged in" in page
    assert "Your account no longer exists" in page


def test_deleting_the_account_removes_its_throttle_rows(app):
    client = registered(app)
    helpers.AuthActions(app.test_client()).login("alice", "a wrong password")
    assert helpers.throttle_rows(app, "alice")
    assert helpers.throttle_rows(app, throttle.mail_name(ADDRESS))

    delete_account(client)

    assert helpers.throttle_rows(app, "alice") == 0
    assert helpers.throttle_rows(app, throttle.mail_name(ADDRESS)) == 0


def test_deleting_the_account_frees_its_name(app):
    delete_account(registered(app))

    response = register(app.test_client())

    assert response.headers["Location"] == "/auth/login"
    assert helpers.account(app, "alice") is not None


@on_each_database
def test_a_new_account_never_gets_the_id_of_a_deleted_one(app):
    client = registered(app, "alice")
    old_id = helpers.account(app, "alice").id
    old_cookie = helpers.session_cookie(client, app)
    delete_account(client)

    registered(app, "bob")
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], old_cookie)

    assert helpers.account(app, "bob").id > old_id
    assert not helpers.signed_in(client)
