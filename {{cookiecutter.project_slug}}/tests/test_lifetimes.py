"""Idle timeout through the signature, absolute lifetime through issued_at."""

from datetime import timedelta

import pytest

import helpers


@pytest.fixture
def database_url(each_database_url):
    """These tests run on SQLite and on PostgreSQL."""
    return each_database_url


WEEK = 7 * 24 * 3600


def logged_in_data(**extra):
    """A logged-in session, with the CSRF secret its pages' forms need."""
    return {
        "user_id": 1,
        "epoch": 0,
        "issued_at": helpers.now(),
        "csrf_token": "0" * 40,
        **extra,
    }


def test_remember_me_makes_the_cookie_permanent(client):
    client.post(
        "/auth/login",
        data={"username": "test", "password": "test-password", "remember": "y"},
    )

    assert client.get_cookie("session").expires is not None


def test_without_remember_me_the_browser_forgets_the_cookie(client, auth):
    auth.login()

    assert client.get_cookie("session").expires is None


def test_a_session_idle_past_the_lifetime_is_anonymous(client):
    client.set_cookie(
        "session", helpers.mint(logged_in_data(), signed_at=helpers.now() - WEEK - 1)
    )

    assert "You are not logged in" in client.get("/").text


def test_a_session_within_the_lifetime_is_kept(client):
    client.set_cookie(
        "session", helpers.mint(logged_in_data(), signed_at=helpers.now() - WEEK + 60)
    )

    assert "You are logged in as" in client.get("/").text


def test_a_login_older_than_the_absolute_lifetime_ends(client):
    issued_long_ago = helpers.now() - 30 * 24 * 3600 - 1
    client.set_cookie(
        "session", helpers.mint(logged_in_data(issued_at=issued_long_ago))
    )

    page = client.get("/").text

    assert "You are not logged in" in page
    assert "reached its time limit" in page


def test_the_absolute_lifetime_is_configurable(app, client):
    app.config["SESSION_ABSOLUTE_LIFETIME"] = timedelta(minutes=5)
    client.set_cookie(
        "session", helpers.mint(logged_in_data(issued_at=helpers.now() - 301))
    )

    assert "reached its time limit" in client.get("/").text


def test_a_fresh_signature_is_not_sent_again(client, auth):
    auth.login()
    client.get("/")  # shows the welcome flash

    assert "Set-Cookie" not in client.get("/").headers


@pytest.mark.parametrize("permanent", [False, True])
def test_an_ageing_signature_is_refreshed(app, client, permanent):
    data = logged_in_data(_permanent=permanent)
    client.set_cookie(
        "session", helpers.mint(data, signed_at=helpers.now() - WEEK // 2 - 60)
    )

    response = client.get("/")

    assert "session=" in response.headers["Set-Cookie"]
    cookie = helpers.session_cookie(client, app)
    assert helpers.decoded(app, cookie).data == data


def test_the_refresh_point_is_configurable(app, client):
    app.config["SESSION_REFRESH_AFTER"] = 0.9
    client.set_cookie(
        "session", helpers.mint(logged_in_data(), signed_at=helpers.now() - WEEK // 2)
    )

    assert "Set-Cookie" not in client.get("/").headers


def test_refresh_can_be_turned_off(app, client):
    app.config["SESSION_REFRESH_EACH_REQUEST"] = False
    client.set_cookie(
        "session", helpers.mint(logged_in_data(), signed_at=helpers.now() - WEEK + 60)
    )

    assert "Set-Cookie" not in client.get("/").headers


@pytest.mark.parametrize(
    "issued_at", [None, "yesterday"], ids=["missing", "not a time"]
)
def test_a_login_without_a_usable_issue_time_ends(client, issued_at):
    data = logged_in_data(issued_at=issued_at)
    if issued_at is None:
        del data["issued_at"]
    client.set_cookie("session", helpers.mint(data))

    response = client.get("/")

    assert "could not be read, so you have been logged out" in response.text
    assert "You are not logged in" in response.text
