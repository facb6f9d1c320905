"""Failed logins, counted in the database per username and client address."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import TEST_PASSWORD
from {{ cookiecutter.package_name }} import create_app
from {{ cookiecutter.package_name }}.db import get_db


def login(client, password=TEST_PASSWORD, username="test", address="192.0.2.1"):
    return client.post(
        "/auth/login",
        data={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def fail(client, times, **kwargs):
    for _ in range(times):
        assert login(client, password="wrong password", **kwargs).status_code == 200


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


def test_the_lock_ends_when_the_window_passes(app, client):
    with app.app_context():
        db = get_db()
        window_start = time.time() - app.config["LOGIN_FAILURE_WINDOW"]
        db.executemany(
            "INSERT INTO login_failure (username, address, failed_at) VALUES (?, ?, ?)",
            [("test", "192.0.2.1", window_start - 1)] * 5,
        )
        db.commit()

    assert login(client).status_code == 302


def test_the_lock_reports_the_time_left(app, client):
    with app.app_context():
        db = get_db()
        almost_over = time.time() - app.config["LOGIN_FAILURE_WINDOW"] + 90
        db.executemany(
            "INSERT INTO login_failure (username, address, failed_at) VALUES (?, ?, ?)",
            [("test", "192.0.2.1", almost_over)] * 5,
        )
        db.commit()

    assert "Try again in 2 minute(s)" in login(client).text


def test_attempts_during_the_lock_do_not_extend_it(app, client):
    fail(client, 5)
    login(client)
    login(client)

    with app.app_context():
        count = get_db().execute("SELECT COUNT(*) FROM login_failure").fetchone()[0]
    assert count == 5


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
    with pytest.raises(ValueError, match=next(iter(settings))):
        create_app({**app.config, **settings})
