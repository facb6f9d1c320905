"""Failed logins, counted in the database per username and client address, per
account, and per device that logged in before."""

import hashlib
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from itsdangerous import URLSafeTimedSerializer

import helpers
from {{ cookiecutter.package_name }} import create_app, devices
from {{ cookiecutter.package_name }}.config import ConfigError
from {{ cookiecutter.package_name }}.db import db
from {{ cookiecutter.package_name }}.throttle import (
    LoginAttempts,
    normal_address,
)
from {{ cookiecutter.package_name }}.users import (
    end_all_sessions,
    username_key,
)

WINDOW = 15 * 60
DEFAULT_CEILING = 30
# The tests' own ceiling, lower than the default: each guess is a request.
CEILING = 8
DEVICE_LIFETIME = 365 * 24 * 3600
DEVICE_COOKIE = devices.COOKIE_NAME
ANOTHER_KEY = "another test key, as long and as realistic: 9876543210"


@pytest.fixture
def database_url(each_database_url):
    """These tests run on SQLite and on PostgreSQL."""
    return each_database_url


@pytest.fixture
def app(build_app):
    return build_app(LOGIN_ACCOUNT_MAX_FAILURES=CEILING)


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

    rows = stored_attempts(app)
    # One row for the address, one for the account's ceiling.
    assert len(rows) == 2
    for row in rows:
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

    assert len(stored_digests(app)) == 1


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
        {"LOGIN_ACCOUNT_MAX_FAILURES": 0},
        {"LOGIN_ACCOUNT_MAX_FAILURES": "30"},
        {"LOGIN_ACCOUNT_MAX_FAILURES": True},
        {"DEVICE_COOKIE_LIFETIME": 0},
        {"DEVICE_COOKIE_LIFETIME": "a year"},
    ],
    ids=[
        "no failures",
        "text limit",
        "no window",
        "text window",
        "no account failures",
        "text account limit",
        "true account limit",
        "no device lifetime",
        "text device lifetime",
    ],
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


def test_password_form_guesses_lock_the_logins_of_that_browser(logged_in):
    guess_current_password(logged_in, 5)

    assert login(logged_in, address="198.51.100.7").status_code == 429


def without_device_cookie(client):
    """The client as a session stolen without its browser's device cookie."""
    client.delete_cookie(DEVICE_COOKIE)
    return client


def test_password_form_guesses_without_a_device_cookie_count_as_failed_logins(
    app, logged_in
):
    guess_current_password(without_device_cookie(logged_in), 5)

    assert login(app.test_client()).status_code == 429


def test_failed_logins_lock_the_password_form_without_a_device_cookie(app, logged_in):
    fail(app.test_client(), 5)

    response = change_password(without_device_cookie(logged_in), helpers.TEST_PASSWORD)

    assert response.status_code == 429


def test_failed_logins_elsewhere_leave_the_owners_password_form_alone(app, logged_in):
    fail(app.test_client(), 5)

    assert change_password(logged_in, helpers.TEST_PASSWORD).status_code == 302


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

    assert [row.attempts for row in stored_attempts(app) if row.attempts] == []


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


@pytest.mark.parametrize(
    ("address", "counted_as"),
    [
        ("192.0.2.1", "192.0.2.1"),
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
        ("2001:0DB8:0001:0002:0000:0000:0000:0001", "2001:db8:1:2::/64"),
        ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
        ("::ffff:192.0.2.1", "192.0.2.1"),
        ("::FFFF:c000:0201", "192.0.2.1"),
        ("fe80::1%eth0", "fe80::/64"),
        ("::1", "::/64"),
        ("192.0.2.0/24", "unknown"),
        ("", "unknown"),
        (None, "unknown"),
    ],
    ids=repr,
)
def test_an_address_is_counted_as_its_client(address, counted_as):
    assert normal_address(address) == counted_as


@pytest.mark.parametrize(
    "addresses",
    [
        ["2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:a::b", "2001:db8:1:2:f::"],
        [f"2001:db8:1:2:{n}:{n}:{n}:{n}" for n in range(1, 5)],
        ["2001:db8:1:2::1"] * 4,
    ],
    ids=["mixed", "spread", "one"],
)
def test_addresses_in_one_ipv6_64_share_one_count(client, addresses):
    for address in [*addresses, "2001:db8:1:2:ffff:ffff:ffff:ffff"]:
        fail(client, 1, address=address)

    assert login(client, address="2001:db8:1:2:1234::1").status_code == 429


@pytest.mark.parametrize(
    "address",
    ["2001:db8:1:3::1", "2001:db8:1:1:ffff:ffff:ffff:ffff", "2001:db8:2:2::1", "::1"],
)
def test_addresses_across_ipv6_64s_count_apart(client, address):
    fail(client, 5, address="2001:db8:1:2::1")

    assert login(client, address=address).status_code == 302


@pytest.mark.parametrize(
    ("failing", "then"),
    [
        ("::ffff:192.0.2.1", "192.0.2.1"),
        ("192.0.2.1", "::ffff:192.0.2.1"),
        ("::ffff:c000:201", "192.0.2.1"),
    ],
    ids=["mapped, then plain", "plain, then mapped", "mapped in hex"],
)
def test_an_ipv4_address_written_as_ipv6_shares_its_count(client, failing, then):
    fail(client, 5, address=failing)

    assert login(client, address=then).status_code == 429


def spread_guesses(app, times, username="test"):
    """Wrong passwords for one account, each from a new browser and address."""
    for number in range(times):
        address = f"198.18.{number // 256}.{number % 256}"
        login(app.test_client(), "wrong password", username, address)


def test_guesses_from_many_addresses_reach_the_default_ceiling(build_app):
    app = build_app()
    spread_guesses(app, DEFAULT_CEILING)

    response = login(app.test_client(), address="203.0.113.9")

    assert response.status_code == 429
    assert "Too many failed attempts" in response.text
    assert 0 < int(response.headers["Retry-After"]) <= WINDOW


def test_guesses_below_the_ceiling_do_not(app):
    spread_guesses(app, CEILING - 1)

    assert login(app.test_client(), address="203.0.113.9").status_code == 302


def test_the_ceiling_holds_only_for_its_account(app):
    spread_guesses(app, CEILING)

    response = login(app.test_client(), username="other", address="203.0.113.9")

    assert response.status_code == 302


def test_the_ceiling_ends_when_the_window_passes(app, time_machine):
    time_machine.move_to("2030-01-01 12:00", tick=False)
    spread_guesses(app, CEILING)

    time_machine.shift(WINDOW + 1)

    assert login(app.test_client(), address="203.0.113.9").status_code == 302


def test_the_ceiling_is_configurable(app):
    app.config["LOGIN_ACCOUNT_MAX_FAILURES"] = 3
    spread_guesses(app, 3)

    assert login(app.test_client(), address="203.0.113.9").status_code == 429


def test_logins_from_new_browsers_do_not_use_up_the_ceiling(app):
    app.config["LOGIN_ACCOUNT_MAX_FAILURES"] = 3
    spread_guesses(app, 2)

    for number in range(4):
        browser = app.test_client()
        assert login(browser, address=f"203.0.113.{number}").status_code == 302


def test_guesses_refused_at_a_locked_address_do_not_use_up_the_ceiling(app, client):
    app.config["LOGIN_ACCOUNT_MAX_FAILURES"] = 10
    for _ in range(20):
        login(client, password="wrong password")

    assert login(app.test_client(), address="203.0.113.9").status_code == 302


def test_guesses_from_many_addresses_side_by_side_are_counted_too(app):
    app.config["LOGIN_ACCOUNT_MAX_FAILURES"] = 10

    def guess(number):
        browser = app.test_client()
        address = f"198.18.0.{number}"
        return login(browser, password="wrong password", address=address).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(pool.map(guess, range(30)))

    assert statuses == [200] * 10 + [429] * 20


OWNERS_ADDRESS = "192.0.2.50"


@pytest.fixture
def owners_browser(app):
    """A browser in which the account's owner logged in, then out."""
    browser = app.test_client()
    assert login(browser, address=OWNERS_ADDRESS).status_code == 302
    browser.post("/auth/logout")
    return browser


def test_during_a_spread_guess_the_owner_logs_in_from_a_known_browser(
    app, owners_browser
):
    spread_guesses(app, CEILING + 10)
    assert login(app.test_client(), address=OWNERS_ADDRESS).status_code == 429

    assert login(owners_browser, address=OWNERS_ADDRESS).status_code == 302


def test_a_known_browser_that_keeps_failing_is_locked_out(owners_browser):
    fail(owners_browser, 5)

    assert login(owners_browser).status_code == 429


def test_a_known_browser_locked_out_is_refused_from_any_address(owners_browser):
    fail(owners_browser, 5, address="192.0.2.1")

    assert login(owners_browser, address="198.51.100.3").status_code == 429


def test_a_known_browsers_failures_leave_its_address_alone(app, owners_browser):
    fail(owners_browser, 5, address="192.0.2.1")

    assert login(app.test_client(), address="192.0.2.1").status_code == 302


def test_a_known_browser_keeps_its_allowance_after_changing_the_password(app):
    browser = app.test_client()
    assert login(browser).status_code == 302
    assert change_password(browser, helpers.TEST_PASSWORD).status_code == 302
    spread_guesses(app, CEILING)

    assert login(browser, password="a new password").status_code == 302


def device_cookie(browser):
    return browser.get_cookie(DEVICE_COOKIE).value


def test_a_device_is_stored_as_a_digest_of_its_cookie(app, owners_browser):
    fail(owners_browser, 1)

    (row,) = [row for row in stored_attempts(app) if row.attempts]
    assert row.address.startswith("device ")
    assert len(row.address) <= 45
    assert device_cookie(owners_browser) not in row.address


@pytest.mark.parametrize("secure", [True, False])
def test_the_device_cookie_is_secure_as_the_session_cookie_is(build_app, secure):
    browser = build_app(SESSION_COOKIE_SECURE=secure).test_client()

    login(browser)

    assert browser.get_cookie(DEVICE_COOKIE).secure is secure
    assert browser.get_cookie("session").secure is secure


def test_the_device_cookie_is_http_only_lax_and_long_lived(client):
    login(client)

    cookie = client.get_cookie(DEVICE_COOKIE)
    assert cookie.http_only
    assert cookie.same_site == "Lax"
    assert cookie.max_age == DEVICE_LIFETIME


def test_the_device_cookie_lifetime_is_configurable(build_app):
    browser = build_app(DEVICE_COOKIE_LIFETIME=3600).test_client()

    login(browser)

    assert browser.get_cookie(DEVICE_COOKIE).max_age == 3600


def signed_device_cookie(key, salt=devices.SALT, **data):
    payload = {"user_id": 1, "epoch": 0, "nonce": "n", **data}
    return URLSafeTimedSerializer(key, salt=salt).dumps(payload)


def tampered(value):
    """``value`` with the first character of its signature changed. Not
    the last: base64 leaves some of its bits unused, so a change there can
    decode to the same signature."""
    start = value.rindex(".") + 1
    changed = "A" if value[start] != "A" else "B"
    return value[:start] + changed + value[start + 1 :]


@pytest.mark.parametrize(
    "forge",
    [
        lambda value: signed_device_cookie(ANOTHER_KEY),
        lambda value: signed_device_cookie(
            helpers.TEST_SECRET_KEY, salt="cookie-session"
        ),
        lambda value: signed_device_cookie(helpers.TEST_SECRET_KEY, user_id=2),
        lambda value: signed_device_cookie(helpers.TEST_SECRET_KEY, epoch=1),
        lambda value: signed_device_cookie(helpers.TEST_SECRET_KEY, user_id=None),
        lambda value: URLSafeTimedSerializer(
            helpers.TEST_SECRET_KEY, salt=devices.SALT
        ).dumps([1, 0]),
        tampered,
        lambda value: value.split(".")[0],
        lambda value: "",
    ],
    ids=[
        "another key",
        "the session's salt",
        "another account",
        "a later epoch",
        "no account",
        "a list",
        "tampered",
        "the payload alone",
        "empty",
    ],
)
def test_a_forged_device_cookie_gives_no_allowance(app, owners_browser, forge):
    owners_browser.set_cookie(DEVICE_COOKIE, forge(device_cookie(owners_browser)))
    spread_guesses(app, CEILING)

    assert login(owners_browser, address=OWNERS_ADDRESS).status_code == 429


def test_the_device_cookie_of_another_account_gives_no_allowance(app):
    browser = app.test_client()
    assert login(browser, username="other").status_code == 302
    spread_guesses(app, CEILING)

    assert login(browser).status_code == 429


@pytest.mark.parametrize("ending", ["sign out everywhere", "change password"])
def test_a_device_cookie_of_an_old_epoch_gives_no_allowance(
    app, owners_browser, ending
):
    elsewhere = app.test_client()
    assert login(elsewhere, address="203.0.113.9").status_code == 302
    if ending == "sign out everywhere":
        elsewhere.post("/auth/sign-out-everywhere")
    else:
        change_password(elsewhere, helpers.TEST_PASSWORD, address="203.0.113.9")
    spread_guesses(app, CEILING)

    assert login(owners_browser, address=OWNERS_ADDRESS).status_code == 429


def test_the_epoch_ends_the_device_cookie_without_any_page(app, owners_browser):
    with app.app_context():
        end_all_sessions(1)
    spread_guesses(app, CEILING)

    assert login(owners_browser, address=OWNERS_ADDRESS).status_code == 429


@pytest.mark.parametrize(
    ("age", "status"),
    [(DEVICE_LIFETIME - 60, 302), (DEVICE_LIFETIME + 1, 429)],
    ids=["just before it expires", "expired"],
)
def test_an_expired_device_cookie_gives_no_allowance(app, time_machine, age, status):
    time_machine.move_to("2030-01-01 12:00", tick=False)
    browser = app.test_client()
    assert login(browser, address=OWNERS_ADDRESS).status_code == 302

    time_machine.shift(age)
    spread_guesses(app, CEILING)

    assert login(browser, address=OWNERS_ADDRESS).status_code == status


def test_a_new_secret_key_ends_the_device_cookies(build_app, owners_browser):
    rotated = build_app(SECRET_KEY=ANOTHER_KEY, LOGIN_ACCOUNT_MAX_FAILURES=CEILING)
    browser = rotated.test_client()
    browser.set_cookie(DEVICE_COOKIE, device_cookie(owners_browser))
    spread_guesses(rotated, CEILING)

    assert login(browser, address=OWNERS_ADDRESS).status_code == 429
