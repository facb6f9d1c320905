"""A database that goes away: a friendly 503, one line in the log, then recovery."""

import contextlib

import psycopg
import pytest
from flask import template_rendered

import databases
import helpers
from {{ cookiecutter.package_name }} import create_app
from {{ cookiecutter.package_name }}.db import db
from {{ cookiecutter.package_name }}.headers import CONTENT_SECURITY_POLICY

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


@pytest.fixture
def signed_in_app(own_postgres):
    """An app on its own server, holding the user that ``signed_in_client`` is."""
    database_url = own_postgres.create_database("app")
    databases.prepare_database(database_url, users=[("test", "a password")])
    app = make_app(database_url)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def pooled_client(signed_in_app):
    """A signed-in client whose first request left a connection in the pool,
    the connection a restart of the server drops."""
    client = signed_in_client(signed_in_app)
    assert client.get("/").status_code == 200
    return client


def assert_signed_in_page(response):
    assert response.status_code == 200
    assert "You are logged in as" in response.text


@pytest.mark.postgres
def test_a_stopped_postgresql_gives_a_503_and_the_app_recovers(
    own_postgres, pooled_client, caplog
):
    own_postgres.halt()
    down = pooled_client.get("/")
    own_postgres.start()
    back = pooled_client.get("/")

    assert_friendly_503(down)
    assert len(unavailable_lines(caplog)) == 1
    assert_signed_in_page(back)


@pytest.mark.postgres
def test_a_restart_between_two_requests_costs_the_second_nothing(
    own_postgres, pooled_client, caplog
):
    own_postgres.halt()
    own_postgres.start()

    assert_signed_in_page(pooled_client.get("/"))
    assert unavailable_lines(caplog) == []


def prepared_statements(app):
    """The statements PostgreSQL holds prepared for the app's pooled connection."""
    with app.app_context(), db.engine.connect() as connection:
        # In autocommit: a ROLLBACK at the end would make psycopg drop them.
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        query = "SELECT statement FROM pg_prepared_statements"
        return connection.exec_driver_sql(query).scalars().all()


def holds_the_user_lookup(statements):
    return any("FROM users" in statement for statement in statements)


@pytest.mark.postgres
def test_the_user_lookup_stays_prepared_on_its_pooled_connection(
    own_postgres, signed_in_app
):
    client = signed_in_client(signed_in_app)
    # psycopg prepares a query the sixth time a connection runs it.
    before = [client.get("/").status_code for _ in range(6)]
    prepared = prepared_statements(signed_in_app)
    own_postgres.halt()
    own_postgres.start()
    after = [client.get("/").status_code for _ in range(6)]

    assert before == after == [200] * 6
    assert holds_the_user_lookup(prepared)
    assert holds_the_user_lookup(prepared_statements(signed_in_app))


@pytest.mark.postgres
def test_the_health_check_says_ok_right_after_a_restart(own_postgres, signed_in_app):
    client = signed_in_app.test_client()
    assert client.get("/healthz").status_code == 200

    own_postgres.halt()
    own_postgres.start()
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json == {"status": "ok"}


@pytest.mark.postgres
def test_logout_works_while_postgresql_is_stopped(own_postgres, signed_in_app, caplog):
    client = signed_in_client(signed_in_app)
    # With the token of the page's logout form: CSRF is checked, as in production.
    home = client.get("/").text
    assert "You are logged in as" in home

    own_postgres.halt()
    try:
        response = client.post(
            "/auth/logout", data={"csrf_token": helpers.csrf_token(home)}
        )
    finally:
        own_postgres.start()

    assert_logged_out(signed_in_app, client, response)
    assert unavailable_lines(caplog) == []
    assert "You are not logged in" in client.get("/").text


@pytest.fixture
def impatient_app(postgres_url):
    """An app whose writes give up after 100 ms of waiting for a lock."""
    databases.prepare_database(postgres_url, users=[("test", "a password")])
    app = make_app(
        postgres_url,
        SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"options": "-c lock_timeout=100"}},
    )
    yield app
    with app.app_context():
        db.engine.dispose()


@contextlib.contextmanager
def user_row_locked(database_url):
    """Another connection holds the lock on the signed-in user's row."""
    with psycopg.connect(database_url) as other:
        other.execute("SELECT id FROM users WHERE id = 1 FOR UPDATE")
        yield
        other.rollback()


WRITES = {
    "sign out everywhere": ("/auth/sign-out-everywhere", {}),
    "change password": (
        "/auth/password",
        {
            "current_password": "a password",
            "password": "a new password",
            "confirm": "a new password",
        },
    ),
}


def post_while_locked(app, database_url, write):
    """A signed-in client's ``write``, sent while its user's row is locked,
    and the client."""
    client = signed_in_client(app)
    token = helpers.csrf_token(client.get("/auth/password").text)
    path, form = WRITES[write]
    with user_row_locked(database_url):
        response = client.post(path, data={**form, "csrf_token": token})
    return response, client


@pytest.mark.postgres
@pytest.mark.parametrize("write", WRITES)
def test_a_write_that_times_out_on_a_lock_gives_the_friendly_503(
    impatient_app, postgres_url, caplog, write
):
    response, client = post_while_locked(impatient_app, postgres_url, write)

    assert_friendly_503(response)
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    assert len(unavailable_lines(caplog)) == 1
    assert "lock timeout" in unavailable_lines(caplog)[0].getMessage()
    assert_signed_in_page(client.get("/"))


@pytest.mark.postgres
def test_the_error_page_comes_after_the_failed_transaction_is_rolled_back(
    impatient_app, postgres_url
):
    open_transactions = []

    def rendered(sender, template, context, **extra):
        open_transactions.append((template.name, db.session().in_transaction()))

    with template_rendered.connected_to(rendered, impatient_app):
        response, _ = post_while_locked(
            impatient_app, postgres_url, "sign out everywhere"
        )

    assert response.status_code == 503
    assert open_transactions[-1] == ("error.html", False)
