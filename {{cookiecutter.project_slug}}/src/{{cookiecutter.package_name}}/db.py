"""The database: SQLAlchemy for the models, Alembic for the schema, init-db.

One setting picks the database: ``SQLALCHEMY_DATABASE_URI``, which
``config.py`` takes from ``DATABASE_URL`` in the environment, as hosting
platforms hand it over, and checks. Without it the app uses an SQLite
file in the instance folder, so that a new checkout runs with no server
at all.
"""

import contextlib
import os
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import with_appcontext
from flask_migrate import Migrate, upgrade
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase

# Inside the package, so that an installed wheel carries its migrations
# and ``flask db`` finds them from any working directory.
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class Base(DeclarativeBase):
    """The models' base. Named constraints let later migrations drop them."""

    metadata = sa.MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


db = SQLAlchemy(model_class=Base)
migrate = Migrate(directory=str(MIGRATIONS))


# Older than this, a pooled PostgreSQL connection is replaced before use:
# load balancers and proxies drop connections that sit idle (Azure's after
# 4 minutes, AWS's network load balancer after 350 s), often without a word.
POOL_RECYCLE_SECONDS = 180


def engine_options(url, configured):
    """Engine settings for ``url``'s database, under what the config says.

    PostgreSQL connections are pooled and replaced before they grow old.
    No liveness query runs before each use, which would cost a round trip
    per request: a connection that a restarted server has dropped fails at
    its next query. The user lookup, the first query of a request, then
    empties the pool and tries again (see ``reads.py``).
    """
    if url.drivername == "sqlite":
        return configured
    return {"pool_recycle": POOL_RECYCLE_SECONDS, **configured}


def configure_sqlite(dbapi_connection, connection_record):
    """Settings SQLite needs when several workers share one file.

    WAL lets readers go on while one worker writes. With WAL,
    ``synchronous = NORMAL`` still keeps the file whole through any
    crash; a power cut or a system crash can undo the last commits, and
    in exchange a commit no longer waits for the disk (a failed login
    commits three times). The busy timeout makes a writer wait its turn instead
    of failing at once; and SQLite checks foreign keys only when asked.
    """
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA busy_timeout = 5000")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def create_private_file(path):
    """Create the SQLite file at ``path`` for its owner alone, unless it exists.

    It holds the password hashes, and SQLite would create it readable by
    everyone (0644 under the usual umask). SQLite keeps the mode it finds,
    and gives its ``-wal`` and ``-shm`` files the same.
    """
    # Failing when it exists; or SQLite, opening it next, says what is wrong.
    with contextlib.suppress(OSError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def init_db():
    """Bring the database's schema up to date, creating it if it is new."""
    upgrade()


@click.command("init-db")
@with_appcontext
def init_db_command():
    """Create the database, or bring it up to date; existing data is kept."""
    init_db()
    url = db.engine.url.render_as_string(hide_password=True)
    click.echo(f"The database at {url} is up to date.")


def init_app(app):
    # Already a URL with this app's driver for its scheme: see config.py.
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(
        url, app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {})
    )
    db.init_app(app)
    migrate.init_app(app, db)
    if url.drivername == "sqlite":
        with app.app_context():
            sa.event.listen(db.engine, "connect", configure_sqlite)
            # Before every connection to a file (not memory, nor a URI that
            # SQLite reads): the first one creates it, the rest cost one
            # failed open each, and connections are pooled.
            if url.database not in (None, "", ":memory:") and not url.query.get("uri"):
                sa.event.listen(
                    db.engine,
                    "do_connect",
                    lambda *connect_args: create_private_file(url.database),
                )
    app.cli.add_command(init_db_command)
