"""The deployments docs/deploy.md describes: a Procfile platform and systemd units.

The Procfile's processes run here as a platform runs them: from another
folder, with no ``.env``, given ``PORT`` and the settings. The systemd
units are checked by ``systemd-analyze verify`` (Debian: ``apt-get
install systemd``), with a folder of the test's in place of the
checkout they expect, whose ``.venv`` is the environment running these
tests.
"""

import contextlib
import glob
import os
import shutil
import sqlite3
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

import helpers
import servers

PROJECT = Path(__file__).resolve().parent.parent
UNITS = PROJECT / "deploy" / "systemd"
SLUG = "{{ cookiecutter.project_slug }}"
# Where the units expect the project's checkout in production.
SAMPLE_ROOT = f"/srv/{SLUG}"
# Where Debian's nginx package puts its unit, which the drop-in extends.
NGINX_UNITS = [
    "/lib/systemd/system/nginx.service",
    "/usr/lib/systemd/system/nginx.service",
]


def procfile():
    """The Procfile's processes, by name."""
    lines = (PROJECT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines)


def platform_env(tmp_path, **settings):
    """What a platform hands each process: the settings, and no ``.env``."""
    programs = Path(sys.executable).parent
    return {
        "PATH": f"{programs}{os.pathsep}{os.environ['PATH']}",
        "FLASK_SECRET_KEY": helpers.TEST_SECRET_KEY,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'app.sqlite'}",
        **helpers.environment_of(
            {**helpers.MAIL_SETTINGS, "TRUSTED_HOSTS": servers.SERVED_HOSTS}
        ),
        **settings,
    }


def test_the_deployment_docs_show_the_procfile_as_it_is():
    docs = (PROJECT / "docs" / "deploy.md").read_text()

    assert f"```\n{(PROJECT / 'Procfile').read_text()}```" in docs


@pytest.mark.slow
def test_the_procfile_release_process_migrates_the_database(tmp_path):
    result = subprocess.run(
        procfile()["release"],
        shell=True,
        cwd=tmp_path,
        env={**os.environ, **platform_env(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    with contextlib.closing(sqlite3.connect(tmp_path / "app.sqlite")) as database:
        tables = {
            name
            for (name,) in database.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
            )
        }
    assert {"alembic_version", "users"} <= tables


@pytest.mark.slow
def test_the_procfile_web_process_serves_on_the_platforms_port(tmp_path):
    web = procfile()["web"]
    port = servers.free_port()
    # The platform routes to the container's address; the tests serve on
    # loopback alone. gunicorn's control socket goes in $HOME.
    command = ["bash", "-c", web.replace("--bind 0.0.0.0:", "--bind 127.0.0.1:")]
    env = platform_env(tmp_path, PORT=str(port), HOME=str(tmp_path))

    with (
        servers.Server(command, port, tmp_path / "web.log", env),
        urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz") as response,
    ):
        status = response.status

    assert "--bind 0.0.0.0:$PORT" in web
    assert status == 200


def systemd_analyze():
    return servers.require("systemd-analyze", "REQUIRE_SYSTEMD", package="systemd")


def verify(program, unit):
    """``systemd-analyze verify``'s exit code and everything it printed."""
    result = subprocess.run(
        [program, "verify", unit], capture_output=True, text=True, timeout=60
    )
    return result.returncode, result.stdout + result.stderr


@pytest.fixture
def units(tmp_path):
    """The units, pointing at a checkout whose ``.venv`` runs these tests."""
    checkout = tmp_path / "srv"
    (checkout / ".venv").mkdir(parents=True)
    (checkout / ".venv" / "bin").symlink_to(Path(sys.executable).parent)
    folder = tmp_path / "units"
    shutil.copytree(UNITS, folder)
    for path in folder.glob("*.service"):
        text = path.read_text()
        assert SAMPLE_ROOT in text, path
        path.write_text(text.replace(SAMPLE_ROOT, str(checkout)))
    return folder


@pytest.mark.parametrize("unit", [f"{SLUG}@8001.service", f"{SLUG}-migrate.service"])
def test_the_app_units_pass_systemd_analyze_verify(unit, units):
    program = systemd_analyze()

    assert verify(program, units / unit) == (0, "")


def test_the_nginx_drop_in_passes_systemd_analyze_verify(units, tmp_path):
    program = systemd_analyze()
    nginx_unit = next(filter(os.path.exists, NGINX_UNITS), None)
    if nginx_unit is None:
        servers.missing("nginx.service is not installed", ["nginx"], "REQUIRE_SYSTEMD")
    shutil.copy(nginx_unit, units)
    # The same check, given a drop-in with a mistake, must see it.
    broken = tmp_path / "broken"
    shutil.copytree(units, broken)
    (drop_in,) = glob.glob(str(broken / "nginx.service.d" / "*.conf"))
    Path(drop_in).write_text(Path(drop_in).read_text() + "EnvironmentFiles=/x\n")

    assert verify(program, units / "nginx.service") == (0, "")
    assert "EnvironmentFiles" in verify(program, broken / "nginx.service")[1]
