"""The suite's fixtures: apps on a test database, their clients, ``auth``, a browser.

Plain helpers are in ``helpers.py``.
"""

import os

import pytest

import browsers
import databases
import helpers
import servers
from {{ cookiecutter.package_name }} import create_app
from {{ cookiecutter.package_name }}.db import db


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
def database_url(tmp_path):
    """The app's database: a new SQLite file for each test."""
    return f"sqlite:///{tmp_path / 'test.sqlite'}"


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def each_database_url(request, tmp_path):
    """SQLite, then PostgreSQL: for modules whose tests must hold on both.

    Such a module makes it its ``database_url``.
    """
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def build_app(database_url):
    """Build apps on the test database: the test settings, then ``settings``.

    For the settings the factory itself reads, such as ``DEBUG``.
    """
    users = [("test", helpers.TEST_PASSWORD), ("other", helpers.TEST_PASSWORD)]
    databases.prepare_database(database_url, users)
    apps = []

    def make(**settings):
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": helpers.TEST_SECRET_KEY,
                "SQLALCHEMY_DATABASE_URI": database_url,
                "WTF_CSRF_ENABLED": False,
                "PASSWORD_HASH_METHOD": databases.FAST_HASHES,
                **settings,
            }
        )
        apps.append(app)
        return app

    yield make
    # Close the pooled connections now, not whenever the apps are collected.
    for app in apps:
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
