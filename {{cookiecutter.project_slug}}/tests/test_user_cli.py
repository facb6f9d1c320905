"""The commands that manage accounts: create-user --email, set-password, delete-user.

create-user without an address is tested with the database, in test_db.py.
"""

import pytest

import helpers
from {{ cookiecutter.package_name }} import users


@pytest.fixture
def signed_in_client(client, auth):
    """A client signed in as "test"."""
    auth.login()
    assert helpers.signed_in(client)
    return client


def create_user(runner, username, email=None):
    arguments = ["create-user", username, "--password", "long enough"]
    if email is not None:
        arguments += ["--email", email]
    return runner.invoke(args=arguments)


def test_create_user_with_an_address_takes_it_as_confirmed(runner, app):
    result = create_user(runner, "alice", "Alice@Example.COM")

    assert result.exit_code == 0, result.output
    alice = helpers.account(app, "alice")
    assert (alice.email, alice.pending_email) == ("Alice@example.com", None)
    assert alice.email_confirmed_at is not None


def test_create_user_without_an_address_gives_none(runner, app):
    result = create_user(runner, "alice")

    assert result.exit_code == 0, result.output
    alice = helpers.account(app, "alice")
    assert (alice.email, alice.pending_email) == (None, None)


@pytest.mark.parametrize("address", ["alice", "alice@", "alice@@example.com", ""])
def test_create_user_refuses_an_invalid_address_by_name(runner, app, address):
    result = create_user(runner, "alice", address)

    assert result.exit_code == 2
    assert "Invalid value for --email" in result.output
    assert helpers.account(app, "alice") is None


@pytest.mark.parametrize("spelling", ["taken@example.com", "TAKEN@example.com"])
def test_create_user_refuses_an_address_another_account_has(runner, app, spelling):
    create_user(runner, "alice", "taken@example.com")

    result = create_user(runner, "bob", spelling)

    assert result.exit_code == 1
    assert "belongs to another account" in result.output
    assert helpers.account(app, "bob") is None


def test_set_password_with_the_password_option(runner, app):
    result = runner.invoke(args=["set-password", "test", "--password", "new secret"])

    assert result.exit_code == 0, result.output
    with app.app_context():
        assert users.authenticate("test", "new secret") is not None
        assert users.authenticate("test", helpers.TEST_PASSWORD) is None


def test_set_password_prompts_for_the_password_twice(runner, app):
    result = runner.invoke(args=["set-password", "test"], input="new secret\n" * 2)

    assert result.exit_code == 0, result.output
    assert "Repeat for confirmation" in result.output
    with app.app_context():
        assert users.authenticate("test", "new secret") is not None


def test_set_password_ends_the_sessions_of_the_user(runner, signed_in_client):
    runner.invoke(args=["set-password", "test", "--password", "new secret"])

    assert not helpers.signed_in(signed_in_client)


def test_set_password_refuses_a_short_password(runner, app):
    result = runner.invoke(args=["set-password", "test", "--password", "short"])

    assert result.exit_code == 2
    assert "at least 8 characters" in result.output
    with app.app_context():
        assert users.authenticate("test", helpers.TEST_PASSWORD) is not None


@pytest.mark.parametrize(
    "command",
    [
        ["set-password", "nobody", "--password", "long enough"],
        ["delete-user", "nobody", "--yes"],
    ],
    ids=["set-password", "delete-user"],
)
def test_a_command_refuses_an_unknown_user_in_one_line(runner, command):
    result = runner.invoke(args=command)

    assert result.exit_code == 1
    assert result.output == "Error: No account has the username 'nobody'.\n"


def test_delete_user_deletes_the_account(runner, app):
    result = runner.invoke(args=["delete-user", "test", "--yes"])

    assert result.exit_code == 0, result.output
    assert "Deleted the user 'test'." in result.output
    assert helpers.account(app, "test") is None


def test_delete_user_asks_first(runner, app):
    result = runner.invoke(args=["delete-user", "test"], input="y\n")

    assert result.exit_code == 0, result.output
    assert "Delete this account and everything it holds for good?" in result.output
    assert helpers.account(app, "test") is None


def test_delete_user_keeps_the_account_when_the_answer_is_no(runner, app):
    result = runner.invoke(args=["delete-user", "test"], input="n\n")

    assert result.exit_code == 1
    assert "Aborted" in result.output
    assert helpers.account(app, "test") is not None


def test_delete_user_ends_the_sessions_of_the_user(runner, signed_in_client):
    runner.invoke(args=["delete-user", "test", "--yes"])

    assert not helpers.signed_in(signed_in_client)


def test_delete_user_removes_its_throttle_rows(runner, app, auth):
    auth.login("test", "a wrong password")
    assert helpers.throttle_rows(app, "test")

    runner.invoke(args=["delete-user", "test", "--yes"])

    assert helpers.throttle_rows(app, "test") == 0
