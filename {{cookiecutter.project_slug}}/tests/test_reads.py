"""The per-request reads: one row, SQLAlchemy's errors, one more try after a drop."""

import psycopg
import pytest
import sqlalchemy as sa

from {{ cookiecutter.package_name }}.db import db
from {{ cookiecutter.package_name }}.reads import read_row
from {{ cookiecutter.package_name }}.users import CurrentUser, get_current_user


@pytest.fixture
def database_url(each_database_url):
    """The reads take each database's own path, so they run on both."""
    return each_database_url


@pytest.fixture
def checkouts(app):
    """The connections taken from the pool, in order; the test may drop them."""
    taken = []

    def take(dbapi_connection, record, proxy):
        taken.append(dbapi_connection)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "checkout", take)
    yield taken
    sa.event.remove(engine, "checkout", take)


def test_the_current_user_is_plain_values(app):
    with app.app_context():
        user = get_current_user(1)

    assert user == CurrentUser(id=1, username="test", epoch=0, pending_email=None)


def test_an_unknown_user_is_none(app):
    with app.app_context():
        assert get_current_user(99) is None


def test_a_failed_read_raises_sqlalchemys_error_and_is_not_tried_again(app, checkouts):
    missing_table = sa.text("SELECT id FROM no_such_table")

    with app.app_context(), pytest.raises(sa.exc.DBAPIError) as failure:
        read_row(missing_table, {})

    assert not failure.value.connection_invalidated
    assert len(checkouts) == 1


def drop(dbapi_connection, database_url):
    """End a pooled connection from the database's side, as a restart does."""
    if database_url.startswith("sqlite"):
        dbapi_connection.close()
        return
    # From a connection outside the pool. Waits up to 5 s until the server
    # process that serves the pooled connection has gone.
    with psycopg.connect(database_url, autocommit=True) as other:
        pid = dbapi_connection.info.backend_pid
        terminate = "SELECT pg_terminate_backend(%s, 5000)"
        assert other.execute(terminate, (pid,)).fetchone() == (True,)


def test_a_read_on_a_dropped_connection_is_tried_again_on_a_fresh_one(
    app, checkouts, database_url
):
    with app.app_context():
        get_current_user(1)
        dropped = checkouts[-1]
        drop(dropped, database_url)

        user = get_current_user(1)

    assert user.username == "test"
    assert checkouts[-1] is not dropped


def test_a_read_succeeds_when_every_pooled_connection_was_dropped(
    app, checkouts, database_url
):
    with app.app_context():
        # Two connections at once, so that both then wait in the pool.
        with db.engine.connect(), db.engine.connect():
            pass
        assert len(checkouts) == 2
        for connection in checkouts:
            drop(connection, database_url)

        user = get_current_user(1)

    assert user.username == "test"
