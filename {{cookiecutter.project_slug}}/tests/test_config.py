"""Settings the app cannot run with stop it at start-up, naming the setting."""

import logging
import os
import site
import subprocess
import sys
from datetime import timedelta

import pytest

from {{ cookiecutter.package_name }} import create_app
from {{ cookiecutter.package_name }}.config import ConfigError

KEY = "k" * 32


@pytest.mark.parametrize(
    "setting",
    [
        {"PERMANENT_SESSION_LIFETIME": "a week"},
        {"PERMANENT_SESSION_LIFETIME": 0},
        {"SESSION_ABSOLUTE_LIFETIME": timedelta(seconds=-1)},
        {"SESSION_ABSOLUTE_LIFETIME": 10**400},
        {"LOG_LEVEL": "LOUD"},
        {"LOG_LEVEL": 20},
        {"PASSWORD_HASH_METHOD": "md5"},
        {"PASSWORD_HASH_METHOD": "scrypt:many"},
        {"MAX_CONTENT_LENGTH": "1 MB"},
        {"MAX_CONTENT_LENGTH": 0},
        {"SQLALCHEMY_ENGINE_OPTIONS": ["pool_size", 2]},
        {"LOGIN_FAILURE_WINDOW": float("nan")},
        {"SESSION_REFRESH_AFTER": 2},
    ],
    ids=repr,
)
def test_a_setting_the_app_cannot_run_with_is_refused_by_name(setting):
    (name,) = setting

    with pytest.raises(ConfigError, match=name):
        create_app({"SECRET_KEY": KEY, **setting})


def test_usable_settings_are_given_their_final_types(monkeypatch):
    monkeypatch.setenv("FLASK_PERMANENT_SESSION_LIFETIME", "3600")
    monkeypatch.setenv("FLASK_LOG_LEVEL", "warning")

    app = create_app({"SECRET_KEY": KEY})

    assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=1)
    assert app.config["LOG_LEVEL"] == "WARNING"
    assert app.logger.level == logging.WARNING


def flask(command, environment, folder):
    return subprocess.run(
        [sys.executable, "-m", "flask", *command],
        cwd=folder,
        env={
            **os.environ,
            "FLASK_APP": "{{ cookiecutter.package_name }}",
            "FLASK_SECRET_KEY": KEY,
            **environment,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("command", "environment", "message"),
    [
        (
            ["init-db"],
            {"DATABASE_URL": "mysql://app@db.example/app"},
            "DATABASE_URL uses 'mysql', which this app does not support.",
        ),
        (
            ["db", "upgrade"],
            {"FLASK_TRUSTED_PROXIES": "-1"},
            "TRUSTED_PROXIES must be the number of proxies in front of the app",
        ),
        (
            ["routes"],
            {"FLASK_SECRET_KEY": "short"},
            "SECRET_KEY is 5 bytes; use at least 32 random bytes",
        ),
        (
            ["routes"],
            {"FLASK_SECRET_KEY": "1" * 40},
            "SECRET_KEY must be a string, not int:",
        ),
        (
            ["init-db"],
            {"FLASK_SECRET_KEY_FALLBACKS": f"[{'2' * 40}]"},
            "a key in SECRET_KEY_FALLBACKS must be a string, not int:",
        ),
        (
            ["routes"],
            {"FLASK_SECRET_KEY": "true"},
            "SECRET_KEY must be a string, not bool:",
        ),
        (
            ["routes"],
            {"FLASK_SESSION_COOKIE_SECURE": "0"},
            "SESSION_COOKIE_SECURE is 0 outside debug and testing",
        ),
        (
            ["routes"],
            {"FLASK_SESSION_COOKIE_SECURE": ""},
            "SESSION_COOKIE_SECURE is '' outside debug and testing",
        ),
        (
            ["init-db"],
            {"FLASK_INSTANCE_PATH": "instance"},
            "FLASK_INSTANCE_PATH must be an absolute path, not 'instance'.",
        ),
        (
            ["init-db"],
            {"DATABASE_URL": f"sqlite:///{site.getsitepackages()[0]}/app.sqlite"},
            "The SQLite database",
        ),
    ],
    ids=[
        "database",
        "proxies",
        "session key",
        "numeric key",
        "numeric fallback",
        "boolean key",
        "secure flag 0",
        "secure flag empty",
        "instance path",
        "database place",
    ],
)
def test_flask_commands_print_only_the_refusal(tmp_path, command, environment, message):
    result = flask(command, environment, tmp_path)

    assert result.returncode != 0
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"Error: {message}")
    assert "Traceback" not in result.stdout + result.stderr
