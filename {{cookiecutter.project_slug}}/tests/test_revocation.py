"""Ending sessions from the server: the epoch copied into the session at login."""

import pytest

import helpers


@pytest.fixture
def database_url(each_database_url):
    """These tests run on SQLite and on PostgreSQL."""
    return each_database_url


def test_login_stores_the_epoch_and_issue_time(client, auth):
    auth.login()

    with client.session_transaction() as current:
        assert current["epoch"] == 0
        assert isinstance(current["issued_at"], int)


def test_home_offers_sign_out_everywhere(client, auth):
    auth.login()

    page = client.get("/").text

    assert 'action="/auth/sign-out-everywhere"' in page


def test_sign_out_everywhere_ends_this_session(client, auth):
    auth.login()

    response = client.post("/auth/sign-out-everywhere", follow_redirects=True)

    assert "signed out everywhere, including here" in response.text
    assert "You are not logged in" in response.text


def test_a_replayed_cookie_is_anonymous_after_sign_out_everywhere(client, auth, app):
    auth.login()
    old_cookie = helpers.session_cookie(client, app)
    client.post("/auth/sign-out-everywhere")

    client.set_cookie("session", old_cookie)
    page = client.get("/").text

    assert "You are not logged in" in page
    assert "signed out everywhere or changed its password" in page
    with client.session_transaction() as current:
        assert "user_id" not in current


def test_sign_out_everywhere_ends_other_browsers(app, client, auth):
    other = app.test_client()
    helpers.AuthActions(other).login()
    auth.login()

    client.post("/auth/sign-out-everywhere")

    assert "You are not logged in" in other.get("/").text


def test_sign_out_everywhere_refuses_get(client, auth):
    auth.login()

    assert client.get("/auth/sign-out-everywhere").status_code == 405


def test_password_change_keeps_this_browser_signed_in(client, auth):
    auth.login()

    auth.change_password()

    assert "You are logged in as <strong>test</strong>" in client.get("/").text
    with client.session_transaction() as current:
        assert current["epoch"] == 1


def test_password_change_ends_every_other_session(app, client, auth):
    other = app.test_client()
    helpers.AuthActions(other).login()
    auth.login()
    old_cookie = helpers.session_cookie(client, app)

    auth.change_password()

    assert "You are not logged in" in other.get("/").text
    replay = app.test_client()
    replay.set_cookie("session", old_cookie)
    assert "You are not logged in" in replay.get("/").text
