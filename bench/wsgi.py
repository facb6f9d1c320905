"""The baked app with the routes the benchmark loads, for gunicorn and the test client.

``BENCH_SECRET_KEY`` must be set, and the baked project's ``src`` folder
must be importable (``PYTHONPATH``); ``BENCH_PACKAGE`` names its package,
and ``BENCH_DATABASE_URL``, when set, the database the app uses.
"""

import importlib
import os
import tempfile

from flask import g, session
from markupsafe import escape


def add_bench_routes(app):
    """A route that writes the session, one that never uses it, and a page."""

    @app.get("/bench/write")
    def bench_write():
        session["visits"] = session.get("visits", 0) + 1
        return "written"

    @app.get("/bench/plain")
    def bench_plain():
        return "plain"

    @app.get("/bench/page")
    def bench_page():
        """The least a page for a visitor does: say who is signed in, if anyone.

        The app has already read the session and, for a login, looked the
        user up to check the session's epoch; this is all the rest.
        """
        name = g.user.username if g.user else "stranger"
        return f"Hello, {escape(name)}."

    return app


def create_bench_app(package, secret_key, database_url=None):
    create_app = importlib.import_module(package).create_app
    app = create_app(
        {
            "SECRET_KEY": secret_key,
            # The hosts of the test client and of gunicorn on loopback.
            "TRUSTED_HOSTS": ["localhost", "127.0.0.1"],
            # Serving needs a mail server; no route of the benchmark sends mail.
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_DEFAULT_SENDER": "no-reply@localhost",
            # Routes that never reach the database still need one configured.
            "SQLALCHEMY_DATABASE_URI": database_url
            or "sqlite:///"
            + os.path.join(tempfile.gettempdir(), "bench-unused.sqlite"),
        }
    )
    return add_bench_routes(app)


if "BENCH_SECRET_KEY" in os.environ:
    app = create_bench_app(
        os.environ["BENCH_PACKAGE"],
        os.environ["BENCH_SECRET_KEY"],
        os.environ.get("BENCH_DATABASE_URL"),
    )
