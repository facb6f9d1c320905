"""DATABASE_URL: the URLs platforms hand over work, the others stop the app."""

import sys

import pytest
import sqlalchemy as sa

import helpers
from {{ cookiecutter.package_name }} import create_app
from {{ cookiecutter.package_name }}.config import ConfigError, engine_url
from {{ cookiecutter.package_name }}.db import db


@pytest.mark.parametrize(
    "url",
    [
        "postgres://app:secret@db.example:5432/app",
        "postgresql://app:secret@db.example:5432/app",
        "postgresql+psycopg://app:secret@db.example:5432/app",
    ],
)
def test_platform_urls_reach_postgresql_through_psycopg_3(url):
    parsed = engine_url(url)

    assert parsed.drivername == "postgresql+psycopg"
    assert (parsed.host, parsed.database, parsed.password) == (
        "db.example",
        "app",
        "secret",
    )


def test_the_default_is_an_sqlite_file_in_the_instance_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app({"SECRET_KEY": "k" * 32, **helpers.SERVING_SETTINGS})

    url = app.config["SQLALCHEMY_DATABASE_URI"]

    assert url.drivername == "sqlite"
    assert url.database.startswith(app.instance_path)


def test_database_url_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'chosen.sqlite'}")

    app = create_app({"SECRET_KEY": "k" * 32, **helpers.SERVING_SETTINGS})

    assert app.config["SQLALCHEMY_DATABASE_URI"].database.endswith("chosen.sqlite")


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("mysql://app@db.example/app", "does not support"),
        ("not a url", "is not a database URL"),
        ("postgresql+psycopg2://app@db.example/app", "does not support"),
    ],
)
def test_an_unusable_url_is_refused_with_the_fix(url, says):
    with pytest.raises(ConfigError, match=says) as refused:
        create_app({"SECRET_KEY": "k" * 32, "SQLALCHEMY_DATABASE_URI": url})

    assert "DATABASE_URL" in refused.value.message


def test_a_missing_driver_is_refused_with_the_fix(monkeypatch):
    # As if the postgres extra had not been installed.
    monkeypatch.setitem(sys.modules, "psycopg", None)

    with pytest.raises(ConfigError, match=r"pip install '\.\[postgres\]'"):
        engine_url("postgres://app@db.example/app")


def test_sqlite_is_set_up_for_several_workers(app):
    with app.app_context():
        connection = db.session.connection()
        settings = {
            name: connection.execute(sa.text(f"PRAGMA {name}")).scalar()
            for name in ("journal_mode", "busy_timeout", "foreign_keys")
        }

    assert settings == {"journal_mode": "wal", "busy_timeout": 5000, "foreign_keys": 1}
