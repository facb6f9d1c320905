"""The tests' databases: made ready by the app's migrations (SQLite once for
the whole run, then written afresh for each test; PostgreSQL emptied
between tests), and a throwaway PostgreSQL server on 127.0.0.1 and a free
port.

The server uses the programs of Debian's ``postgresql`` package. It
refuses to run as root, so under root (as in CI) it runs as the package's
``postgres`` user, in a folder that user owns. Everything it writes stays
in that folder, which goes when the server stops.
"""

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import NamedTuple

import psycopg
import psycopg.rows
import sqlalchemy as sa

import servers
from {{ cookiecutter.package_name }} import create_app
from {{ cookiecutter.package_name }}.db import db, init_db
from {{ cookiecutter.package_name }}.users import create_user

FAST_HASHES = "pbkdf2:sha256:1000"


def empty_tables():
    """Remove every row, in the app's context. A PostgreSQL database is
    shared by the whole test run; ids start again from 1."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text(f"TRUNCATE {quoted_tables()} RESTART IDENTITY"))
    else:
        for table in db.metadata.sorted_tables:
            db.session.execute(table.delete())
    db.session.commit()


def quoted_tables():
    """The app's tables, quoted and separated by commas, for one statement."""
    return ", ".join(f'"{table.name}"' for table in db.metadata.sorted_tables)


def prepare_database(url, users=()):
    """Migrate the database at ``url`` and empty it, as for a new deployment,
    then add ``users``, pairs of a name and a password."""
    app = create_app(
        {
            # Like flask init-db, this serves no one.
            "TESTING": True,
            "SECRET_KEY": "only used to prepare the database, never to sign",
            "SQLALCHEMY_DATABASE_URI": url,
            # Fast hashes: the scrypt default costs a tenth of a second each.
            "PASSWORD_HASH_METHOD": FAST_HASHES,
        }
    )
    with app.app_context():
        init_db()
        empty_tables()
        for username, password in users:
            create_user(username, password)
    # Close the connections now, while the server that they go to still runs.
    with app.app_context():
        db.engine.dispose()


class SavedState(NamedTuple):
    """A PostgreSQL database as :func:`prepare_database` left it."""

    revision: str
    #: The rows of each table that has any, oldest first, without their ids:
    #: only tables with an ``id`` column (the users) have rows by then.
    rows: dict[str, list[dict[str, object]]]


def save_state(url):
    """What the PostgreSQL database at ``url`` holds, to put back with
    :func:`restore_state`."""
    rows = {}
    with psycopg.connect(url, row_factory=psycopg.rows.dict_row) as connection:
        revision = connection.execute(
            "SELECT version_num FROM alembic_version"
        ).fetchone()["version_num"]
        for table in db.metadata.sorted_tables:
            found = connection.execute(f'SELECT * FROM "{table.name}"').fetchall()
            if found:
                # The ids come back from the restarted sequences, in order.
                found.sort(key=lambda row: row["id"])
                rows[table.name] = [
                    {column: row[column] for column in row if column != "id"}
                    for row in found
                ]
    return SavedState(revision, rows)


def restore_state(url, state):
    """Put the PostgreSQL database at ``url`` back as ``state``: empty its
    tables and add the saved rows, far quicker than migrating it again.

    Returns False, changing nothing, when a test of the migrations left
    the schema at another revision.
    """
    with psycopg.connect(url) as connection:
        try:
            found = connection.execute(
                "SELECT version_num FROM alembic_version"
            ).fetchone()
        except psycopg.errors.UndefinedTable:
            return False
        if found != (state.revision,):
            return False
        connection.execute(f"TRUNCATE {quoted_tables()} RESTART IDENTITY")
        for table, rows in state.rows.items():
            columns = ", ".join(f'"{column}"' for column in rows[0])
            values = ", ".join(f"%({column})s" for column in rows[0])
            connection.cursor().executemany(
                f'INSERT INTO "{table}" ({columns}) VALUES ({values})', rows
            )
    return True


def server_bin():
    """Where ``initdb`` and ``pg_ctl`` are; Debian keeps them out of PATH."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda path: int(Path(path).parts[-3]),
    )
    if found:
        return Path(found[-1]).parent
    return Path(
        servers.require("initdb", "REQUIRE_POSTGRES", package="postgresql")
    ).parent


class ThrowawayServer:
    """A PostgreSQL cluster made, started and removed by the tests.

    Durability is switched off: nothing it holds must survive a crash.
    """

    user = "app"

    def __init__(self):
        self.bin = server_bin()
        self.folder = Path(tempfile.mkdtemp(prefix="pg-"))
        self.data = self.folder / "data"
        self.port = servers.free_port()
        self.run_as = []
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
            self.run_as = ["runuser", "-u", "postgres", "--"]

    def pg(self, program, *args):
        subprocess.run(
            [*self.run_as, self.bin / program, *args],
            check=True,
            capture_output=True,
            text=True,
        )

    def start(self):
        """Make the cluster on first use, then start its server."""
        if not self.data.exists():
            self.pg(
                "initdb", "-D", self.data, "-A", "trust", "-U", self.user, "-E", "UTF8"
            )
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self.pg(
            "pg_ctl",
            "-D",
            self.data,
            "-o",
            options,
            "-l",
            self.folder / "log",
            "-w",
            "start",
        )
        return self

    def halt(self):
        """Stop the server, keeping its data, as an outage or a restart would."""
        if (self.data / "postmaster.pid").exists():
            self.pg("pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")

    def stop(self):
        self.halt()
        shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, database="postgres"):
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name):
        """A new, empty database on this server; returns its URL."""
        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)
