"""The suite's fixtures: apps on a test database, their clients, ``auth``, a browser.

A plain ``pytest`` runs the quick part of the suite, in one process. The
tests marked slow, browser, cluster, postgres or container need long runs,
other processes (gunicorn, Node), a browser, nginx, PostgreSQL or podman: ``pytest --all`` runs them too, and
``pytest -m MARK`` picks by mark. Plain helpers are in ``helpers.py``.
"""

import contextlib
import copy
import os
import sqlite3

import jinja2
import pytest

import browsers
import databases
import helpers
import mailboxes
import servers
from {{ cookiecutter.package_name }} import create_app
from {{ cookiecutter.package_name }}.db import db

OPT_IN_MARKS = {"slow", "browser", "cluster", "postgres", "container"}
USERS = [("test", helpers.TEST_PASSWORD), ("other", helpers.TEST_PASSWORD)]


def pytest_addoption(parser):
    parser.addoption(
        "--all",
        action="store_true",
        help="run every test, the ones with an opt-in mark too",
    )


def pytest_collection_modifyitems(config, items):
    """Leave the opt-in marks out, unless ``--all`` or ``-m`` chooses."""
    if config.getoption("--all") or config.getoption("markexpr"):
        return
    quick, opt_in = [], []
    for item in items:
        marks = {mark.name for mark in item.iter_markers()}
        (opt_in if marks & OPT_IN_MARKS else quick).append(item)
    if opt_in:
        config.hook.pytest_deselected(items=opt_in)
        items[:] = quick


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory):
    """An SQLite file migrated once for the whole run, with the test users."""
    path = tmp_path_factory.mktemp("migrated") / "test.sqlite"
    databases.prepare_database(f"sqlite:///{path}", USERS)
    return path


@pytest.fixture(scope="session")
def sqlite_path(tmp_path_factory):
    """Where every test's SQLite database is, at one path for the whole run,
    so that the apps built on it can serve test after test."""
    return tmp_path_factory.mktemp("database") / "test.sqlite"


@pytest.fixture
def sqlite_url(sqlite_path, migrated_sqlite):
    """The migrated database, written afresh over the last test's.

    SQLite's backup API writes it: it costs far less than the migrations,
    and, unlike copying the file, it takes SQLite's locks, so a
    connection a test left open sees the new database rather than a
    broken one.
    """
    with (
        contextlib.closing(sqlite3.connect(migrated_sqlite)) as source,
        contextlib.closing(sqlite3.connect(sqlite_path)) as target,
    ):
        # A test's database need not outlive a crash.
        target.execute("PRAGMA synchronous = OFF")
        source.backup(target)
    return f"sqlite:///{sqlite_path}"


@pytest.fixture(scope="session")
def postgres_url():
    """A PostgreSQL database the tests share and empty: ``TEST_DATABASE_URL``'s,
    or one on a throwaway server started for this test run."""
    if os.environ.get("TEST_DATABASE_URL"):
        yield os.environ["TEST_DATABASE_URL"]
        return
    server = databases.ThrowawayServer()
    try:
        yield server.start().create_database("tests")
    finally:
        server.stop()


@pytest.fixture
def database_url(sqlite_url):
    """The app's database: SQLite, migrated, with the test users."""
    return sqlite_url


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def each_database_url(request):
    """SQLite, then PostgreSQL, each with the test users: for modules whose
    tests must hold on both.

    Such a module makes it its ``database_url``. The PostgreSQL database
    is put back as it was first prepared for each test, and migrated
    again after a test of the migrations.
    """
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    url, state = request.getfixturevalue("prepared_postgres")
    if not databases.restore_state(url, state):
        databases.prepare_database(url, USERS)
    return url


@pytest.fixture(scope="session")
def prepared_postgres(postgres_url):
    """The PostgreSQL database migrated once, with the test users, and
    what it then held."""
    databases.prepare_database(postgres_url, USERS)
    return postgres_url, databases.save_state(postgres_url)


@pytest.fixture(scope="session")
def smtp_server():
    """A real SMTP server on 127.0.0.1 for the whole run, which every app
    the tests build sends its mail to."""
    server = mailboxes.SMTPServer().start()
    yield server
    server.stop()


@pytest.fixture
def mailbox(smtp_server):
    """What the SMTP server receives during one test."""
    smtp_server.mailbox.empty()
    return smtp_server.mailbox


@pytest.fixture(scope="session")
def compiled_templates(tmp_path_factory):
    """The Jinja templates compiled once, for every app the tests build."""
    return jinja2.FileSystemBytecodeCache(tmp_path_factory.mktemp("jinja"))


@pytest.fixture(scope="session")
def shared_apps():
    """The apps built so far, by their settings, for later tests to share.

    Building an app costs more than most tests that use it: Werkzeug
    compiles each URL rule, and SQLAlchemy each statement anew for each
    engine.
    """
    apps = {}
    yield apps
    for app in apps.values():
        close_connections(app)


@pytest.fixture
def build_app(database_url, compiled_templates, mailbox, smtp_server, shared_apps):
    """Build apps on the test database: the test settings, then ``settings``.

    For the settings the factory itself reads, such as ``DEBUG``. An app
    that an earlier test built with the same settings, in the same
    environment, serves again, as that test found it: its config and its
    ``extensions`` mapping (such as the teaching pages' count of key
    rotations) are put back after each test. ``shared=False``
    builds one for this test alone, for a test that adds routes or
    changes what the factory imports.
    """
    state_before = {}

    def make(shared=True, **settings):
        config = {
            "TESTING": True,
            "SECRET_KEY": helpers.TEST_SECRET_KEY,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "WTF_CSRF_ENABLED": False,
            "PASSWORD_HASH_METHOD": databases.FAST_HASHES,
            **smtp_server.settings,
            # Flask-Mail would only pretend to send in testing.
            "MAIL_SUPPRESS_SEND": False,
            **settings,
        }
        key = repr((sorted(config.items()), sorted(factory_environment().items())))
        app = shared_apps.get(key) if shared else None
        if app is None:
            app = create_app(config)
            app.jinja_env.bytecode_cache = compiled_templates
            if shared:
                shared_apps[key] = app
        if app not in state_before:
            state_before[app] = (copy.deepcopy(dict(app.config)), dict(app.extensions))
        return app

    yield make
    for app, (config, extensions) in state_before.items():
        app.config.clear()
        app.config.update(config)
        app.extensions.clear()
        app.extensions.update(extensions)
        close_connections(app)


def factory_environment():
    """What the factory may read of the environment: all but the variable
    pytest sets anew for each test."""
    return {
        name: value
        for name, value in os.environ.items()
        if name != "PYTEST_CURRENT_TEST"
    }


def close_connections(app):
    """Close the app's pooled connections now, not whenever it is collected,
    so that the next test's database can take the place of this one's."""
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def app(build_app):
    return build_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def auth(client):
    return helpers.AuthActions(client)


@pytest.fixture(scope="module")
def chromium():
    """The system's Chromium, driven by playwright, for a module of browser tests."""
    playwright = browsers.playwright_api()
    executable = servers.require("chromium", "REQUIRE_BROWSER")
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=executable, args=browsers.CHROMIUM_FLAGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    context = chromium.new_context(viewport={"width": 1000, "height": 800})
    yield context.new_page()
    context.close()
