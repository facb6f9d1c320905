import sqlite3

import pytest

from {{ cookiecutter.package_name }}.db import get_db
from {{ cookiecutter.package_name }}.users import get_user_by_name


def test_get_db_returns_one_connection_per_context(app):
    with app.app_context():
        db = get_db()
        assert db is get_db()

    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        db.execute("SELECT 1")


def test_init_db_keeps_existing_users(runner, app):
    result = runner.invoke(args=["init-db"])

    assert "Initialized" in result.output
    with app.app_context():
        assert get_user_by_name("test") is not None


def test_create_user_with_password_option(runner, app):
    result = runner.invoke(args=["create-user", "alice", "--password", "long enough"])

    assert result.exit_code == 0, result.output
    with app.app_context():
        assert get_user_by_name("alice") is not None


def test_create_user_prompts_for_the_password_twice(runner, app):
    result = runner.invoke(args=["create-user", "bob"], input="long enough\n" * 2)

    assert result.exit_code == 0, result.output
    assert "Repeat for confirmation" in result.output
    with app.app_context():
        assert get_user_by_name("bob") is not None


def test_create_user_refuses_a_taken_name(runner):
    result = runner.invoke(args=["create-user", "test", "--password", "long enough"])

    assert result.exit_code == 1
    assert "already taken" in result.output


def test_create_user_refuses_a_short_password(runner, app):
    result = runner.invoke(args=["create-user", "carol", "--password", "short"])

    assert result.exit_code == 2
    assert "at least 8 characters" in result.output
    with app.app_context():
        assert get_user_by_name("carol") is None


@pytest.mark.parametrize("username", ["a b", "alice\n", "x" * 65])
def test_create_user_refuses_a_name_the_form_would_refuse(runner, app, username):
    result = runner.invoke(args=["create-user", username, "--password", "long enough"])

    assert result.exit_code == 2
    assert "letters, digits" in result.output
    with app.app_context():
        assert get_user_by_name(username) is None
