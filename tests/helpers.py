"""Plain helpers the template's tests share: commands, servers, a browser.

The fixtures are in ``conftest.py``, which is not meant to be imported.
"""

import contextlib
import glob
import http.cookiejar
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

TEMPLATE = Path(__file__).resolve().parent.parent
CSRF_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def readme_command(readme, lead_in):
    """The command in the first ```sh block after the line containing ``lead_in``."""
    text = Path(readme).read_text()
    match = re.search(re.escape(lead_in) + r".*?```sh\n(.+?)\n```", text, re.S)
    assert match, f"no command after {lead_in!r} in {readme}"
    return match.group(1)


def run(command, cwd, env=None, timeout=900, shell=False, input=None):
    """Run a command, returning its result; output is kept for assertion messages."""
    return subprocess.run(
        command,
        cwd=cwd,
        input=input,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        shell=shell,
        executable="/bin/bash" if shell else None,
    )


class Background:
    """A command that runs while the tests go on; ``result()`` waits for it.

    Its output goes to the file ``log``, which nothing has to read while
    the command runs.
    """

    def __init__(self, command, cwd, log, shell=False):
        self.log = Path(log)
        with self.log.open("w") as output:
            self.process = subprocess.Popen(
                command,
                cwd=cwd,
                stdout=output,
                stderr=subprocess.STDOUT,
                shell=shell,
                executable="/bin/bash" if shell else None,
                # A session of its own, so that stop() reaches its children.
                start_new_session=True,
            )

    def result(self, timeout=1800):
        """The finished command, with its output (both streams) as ``stdout``."""
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            raise
        return subprocess.CompletedProcess(
            self.process.args, self.process.returncode, self.log.read_text(), ""
        )

    def stop(self):
        """End the command and what it started, if it still runs."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def declared_pythons(pyproject_text):
    """The Python versions a pyproject.toml declares in its classifiers, in order."""
    return re.findall(r'"Programming Language :: Python :: (3\.\d+)"', pyproject_text)


# The baked suite runs under the oldest and the newest Python the baked
# project declares, where the machine has them. Each run costs the two cores
# half a minute; the ones between are left to the baked workflow's matrix.
DECLARED_PYTHONS = declared_pythons(
    (TEMPLATE / "{{cookiecutter.project_slug}}" / "pyproject.toml").read_text()
)
TESTED_PYTHONS = [DECLARED_PYTHONS[0], DECLARED_PYTHONS[-1]]


def python_version(python):
    """The version of the interpreter ``python`` as "3.x", or None if it fails."""
    probe = run(
        [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], "/"
    )
    return probe.stdout.strip() if probe.returncode == 0 else None


def python_named(version):
    """An interpreter for ``version`` that runs, from PATH or from pyenv, or None."""
    pyenv_root = os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")
    candidates = [shutil.which(f"python{version}")] + sorted(
        glob.glob(f"{pyenv_root}/versions/{version}.*/bin/python{version}")
    )
    for candidate in filter(None, candidates):
        if python_version(candidate) == version:
            return candidate
    return None


def suite_command(python, project, *options):
    """A command that runs a baked project's tests with ``python``, from
    its source tree: the quick part, or all of them with ``--all``."""
    pytest_command = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    # Absolute, for the tests that start Python in another folder.
    return shlex.join(
        [
            "env",
            f"PYTHONPATH={Path(project, 'src')}",
            *map(str, pytest_command),
            *options,
        ]
    )


def run_suite(python, project, *options):
    return run(suite_command(python, project, *options), cwd=project, shell=True)


def quick_suite_command(python, project, folder):
    """A command that makes a virtual environment with ``python`` in
    ``folder``, installs ``project`` in it and runs its quick tests."""
    venv = folder / "venv"
    # The tests' own extra: no browser, no tools for the checks before a
    # commit. Left uncompiled, the installed modules are compiled as the
    # tests import them: most never are.
    install = [venv / "bin" / "pip", "install", "-q", "--no-compile", "-e", ".[test]"]
    return " && ".join(
        [
            shlex.join([python, "-m", "venv", str(venv)]),
            shlex.join(map(str, install)),
            suite_command(venv / "bin" / "python", project),
        ]
    )


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def serving(command, cwd, port, env=None, shell=False):
    """Start a server, yield its process once the port answers, then stop it.

    What the server prints is in ``process.log``, a file.
    """
    with tempfile.TemporaryFile(mode="w+") as log:
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env={**os.environ, **(env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
            shell=shell,
            executable="/bin/bash" if shell else None,
            start_new_session=True,
        )
        process.log = log
        try:
            wait_for_port(port, process)
            yield process
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def wait_for_port(port, process, seconds=300):
    deadline = time.monotonic() + seconds
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.log.seek(0)
                pytest.fail(f"the server did not start:\n{process.log.read()[-3000:]}")
            time.sleep(0.2)


def wait_for_log(process, pattern, seconds=30):
    """The first match of ``pattern`` in what a :func:`serving` process
    printed, once it has printed it."""
    deadline = time.monotonic() + seconds
    while True:
        process.log.seek(0)
        match = re.search(pattern, process.log.read())
        if match:
            return match
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"the server never printed {pattern!r}")
        time.sleep(0.2)


class Browser:
    """Just enough of a browser: cookies, redirects and form tokens, over HTTP."""

    def __init__(self, base_url):
        self.base_url = base_url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path):
        with self.opener.open(self.base_url + path, timeout=30) as response:
            return response.read().decode()

    def submit(self, path, fields):
        """Fetch the form at ``path`` and post it back with its CSRF token."""
        token = CSRF_TOKEN.search(self.get(path))
        data = urllib.parse.urlencode({**fields, "csrf_token": token.group(1)})
        request = urllib.request.Request(self.base_url + path, data=data.encode())
        with self.opener.open(request, timeout=30) as response:
            return response.read().decode()
