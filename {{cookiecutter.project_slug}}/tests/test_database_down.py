"""A database that goes away: a friendly 503, one line in the log, then recovery."""

import pytest

import databases
import helpers
from {{ cookiecutter.package_name }} import create_app
from {{ cookiecutter.package_name }}.db import db

SIGNED_IN = {"user_id": 1, "epoch": 0}


def signed_in_client(app):
    client = app.test_client()
    client.set_cookie(
        "session", helpers.mint({**SIGNED_IN, "issued_at": helpers.now()})
    )
    return client


def make_app(database_url, **settings):
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": helpers.TEST_SECRET_KEY,
            "SQLALCHEMY_DATABASE_URI": database_url,
            **settings,
        }
    )


def assert_logged_out(app, client, response):
    """The response to a logout: home, with a session that names no user."""
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    cookie = helpers.session_cookie(client, app)
    assert "user_id" not in helpers.decoded(app, cookie).data


def assert_friendly_503(response):
    assert response.status_code == 503
    assert "cannot reach its database" in response.text
    assert response.headers["Retry-After"] == "30"
    for leak in ("Traceback", "sqlite", "psycopg", "OperationalError"):
        assert leak not in response.text


def unavailable_lines(caplog):
    return [r for r in caplog.records if "database is unavailable" in r.getMessage()]


def test_an_unreachable_sqlite_file_gives_a_friendly_503(tmp_path, caplog):
    app = make_app(f"sqlite:///{tmp_path / 'no such folder' / 'app.sqlite'}")

    response = signed_in_client(app).get("/")

    assert_friendly_503(response)
    assert len(unavailable_lines(caplog)) == 1
    assert "GET /" in unavailable_lines(caplog)[0].getMessage()


def test_pages_that_need_no_database_keep_working_without_it(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'no such folder' / 'app.sqlite'}")

    response = app.test_client().get("/")

    assert response.status_code == 200
    assert "You are not logged in" in response.text


def test_logout_works_without_the_database(tmp_path):
    app = make_app(
        f"sqlite:///{tmp_path / 'no such folder' / 'app.sqlite'}",
        WTF_CSRF_ENABLED=False,
    )
    client = signed_in_client(app)

    response = client.post("/auth/logout")

    assert_logged_out(app, client, response)
    home = client.get("/")
    assert "You have been logged out." in home.text
    assert "You are not logged in" in home.text


@pytest.fixture
def own_postgres():
    """A server of this test's own, which it may stop."""
    server = databases.ThrowawayServer()
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.mark.postgres
def test_a_stopped_postgresql_gives_a_503_and_the_app_recovers(own_postgres, caplog):
    database_url = own_postgres.create_database("app")
    databases.prepare_database(database_url, users=[("test", "a password")])
    app = make_app(database_url)
    client = signed_in_client(app)
    assert client.get("/").status_code == 200

    own_postgres.halt()
    down = client.get("/")
    own_postgres.start()
    back = client.get("/")

    assert_friendly_503(down)
    assert len(unavailable_lines(caplog)) == 1
    assert back.status_code == 200
    assert "You are logged in as" in back.text
    with app.app_context():
        db.engine.dispose()


@pytest.mark.postgres
def test_logout_works_while_postgresql_is_stopped(own_postgres, caplog):
    database_url = own_postgres.create_database("app")
    databases.prepare_database(database_url, users=[("test", "a password")])
    # As in production: the form's token checked.
    app = make_app(database_url, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    login_form = client.get("/auth/login").text
    client.post(
        "/auth/login",
        data={
            "username": "test",
            "password": "a password",
            "csrf_token": helpers.csrf_token(login_form),
        },
    )
    home = client.get("/").text
    assert "You are logged in as" in home

    own_postgres.halt()
    try:
        response = client.post(
            "/auth/logout", data={"csrf_token": helpers.csrf_token(home)}
        )
    finally:
        own_postgres.start()

    assert_logged_out(app, client, response)
    assert unavailable_lines(caplog) == []
    assert "You are not logged in" in client.get("/").text
    with app.app_context():
        db.engine.dispose()
