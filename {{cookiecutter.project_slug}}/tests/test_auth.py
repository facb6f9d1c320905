from typing import NamedTuple

import pytest
from flask import g, get_flashed_messages, session

import helpers
from {{ cookiecutter.package_name }}.db import db
from {{ cookiecutter.package_name }}.users import (
    User,
    authenticate,
    get_user_by_name,
    hash_password,
)


@pytest.fixture
def database_url(each_database_url):
    """These tests run on SQLite and on PostgreSQL."""
    return each_database_url


def register(client, username, password="a long password"):
    return client.post(
        "/auth/register",
        data={
            "username": username,
            "email": "new@example.com",
            "password": password,
            "confirm": password,
        },
    )


def test_register_creates_a_user(client, app):
    assert client.get("/auth/register").status_code == 200

    response = client.post(
        "/auth/register",
        data={
            "username": "alice",
            "email": "alice@example.com",
            "password": "a long password",
            "confirm": "a long password",
        },
    )

    assert response.headers["Location"] == "/auth/login"
    with app.app_context():
        assert get_user_by_name("alice") is not None


class BadRegistration(NamedTuple):
    username: str
    password: str
    confirm: str
    message: str


@pytest.mark.parametrize(
    "case",
    [
        BadRegistration(
            "", "a long password", "a long password", "This field is required."
        ),
        BadRegistration("alice", "", "", "This field is required."),
        BadRegistration("alice", "short", "short", "at least 8 characters"),
        BadRegistration(
            "alice", "a long password", "another one", "The passwords differ."
        ),
        BadRegistration("test", "a long password", "a long password", "already taken"),
        BadRegistration("a b", "a long password", "a long password", "letters, digits"),
        BadRegistration(
            "alice\n", "a long password", "a long password", "letters, digits"
        ),
    ],
    ids=lambda case: case.message,
)
def test_register_rejects_bad_input(client, case):
    response = client.post(
        "/auth/register", data={"email": "alice@example.com", **case._asdict()}
    )

    assert response.status_code == 200
    assert case.message in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/auth/login", "/auth/register", "/auth/password"])
def test_form_fields_carry_no_empty_attributes(client, auth, path):
    auth.login()

    assert '="None"' not in client.get(path).text


@pytest.mark.parametrize(
    "look_alike",
    ["ALICE", "Alice", "\uff41\uff4c\uff49\uff43\uff45", "\uff21lice"],
    ids=["upper case", "title case", "fullwidth", "mixed width"],
)
def test_registering_a_look_alike_name_says_it_is_taken(client, look_alike):
    register(client, "alice")

    response = register(client, look_alike)

    assert response.status_code == 200
    assert "already taken" in response.text


@pytest.mark.parametrize(
    "name",
    ["\u0430lice", "\u03b1dmin", "ad\u043cin", "\u0570ello", "\u4e2d\u0438"],
    ids=["Cyrillic a", "Greek alpha", "Cyrillic em", "Armenian h", "Han and Cyrillic"],
)
def test_registering_a_name_that_mixes_scripts_is_refused(client, app, name):
    response = register(client, name)

    assert response.status_code == 200
    assert "letters of one script" in response.text
    with app.app_context():
        assert get_user_by_name(name) is None


@pytest.mark.parametrize(
    "name",
    [
        "\u03b5\u03bb\u03ad\u03bd\u03b7",
        "\u0438\u0432\u0430\u043d",
        "\u5c71\u7530\u305f\u308d\u3046",
        "\u30bf\u30ed\u30a6\u5c71\u7530",
        "kim\uae40",
    ],
    ids=["Greek", "Cyrillic", "Han and Hiragana", "Katakana and Han", "Korean"],
)
def test_registering_a_name_in_one_writing_system_is_allowed(client, app, name):
    response = register(client, name)

    assert response.headers["Location"] == "/auth/login"
    with app.app_context():
        assert get_user_by_name(name).username == name


@pytest.mark.parametrize(
    ("name", "look_alike"),
    [
        ("cop", "\u0441\u043e\u0440"),
        ("PAYPA", "\u03a1\u0391\u03a5\u03a1\u0391"),
        ("bob", "\u042c\u041e\u042c"),
        ("Alice", "AIice"),
        ("\u0441\u043e\u0440", "cop"),
    ],
    ids=[
        "Cyrillic for Latin",
        "Greek for Latin",
        "Cyrillic capitals",
        "I for l",
        "Latin for Cyrillic",
    ],
)
def test_registering_a_name_that_looks_like_a_taken_one_is_refused(
    client, app, name, look_alike
):
    register(client, name)

    response = register(client, look_alike)

    assert response.status_code == 200
    assert "looks too much like one that is taken" in response.text
    with app.app_context():
        assert get_user_by_name(look_alike) is None


def test_an_older_account_whose_name_mixes_scripts_still_logs_in(client, auth, app):
    with app.app_context():
        name = "\u0430lice"
        db.session.add(
            User(username=name, username_key=name, password=hash_password("password1"))
        )
        db.session.commit()

    response = auth.login(username=name, password="password1")

    assert response.headers["Location"] == "/"


@pytest.mark.parametrize(
    "invisible",
    [
        "\u200b",
        "\u200d",
        "\u3164",
        "\uffa0",
        "\u115f",
        "\u00ad",
        "\u2060",
        "\ufeff",
        "\ufe0f",
        "\U000e0041",
        "\u202e",
    ],
    ids=[
        "zero-width space",
        "zero-width joiner",
        "Hangul filler",
        "halfwidth Hangul filler",
        "Hangul choseong filler",
        "soft hyphen",
        "word joiner",
        "byte order mark",
        "variation selector",
        "tag letter",
        "right-to-left override",
    ],
)
def test_registering_a_name_with_an_invisible_character_is_refused(
    client, app, invisible
):
    response = register(client, f"ali{invisible}ce")

    assert "Invisible characters" in response.text
    with app.app_context():
        assert get_user_by_name("alice") is None


def test_a_name_is_stored_in_its_normal_form(client, app):
    register(client, "\uff22ob")

    with app.app_context():
        assert get_user_by_name("bob").username == "Bob"


@pytest.mark.parametrize("look_alike", ["Test", "TEST", "\uff54\uff45\uff53\uff54"])
def test_a_look_alike_name_logs_in_to_the_account(client, auth, look_alike):
    response = auth.login(username=look_alike)

    assert response.headers["Location"] == "/"
    with client.session_transaction() as current:
        assert current["user_id"] == 1


def test_a_field_with_an_error_is_marked_invalid(client):
    response = client.post("/auth/register", data={"username": "a b"})

    assert 'aria-invalid="true"' in response.text


def test_login_puts_the_user_id_in_the_session(client, auth):
    assert client.get("/auth/login").status_code == 200

    response = auth.login()

    assert response.headers["Location"] == "/"
    with client:
        client.get("/")
        assert session["user_id"] == 1
        assert g.user.username == "test"


@pytest.mark.parametrize(
    ("username", "password"),
    [("nobody", "test-password"), ("test", "wrong password")],
)
def test_login_rejects_wrong_credentials_alike(auth, username, password):
    response = auth.login(username, password)

    assert response.status_code == 200
    assert "Incorrect username or password." in response.get_data(as_text=True)


def test_login_clears_what_the_old_session_held(client, auth):
    with client.session_transaction() as planted:
        planted["planted"] = "by an attacker"

    auth.login()

    with client.session_transaction() as current:
        assert "planted" not in current
        assert current["user_id"] == 1


def test_logout_clears_the_session(client, auth):
    auth.login()

    response = auth.logout()

    assert response.headers["Location"] == "/"
    with client.session_transaction() as current:
        assert "user_id" not in current


def test_logout_refuses_get(client, auth):
    auth.login()

    assert client.get("/auth/logout").status_code == 405
    with client.session_transaction() as current:
        assert current["user_id"] == 1


def test_login_required_does_not_return_to_a_post(client):
    response = client.post("/auth/sign-out-everywhere")

    assert response.headers["Location"] == "/auth/login"


def test_login_required_sends_visitors_to_login_and_back(client, auth):
    response = client.get("/auth/password")

    assert response.headers["Location"] == "/auth/login?next=/auth/password"
    assert (
        auth.login(next_path="/auth/password").headers["Location"] == "/auth/password"
    )


@pytest.mark.parametrize(
    "next_path",
    [
        "//evil.example",
        "/\\evil.example",
        "https://evil.example/",
        "https:evil.example",
    ],
)
def test_login_ignores_a_next_that_leaves_the_site(auth, next_path):
    assert auth.login(next_path=next_path).headers["Location"] == "/"


def test_flash_is_shown_once(client, auth):
    auth.login()

    assert "Welcome, test." in client.get("/").get_data(as_text=True)
    assert "Welcome, test." not in client.get("/").get_data(as_text=True)


def test_register_flashes_success(client):
    response = client.post(
        "/auth/register",
        data={
            "username": "dave",
            "email": "dave@example.com",
            "password": "long enough",
            "confirm": "long enough",
        },
        follow_redirects=True,
    )

    assert (
        '<p class="flash flash-success" role="status">Your account is ready,'
        in response.text
    )


def test_wrong_password_flashes_an_error(auth):
    response = auth.login(password="wrong password")

    assert '<p class="flash flash-error" role="status">Incorrect' in response.text


def test_logout_flashes_info(client, auth):
    auth.login()

    response = client.post("/auth/logout", follow_redirects=True)

    assert (
        '<p class="flash flash-info" role="status">You have been logged out.'
        in response.text
    )


def test_flashes_read_back_as_category_and_message_tuples(build_app):
    app = build_app(shared=False)
    client = app.test_client()
    read = []

    # Flask documents tuples; the cookie's JSON stores them as lists.
    @app.get("/test/flashes")
    def read_flashes():
        read.extend(get_flashed_messages(with_categories=True))
        return ""

    auth = helpers.AuthActions(client)
    auth.login()
    auth.logout()
    client.get("/test/flashes")

    assert read == [("info", "You have been logged out.")]
    assert all(isinstance(item, tuple) for item in read)


def test_password_change_flashes_success(client, auth):
    auth.login()

    response = auth.change_password(follow_redirects=True)

    assert "Your password has been changed" in response.text


def test_change_password_needs_the_current_one(client, auth, app):
    auth.login()

    response = auth.change_password(current="wrong")

    assert "not your current password" in response.get_data(as_text=True)
    with app.app_context():
        assert authenticate("test", "test-password") is not None


def test_change_password_replaces_the_hash(client, auth, app):
    auth.login()

    auth.change_password()

    with app.app_context():
        assert authenticate("test", "test-password") is None
        assert authenticate("test", "a new password") is not None


def test_a_deleted_user_is_logged_out(client, auth, app):
    auth.login()
    with app.app_context():
        db.session.delete(get_user_by_name("test"))
        db.session.commit()

    assert "no longer exists" in client.get("/").get_data(as_text=True)
    with client.session_transaction() as current:
        assert "user_id" not in current


def login_fields(**changes):
    return {"user_id": 1, "epoch": 0, "issued_at": helpers.now(), **changes}


@pytest.mark.parametrize(
    "data",
    [
        login_fields(user_id=0),
        login_fields(user_id=-1),
        login_fields(user_id=2**31),
        login_fields(user_id=2**64),
        login_fields(user_id=1.0),
        login_fields(user_id="1"),
        login_fields(user_id=True),
        login_fields(user_id=None),
        login_fields(user_id=[1]),
        login_fields(user_id={"id": 1}),
        login_fields(epoch="0"),
        login_fields(epoch=0.0),
        login_fields(epoch=False),
        login_fields(epoch=None),
        login_fields(issued_at=str(helpers.now())),
        login_fields(issued_at=helpers.now() + 0.5),
        login_fields(issued_at=True),
        login_fields(issued_at=-1),
        login_fields(issued_at=2**53),
        login_fields(issued_at=2**64),
    ],
    ids=repr,
)
def test_a_signed_session_of_the_wrong_shape_is_signed_out(client, data):
    client.set_cookie("session", helpers.mint(data))

    response = client.get("/")

    assert response.status_code == 200
    assert "You are not logged in" in response.text
    with client.session_transaction() as current:
        assert "user_id" not in current


def test_a_signed_session_with_bad_flashes_keeps_the_login(client):
    client.set_cookie("session", helpers.mint(login_fields(_flashes=[["info", 1]])))

    response = client.get("/")

    assert "You are logged in as <strong>test</strong>" in response.text


# Requests that add a flash and redirect, so that a client that never
# follows the redirect never shows what they flashed. (Logging out empties
# the session before its flash.)
FLASHING_REQUESTS = [
    ("GET", "/auth/password"),
    ("POST", "/auth/password"),
    ("POST", "/auth/sign-out-everywhere"),
]


def test_a_flash_flood_never_fails_nor_outgrows_the_cookie(build_app):
    # Errors as responses, as a server gives them, rather than raised.
    app = build_app(PROPAGATE_EXCEPTIONS=False)
    client = app.test_client()
    interface = app.session_interface
    # Enough of the shortest flash to pass the largest payload the
    # format inflates, where an unbounded session fails.
    shortest = len('["info","Please log in to see that page."],')
    flood = interface.cookie_format_class.max_payload_size // shortest + 100

    statuses, sizes, held = set(), set(), set()
    for n in range(flood):
        method, path = FLASHING_REQUESTS[n % len(FLASHING_REQUESTS)]
        response = client.open(path, method=method)
        # A wrong password early on, whose page shows the flashes.
        if n == 10:
            response = client.post(
                "/auth/login", data={"username": "test", "password": "wrong"}
            )
        statuses.add(response.status_code)
        # None once the login page has shown the flashes and emptied it.
        cookie = helpers.session_cookie(client, app)
        if cookie is not None:
            sizes.add(len(cookie))
            held.add(len(helpers.decoded(app, cookie).data["_flashes"]))

    assert max(statuses) < 500
    assert max(sizes) < app.config["MAX_COOKIE_SIZE"]
    assert max(held) == interface.max_flashes
