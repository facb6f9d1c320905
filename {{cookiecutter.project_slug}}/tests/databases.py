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

import psycopg
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
        tables = ", ".join(f'"{table}"' for table in db.metadata.sorted_tables)
        db.session.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY"))
    else:
        for table in db.metadata.sorted_tables:
            db.session.execute(table.delete())
    db.session.commit()


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
