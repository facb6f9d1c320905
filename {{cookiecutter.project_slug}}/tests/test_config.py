"""Settings the app cannot run with stop it at start-up, naming the setting."""

import logging
import site
import subprocess
from datetime import timedelta

import pytest

import helpers
import servers
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

    app = create_app({"SECRET_KEY": KEY, **helpers.SERVING_SETTINGS})

    assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=1)
    assert app.config["LOG_LEVEL"] == "WARNING"
    assert app.logger.level == logging.WARNING


def flask(command, environment, folder, monkeypatch, answers=None):
    environment = {"FLASK_SECRET_KEY": KEY, **environment}
    return helpers.flask_command(command, environment, folder, monkeypatch, answers)


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
def test_flask_commands_print_only_the_refusal(
    tmp_path, monkeypatch, command, environment, message
):
    result = flask(command, environment, tmp_path, monkeypatch)

    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"Error: {message}")
    assert result.stdout == ""


@pytest.mark.parametrize("mode", ["DEBUG", "TESTING"])
def test_debug_and_testing_are_refused_under_a_production_server(monkeypatch, mode):
    monkeypatch.setenv("SERVER_SOFTWARE", "gunicorn/23.0.0")

    with pytest.raises(ConfigError, match=f"{mode} is on under gunicorn/23.0.0"):
        create_app({"SECRET_KEY": KEY, mode: True})


@pytest.mark.parametrize("mode", ["DEBUG", "TESTING"])
def test_setup_commands_keep_working_in_debug_and_testing(tmp_path, monkeypatch, mode):
    # What a production server sets in its environment does not reach them.
    environment = {
        f"FLASK_{mode}": "true",
        "SERVER_SOFTWARE": "gunicorn/23.0.0",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'app.sqlite'}",
    }

    result = flask(["init-db"], environment, tmp_path, monkeypatch)

    assert result.exit_code == 0, result.output
    assert "is up to date" in result.stdout


def refusal(tmp_path, database_url, settings, *options, server=servers.gunicorn):
    """Start ``server`` with ``settings``; return its output once it has stopped."""
    server = server(servers.free_port(), settings, tmp_path / "log")
    server.env["DATABASE_URL"] = database_url
    command = [*server.command[:-1], *options, server.command[-1]]
    finished = subprocess.run(
        command, env=server.env, capture_output=True, text=True, timeout=60
    )
    assert finished.returncode != 0
    return finished.stdout + finished.stderr


@pytest.mark.slow
@pytest.mark.parametrize("options", [[], ["--preload"]], ids=["workers", "preload"])
@pytest.mark.parametrize("mode", ["DEBUG", "TESTING"])
def test_gunicorn_refuses_to_serve_in_debug_and_testing(
    tmp_path, database_url, mode, options
):
    settings = {"SECRET_KEY": KEY, mode: True}

    output = refusal(tmp_path, database_url, settings, *options)

    (line,) = [line for line in output.splitlines() if "CRITICAL" in line]
    assert f"Refused to start: {mode} is on under gunicorn/" in line
    assert KEY not in output


@pytest.mark.slow
def test_flask_run_serves_in_debug_mode(tmp_path, database_url):
    port = servers.free_port()
    settings = {"SECRET_KEY": KEY, "DEBUG": True}
    server = servers.flask_run(port, settings, tmp_path / "log")
    server.env["DATABASE_URL"] = database_url

    with server:
        page = servers.Visitor(port).get("/healthz")

    assert page.status == 200
    assert "Debug mode: on" in server.log_path.read_text()


NO_TRUSTED_HOSTS = "TRUSTED_HOSTS is not set, so the app would answer requests"


def test_an_app_built_to_serve_needs_trusted_hosts():
    with pytest.raises(ConfigError, match=NO_TRUSTED_HOSTS):
        create_app({"SECRET_KEY": KEY})


@pytest.mark.parametrize("hosts", [None, '["example.com"]'], ids=["unset", "set"])
@pytest.mark.parametrize("mode", ["DEBUG", "TESTING"])
def test_debug_and_testing_need_no_trusted_hosts(monkeypatch, mode, hosts):
    if hosts is not None:
        monkeypatch.setenv("FLASK_TRUSTED_HOSTS", hosts)

    app = create_app({"SECRET_KEY": KEY, mode: True})

    assert app.config[mode] is True


@pytest.mark.slow
@pytest.mark.parametrize("options", [[], ["--preload"]], ids=["workers", "preload"])
def test_gunicorn_refuses_to_serve_without_trusted_hosts(
    tmp_path, database_url, options
):
    settings = {"SECRET_KEY": KEY, "TRUSTED_HOSTS": None}

    output = refusal(tmp_path, database_url, settings, *options)

    (line,) = [line for line in output.splitlines() if "CRITICAL" in line]
    assert f"Refused to start: {NO_TRUSTED_HOSTS}" in line
    assert "FLASK_TRUSTED_HOSTS" in line


# In a process of its own: were it not refused, it would serve until stopped.
@pytest.mark.slow
def test_flask_run_refuses_to_serve_without_trusted_hosts(tmp_path, database_url):
    settings = {"SECRET_KEY": KEY, "TRUSTED_HOSTS": None}

    output = refusal(tmp_path, database_url, settings, server=servers.flask_run)

    (line,) = output.splitlines()
    assert line.startswith(f"Error: {NO_TRUSTED_HOSTS}")


# The README's commands that prepare a checkout, with only the key set.
SETUP_COMMANDS = [
    pytest.param(["init-db"], None, id="init-db"),
    pytest.param(["db", "upgrade"], None, id="db upgrade"),
    pytest.param(["create-user", "demo"], "a password\na password\n", id="create-user"),
    pytest.param(["session", "new-key"], None, id="session new-key"),
    pytest.param(["routes"], None, id="routes"),
]


@pytest.mark.parametrize(("command", "answers"), SETUP_COMMANDS)
def test_setup_commands_need_no_trusted_hosts(tmp_path, monkeypatch, command, answers):
    environment = {"DATABASE_URL": f"sqlite:///{tmp_path / 'app.sqlite'}"}
    assert flask(["init-db"], environment, tmp_path, monkeypatch).exit_code == 0

    result = flask(command, environment, tmp_path, monkeypatch, answers)

    assert result.exit_code == 0, result.output
    assert "TRUSTED_HOSTS" not in result.output
