"""Failed logins, counted in the database per username and client address."""

import hashlib
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

import helpers
from {{ cookiecutter.package_name }} import create_app
from {{ cookiecutter.package_name }}.config import ConfigError
from {{ cookiecutter.package_name }}.db import db
from {{ cookiecutter.package_name }}.throttle import LoginAttempts
from {{ cookiecutter.package_name }}.users import username_key

WINDOW = 15 * 60
ANOTHER_KEY = "another test key, as long and as realistic: 9876543210"


@pytest.fixture
def database_url(each_database_url):
    """These tests run on SQLite and on PostgreSQL."""
    return each_database_url


def login(client, password=helpers.TEST_PASSWORD, username="test", address="192.0.2.1"):
    return client.post(
        "/auth/login",
        data={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def fail(client, times, **kwargs):
    for _ in range(times):
        assert login(client, password="wrong password", **kwargs).status_code == 200


def change_password(client, current, address="192.0.2.1"):
    new = "a new password"
    return client.post(
        "/auth/password",
        data={"current_password": current, "password": new, "confirm": new},
        environ_base={"REMOTE_ADDR": address},
    )


@pytest.fixture
def logged_in(client):
    assert login(client).status_code == 302
    return client


def guess_current_password(client, times):
    for _ in range(times):
        response = change_password(client, "wrong password")
        assert response.status_code == 200
        assert "not your current password" in response.text


def test_five_failures_lock_out_even_the_right_password(client):
    fail(client, 5)

    response = login(client)

    assert response.status_code == 429
    assert "Too many failed attempts" in response.text
    assert "Try again in 15 minute(s)" in response.text
    with client.session_transaction() as current:
        assert "user_id" not in current


def test_the_lock_says_when_to_retry(client):
    fail(client, 5)

    assert 0 < int(login(client).headers["Retry-After"]) <= 15 * 60


def test_guesses_sent_side_by_side_are_counted_too(app):
    def guess(_):
        return login(app.test_client(), password="wrong password").status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(pool.map(guess, range(20)))

    assert statuses == [200] * 5 + [429] * 15
    assert login(app.test_client()).status_code == 429


def test_four_failures_do_not(client):
    fail(client, 4)

    assert login(client).status_code == 302


def test_a_success_forgets_the_failures(client):
    fail(client, 4)
    login(client)

    fail(client, 4)

    assert login(client).status_code == 302


@pytest.mark.parametrize(
    ("username", "address"),
    [("other", "192.0.2.1"), ("test", "198.51.100.7")],
    ids=["another username", "another address"],
)
def test_the_lock_holds_only_for_its_pair(client, username, address):
    fail(client, 5)

    assert login(client, username=username, address=address).status_code == 302


def test_a_new_cookie_does_not_escape_the_lock(app, client):
    fail(client, 5)

    assert login(app.test_client()).status_code == 429


def test_the_lock_ends_when_the_window_passes(client, time_machine):
    time_machine.move_to("2030-01-01 12:00", tick=False)
    fail(client, 5)

    time_machine.shift(WINDOW + 1)

    assert login(client).status_code == 302


def test_the_lock_reports_the_time_left(client, time_machine):
    time_machine.move_to("2030-01-01 12:00", tick=False)
    fail(client, 5)

    time_machine.shift(WINDOW - 90)
    locked = login(client)

    assert "Try again in 2 minute(s)" in locked.text
    assert locked.headers["Retry-After"] == "90"


def test_attempts_during_the_lock_do_not_extend_it(client, time_machine):
    time_machine.move_to("2030-01-01 12:00", tick=False)
    fail(client, 5)
    time_machine.shift(WINDOW - 60)
    assert login(client).status_code == 429

    time_machine.shift(61)

    assert login(client).status_code == 302


def stored_attempts(app):
    with app.app_context():
        return db.session.scalars(sa.select(LoginAttempts)).all()


def test_a_long_username_is_stored_as_a_fixed_size_digest(app, client):
    username = "guess." + "x" * 58

    fail(client, 2, username=username)

    (row,) = stored_attempts(app)
    assert len(row.username_digest) == 32
    assert username.encode() not in row.username_digest
    assert row.attempts == 2


def stored_digests(app):
    return {row.username_digest for row in stored_attempts(app)}


@pytest.mark.parametrize(
    "username",
    ["test", "TEST", "\uff54\uff45\uff53\uff54", "nobody", "hunter2"],
)
def test_the_stored_digest_is_keyed_by_the_secret_key(build_app, username):
    first = build_app()
    fail(first.test_client(), 1, username=username)
    (under_first,) = stored_digests(first)
    # Another key, on the same database.
    second = build_app(SECRET_KEY=ANOTHER_KEY)
    fail(second.test_client(), 1, username=username)

    (under_second,) = stored_digests(second) - {under_first}

    plain = hashlib.sha256(username_key(username).encode("utf-8")).digest()
    assert plain not in {under_first, under_second}


def test_a_new_secret_key_starts_the_counts_afresh(build_app):
    fail(build_app().test_client(), 5)
    assert login(build_app().test_client()).status_code == 429

    assert login(build_app(SECRET_KEY=ANOTHER_KEY).test_client()).status_code == 302


def test_closed_windows_are_pruned(app, client, time_machine):
    time_machine.move_to("2030-01-01 12:00", tick=False)
    fail(client, 1, username="other")

    time_machine.shift(WINDOW + 1)
    fail(client, 1)

    assert [row.attempts for row in stored_attempts(app)] == [1]


@pytest.mark.parametrize("look_alike", ["TEST", "Test", "\uff54\uff45\uff53\uff54"])
def test_case_and_width_variants_share_one_count(client, look_alike):
    fail(client, 5, username=look_alike)

    assert login(client).status_code == 429


def test_an_ipv6_zone_is_not_part_of_the_address(client):
    fail(client, 5, address="fe80::1%" + "a-long-interface-name" * 4)

    assert login(client, address="fe80:0:0:0:0:0:0:1").status_code == 429


def test_the_address_is_counted_in_one_spelling(client):
    fail(client, 5, address="2001:db8:0:0:0:0:0:1")

    assert login(client, address="2001:db8::1").status_code == 429


@pytest.mark.parametrize(
    ("max_failures", "locked_after"), [(1, 1), (3, 3)], ids=["one", "three"]
)
def test_the_limit_is_configurable(app, client, max_failures, locked_after):
    app.config["LOGIN_MAX_FAILURES"] = max_failures
    fail(client, locked_after)

    assert login(client).status_code == 429


@pytest.mark.parametrize(
    "settings",
    [
        {"LOGIN_MAX_FAILURES": 0},
        {"LOGIN_MAX_FAILURES": "5"},
        {"LOGIN_FAILURE_WINDOW": 0},
        {"LOGIN_FAILURE_WINDOW": "15 minutes"},
    ],
    ids=["no failures", "text limit", "no window", "text window"],
)
def test_unworkable_settings_are_refused_at_start(app, settings):
    with pytest.raises(ConfigError, match=next(iter(settings))):
        create_app({**app.config, **settings})


def test_password_form_guesses_lock_out_even_the_right_password(logged_in):
    guess_current_password(logged_in, 5)

    response = change_password(logged_in, helpers.TEST_PASSWORD)

    assert response.status_code == 429
    assert "Too many failed attempts" in response.text
    assert 0 < int(response.headers["Retry-After"]) <= WINDOW


def test_password_form_guesses_count_as_failed_logins(app, logged_in):
    guess_current_password(logged_in, 5)

    assert login(app.test_client()).status_code == 429


def test_failed_logins_lock_the_password_form(app, logged_in):
    fail(app.test_client(), 5)

    assert change_password(logged_in, helpers.TEST_PASSWORD).status_code == 429


def test_the_password_form_lock_ends_when_the_window_passes(client, time_machine):
    time_machine.move_to("2030-01-01 12:00", tick=False)
    assert login(client).status_code == 302
    guess_current_password(client, 5)
    time_machine.shift(WINDOW - 1)
    assert change_password(client, helpers.TEST_PASSWORD).status_code == 429

    time_machine.shift(2)

    assert change_password(client, helpers.TEST_PASSWORD).status_code == 302


def test_a_right_current_password_forgets_the_guesses(app, logged_in):
    guess_current_password(logged_in, 4)
    assert change_password(logged_in, helpers.TEST_PASSWORD).status_code == 302

    assert stored_attempts(app) == []


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("x" * 65, "at most 64 characters"),
        ("x" * 100_000, "at most 64 characters"),
        ("test; DROP TABLE users", "letters, digits"),
        ("te\u200bst", "Invisible characters"),
    ],
    ids=["too long", "far too long", "outside the rule", "invisible"],
)
def test_a_bad_username_is_refused_before_the_throttle_sees_it(
    app, client, username, message
):
    response = login(client, username=username)

    assert response.status_code == 200
    assert message in response.text
    assert stored_attempts(app) == []
