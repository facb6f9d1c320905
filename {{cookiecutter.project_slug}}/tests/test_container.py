"""The Dockerfile's image and compose.yaml's services, built and run for real.

No registry is needed. Stand-ins for the two official images that
compose.yaml names, Python (the Dockerfile's ``PYTHON_IMAGE``) and
PostgreSQL (``POSTGRES_IMAGE``), are built from a Debian base made from
this machine's apt sources (``tests/containers/``). podman-compose then
builds the app's image and runs compose.yaml's services as it says, except
that they share one pod rather than a bridge network, so that the host gets
no firewall rules and only the 127.0.0.1 ports that compose.yaml publishes
(``tests/containers/in_pod.py``). The tests talk to them over those ports.
"""

import json
import re
import secrets
import shlex
import shutil
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import podman
import servers

pytestmark = pytest.mark.container

PROJECT = Path(__file__).resolve().parent.parent
STAND_INS = Path(__file__).resolve().parent / "containers"
PYTHON_STAND_IN = "localhost/python:stand-in"
POSTGRES_STAND_IN = "localhost/postgres:stand-in"
NAME = "containertest"
# compose.yaml's services, and the port the app listens on in its container.
DB, MIGRATE, WEB = "db", "migrate", "web"
APP_PORT = 8000
# A second instance of the app, in the same pod, listens on its own port.
SECOND_PORT = 8001
PASSWORD = "a password for the containers"
# The settings compose.yaml tells its readers to add to .env: the hosts, of
# which the image's health check and these tests ask for 127.0.0.1, and the
# mail server, which these tests never reach.
DOCUMENTED_SETTINGS = re.compile(r"^#   echo '(FLASK_[A-Z_]+=[^']*)' >> \.env$", re.M)
# What a checkout holds that must stay out of the image.
LOCAL_STATE = shutil.ignore_patterns(
    ".env",
    ".venv",
    ".git",
    "instance",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    ".hypothesis",
)


@pytest.fixture(scope="module")
def engine():
    """podman, removed with everything it made once the module's tests are done."""
    podman.require_podman()
    engine = podman.Podman()
    try:
        yield engine
    finally:
        engine.close()


@pytest.fixture(scope="module")
def stack(engine):
    """compose.yaml's services, up and ready."""
    stack = Stack(engine)
    stack.build()
    stack.up()
    return stack


class Stack:
    """compose.yaml's services, run by podman-compose in one pod.

    The project is a copy, with a ``.env`` of its own and, planted where a
    checkout keeps them, the things that must not reach the image.
    """

    def __init__(self, engine):
        self.engine = engine
        self.project = engine.folder / "project"
        shutil.copytree(PROJECT, self.project, ignore=LOCAL_STATE)
        settings = DOCUMENTED_SETTINGS.findall((PROJECT / "compose.yaml").read_text())
        (self.project / ".env").write_text(
            f"FLASK_SECRET_KEY={secrets.token_hex(32)}\n"
            f"POSTGRES_PASSWORD={secrets.token_hex(16)}\n"
            + "".join(f"{line}\n" for line in settings)
        )
        (self.project / ".venv").mkdir()
        (self.project / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
        (self.project / "src" / "instance").mkdir()
        (self.project / "src" / "instance" / "config.py").write_text("DEBUG = True\n")
        self.port = servers.free_port()
        self.second_port = servers.free_port()
        self.published = f"127.0.0.1:{self.port}:{APP_PORT}"
        wrapper = engine.folder / "podman-in-pod"
        wrapper.write_text(
            "#!/bin/sh\n"
            f"exec {shlex.quote(sys.executable)}"
            f' {shlex.quote(str(STAND_INS / "in_pod.py"))} "$@"\n'
        )
        wrapper.chmod(0o755)
        self.compose_command = [
            "podman-compose",
            f"--project-name={NAME}",
            f"--podman-path={wrapper}",
            "--podman-build-args=--format=docker --network=host",
        ]
        self.env = {
            **engine.env,
            "POSTGRES_IMAGE": POSTGRES_STAND_IN,
            "APP_PORT": str(self.port),
            "IN_POD": NAME,
            "IN_POD_PUBLISHES": self.published,
        }
        self.containers = {}

    def compose(self, *args):
        return podman.run(
            [*self.compose_command, *args], self.env, timeout=900, cwd=self.project
        )

    def container(self, service):
        labels = {
            "com.docker.compose.project": NAME,
            "com.docker.compose.service": service,
        }
        (name,) = self.engine.containers(**labels)
        return name

    def build(self):
        """Build the stand-ins, then the app's image as compose.yaml says.

        PostgreSQL's stand-in is built while the app's image is.
        """
        base = podman.debian_base(self.engine, "localhost/debian:base")
        with ThreadPoolExecutor() as pool:
            postgres = pool.submit(
                self.engine.build, STAND_INS / "postgres", POSTGRES_STAND_IN, BASE=base
            )
            self.engine.build(STAND_INS / "python", PYTHON_STAND_IN, BASE=base)
            self.compose("build", f"--build-arg=PYTHON_IMAGE={PYTHON_STAND_IN}", WEB)
            postgres.result()

    def up(self):
        """Start the services in stages, each once the one before is ready.

        podman-compose 1.0 ignores the conditions of ``depends_on``: what
        compose.yaml asks for, a healthy database before the migration and
        the app, is done here.
        """
        self.engine(
            "pod",
            "create",
            f"--name={NAME}",
            "--network=slirp4netns",
            f"--publish={self.published}",
            f"--publish=127.0.0.1:{self.second_port}:{SECOND_PORT}",
            f"--add-host={DB}:127.0.0.1",
        )
        self.compose("up", "--detach", DB)
        self.containers[DB] = self.container(DB)
        self.engine.wait_until_healthy(self.containers[DB])
        # The migration and the app, both from the image built before.
        self.compose("up", "--detach", WEB)
        for service in (MIGRATE, WEB):
            self.containers[service] = self.container(service)
        self.engine("wait", self.containers[MIGRATE], timeout=300)
        self.engine.wait_until_healthy(self.containers[WEB])
        # The same service once more, on another port, as a second instance.
        self.containers["second"] = f"{NAME}_second"
        self.compose(
            "run",
            "--detach",
            "-T",
            "--no-deps",
            f"--name={self.containers['second']}",
            f"--env=PORT={SECOND_PORT}",
            WEB,
        )
        self.engine.wait_until_healthy(self.containers["second"])


def register(visitor, username):
    fields = {
        "username": username,
        "email": f"{username}@example.com",
        "password": PASSWORD,
        "confirm": PASSWORD,
    }
    _, sent = visitor.submit("/auth/register", fields)
    assert sent.status == 302, sent.text


def log_in(visitor, username):
    """Log in; the page after."""
    fields = {"username": username, "password": PASSWORD}
    _, sent = visitor.submit("/auth/login", fields)
    assert sent.status == 302, sent.text
    return visitor.get(sent.location)


def signed_in_user(page):
    who = re.search(r'<span class="who">([^<]*)</span>', page.text)
    return who[1] if who else None


def test_the_migrate_service_brings_the_schema_up_to_date(engine, stack):
    migrate = stack.containers[MIGRATE]

    assert engine.inspect(migrate)["State"]["ExitCode"] == 0
    assert "is up to date" in engine.logs(migrate)


def test_healthz_answers_on_the_published_port(stack):
    url = f"http://127.0.0.1:{stack.port}/healthz"
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.status == 200
        assert json.load(response) == {"status": "ok"}


def test_a_visitor_registers_and_logs_in(stack):
    visitor = servers.Visitor(stack.port)
    register(visitor, "ada")

    page = log_in(visitor, "ada")

    assert signed_in_user(page) == "ada"


def test_a_second_app_container_knows_the_users_of_the_first(stack):
    register(servers.Visitor(stack.port), "grace")

    page = log_in(servers.Visitor(stack.second_port), "grace")

    assert signed_in_user(page) == "grace"


def test_a_login_on_one_container_holds_on_the_other(stack):
    visitor = servers.Visitor(stack.port)
    register(visitor, "edsger")
    log_in(visitor, "edsger")

    visitor.port = stack.second_port

    assert signed_in_user(visitor.get("/")) == "edsger"


def test_the_app_runs_as_a_user_who_cannot_change_it(engine, stack):
    web = stack.containers[WEB]

    user = engine("exec", web, "id", "-u").stdout.strip()
    changed = engine("exec", web, "touch", "/opt/venv/changed", check=False)

    assert user != "0"
    assert changed.returncode != 0


def test_the_build_leaves_secrets_and_local_state_out(engine, stack):
    builder = engine.build(
        stack.project,
        "localhost/builder:check",
        target="builder",
        PYTHON_IMAGE=PYTHON_STAND_IN,
    )

    copied = listing(engine, builder, "/build")

    assert "pyproject.toml" in copied
    assert not {".env", ".venv"} & copied
    assert "instance" not in listing(engine, builder, "/build/src")


def listing(engine, image, folder):
    """The names in ``folder`` in the image ``image``."""
    script = f"import json, os; print(json.dumps(os.listdir({folder!r})))"
    ran = engine("run", "--rm", "--network=none", image, "python3", "-c", script)
    return set(json.loads(ran.stdout))
