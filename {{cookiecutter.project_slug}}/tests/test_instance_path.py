"""The instance folder: where FLASK_INSTANCE_PATH puts it, and where the data may not be.

An installed app's instance folder is inside its virtual environment by
default, and so is the SQLite database in it; the next install of the app
may replace that folder, so a served app refuses to keep its data there.
"""

import site
import sys
from pathlib import Path

import pytest

import helpers
from {{ cookiecutter.package_name }} import create_app
from {{ cookiecutter.package_name }}.config import ConfigError

KEY = "k" * 32
IN_A_VIRTUAL_ENVIRONMENT = sys.prefix != sys.base_prefix
PYTHON_ENVIRONMENT = [
    pytest.param(site.getsitepackages()[0], id="site-packages"),
    pytest.param(
        sys.prefix,
        id="virtual-environment",
        marks=pytest.mark.skipif(
            not IN_A_VIRTUAL_ENVIRONMENT, reason="not run in a virtual environment"
        ),
    ),
]


@pytest.fixture
def instance_folder(monkeypatch, tmp_path):
    """An instance folder that ``FLASK_INSTANCE_PATH`` names, not there yet."""
    folder = tmp_path / "instance"
    monkeypatch.setenv("FLASK_INSTANCE_PATH", str(folder))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return folder


def test_flask_instance_path_names_the_instance_folder(instance_folder):
    app = create_app({"SECRET_KEY": KEY, **helpers.SERVING_SETTINGS})

    assert app.instance_path == str(instance_folder)
    assert instance_folder.is_dir()


def test_settings_are_read_from_the_named_instance_folder(instance_folder):
    instance_folder.mkdir()
    (instance_folder / "config.py").write_text('INSTANCE_NAME = "moved"\n')

    app = create_app({"SECRET_KEY": KEY, **helpers.SERVING_SETTINGS})

    assert app.config["INSTANCE_NAME"] == "moved"


def test_the_default_database_follows_the_instance_folder(instance_folder):
    app = create_app({"SECRET_KEY": KEY, **helpers.SERVING_SETTINGS})

    database = app.config["SQLALCHEMY_DATABASE_URI"].database
    assert Path(database) == instance_folder / "app.sqlite"


def test_a_relative_instance_path_is_refused(monkeypatch):
    monkeypatch.setenv("FLASK_INSTANCE_PATH", "instance")

    with pytest.raises(ConfigError, match="FLASK_INSTANCE_PATH must be an absolute"):
        create_app({"SECRET_KEY": KEY})


@pytest.mark.parametrize("folder", PYTHON_ENVIRONMENT)
def test_a_database_inside_the_python_environment_is_refused(folder, instance_folder):
    url = f"sqlite:///{Path(folder, 'var', 'app.sqlite')}"

    with pytest.raises(ConfigError) as refused:
        create_app({"SECRET_KEY": KEY, "SQLALCHEMY_DATABASE_URI": url})

    assert "DATABASE_URL" in refused.value.message
    assert f"the instance folder is now {instance_folder}." in refused.value.message
    assert "\n" not in refused.value.message


@pytest.mark.parametrize("mode", ["DEBUG", "TESTING"])
@pytest.mark.parametrize("folder", PYTHON_ENVIRONMENT)
def test_debug_and_tests_may_keep_the_database_anywhere(folder, mode, instance_folder):
    path = Path(folder, "var", "app.sqlite")

    app = create_app(
        {"SECRET_KEY": KEY, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", mode: True}
    )

    assert Path(app.config["SQLALCHEMY_DATABASE_URI"].database) == path
    assert not path.exists()


def test_a_database_outside_the_python_environment_is_accepted(instance_folder):
    path = instance_folder.parent / "data" / "app.sqlite"

    app = create_app(
        {
            "SECRET_KEY": KEY,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            **helpers.SERVING_SETTINGS,
        }
    )

    assert Path(app.config["SQLALCHEMY_DATABASE_URI"].database) == path
