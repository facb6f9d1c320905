from datetime import timedelta

import pytest

import helpers
from {{ cookiecutter.package_name }} import create_app
from {{ cookiecutter.package_name }}.config import ConfigError
from {{ cookiecutter.package_name }}.sessions import (
    SignedCookieSessionInterface,
)


def test_testing_flag_comes_from_test_config(app):
    production = {"SECRET_KEY": "x" * 32, **helpers.SERVING_SETTINGS}
    assert not create_app(production).testing
    assert app.testing


def test_refuses_to_start_without_a_secret_key(monkeypatch):
    monkeypatch.delenv("FLASK_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="FLASK_SECRET_KEY"):
        create_app({"SECRET_KEY": None})


def test_refuses_a_string_as_key_fallbacks():
    with pytest.raises(ConfigError, match="must be a list"):
        create_app({"SECRET_KEY": "x" * 32, "SECRET_KEY_FALLBACKS": "old-key"})


def test_reads_prefixed_environment_variables(monkeypatch):
    monkeypatch.setenv("FLASK_SECRET_KEY", "a key from the environment, 32+ bytes")
    monkeypatch.setenv("FLASK_SESSION_ABSOLUTE_LIFETIME", "600")
    for name, value in helpers.environment_of(helpers.SERVING_SETTINGS).items():
        monkeypatch.setenv(name, value)

    app = create_app()

    assert app.secret_key == "a key from the environment, 32+ bytes"
    assert app.config["SESSION_ABSOLUTE_LIFETIME"] == timedelta(seconds=600)


def test_test_config_overrides_the_environment(monkeypatch):
    monkeypatch.setenv("FLASK_SECRET_KEY", "a key from the environment, 32+ bytes")

    app = create_app(
        {
            "SECRET_KEY": "a key from the test config, 32+ bytes",
            **helpers.SERVING_SETTINGS,
        }
    )

    assert app.secret_key == "a key from the test config, 32+ bytes"


def test_uses_the_signed_json_session_interface(app):
    assert isinstance(app.session_interface, SignedCookieSessionInterface)
