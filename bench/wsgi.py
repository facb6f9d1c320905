"""The baked app with two routes to load-test, for gunicorn and the test client.

``BENCH_SECRET_KEY`` must be set, and the baked project's ``src`` folder
must be importable (``PYTHONPATH``); ``BENCH_PACKAGE`` names its package.
"""

import importlib
import os
import tempfile

from flask import session


def add_bench_routes(app):
    """One route that writes the session, and one that never uses it."""

    @app.get("/bench/write")
    def bench_write():
        session["visits"] = session.get("visits", 0) + 1
        return "written"

    @app.get("/bench/plain")
    def bench_plain():
        return "plain"

    return app


def create_bench_app(package, secret_key):
    create_app = importlib.import_module(package).create_app
    app = create_app(
        {
            "SECRET_KEY": secret_key,
            # The bench routes never reach the database, but the app wants one.
            "SQLALCHEMY_DATABASE_URI": "sqlite:///"
            + os.path.join(tempfile.gettempdir(), "bench-unused.sqlite"),
        }
    )
    return add_bench_routes(app)


if "BENCH_SECRET_KEY" in os.environ:
    app = create_bench_app(os.environ["BENCH_PACKAGE"], os.environ["BENCH_SECRET_KEY"])
