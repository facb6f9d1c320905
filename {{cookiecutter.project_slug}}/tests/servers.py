"""Real servers for the browser, cluster and soak tests: gunicorn and nginx.

Each runs on a free port of 127.0.0.1, is waited for, and is stopped by
the test that started it. What a server prints goes to a log file, shown
when it fails to start. A :class:`Visitor` talks to them over HTTP.
"""

import glob
import http.client
import http.cookies
import json
import os
import shutil
import signal
import socket
import string
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path
from typing import NamedTuple

import pytest

import helpers

PROJECT = Path(__file__).resolve().parent.parent
NGINX_SITE = PROJECT / "deploy" / "nginx.conf"
NGINX_MAIN_CONTEXT = PROJECT / "deploy" / "nginx-main.conf"
SAMPLE_HOST = "example.com"
# The one host the tests ask the servers for, and so their TRUSTED_HOSTS.
SERVED_HOSTS = ["127.0.0.1"]
# Where the sample site expects the project in production.
SAMPLE_ROOT = "/srv/{{ cookiecutter.project_slug }}"
SAMPLE_ACCESS_LOG = "/var/log/nginx/{{ cookiecutter.project_slug }}.access.log"
# Where Debian's packages put what deploy/session.lua needs in nginx.
LUA_PACKAGES = {
    "libnginx-mod-http-lua": "/usr/lib/nginx/modules/ngx_http_lua_module.so",
    "lua-zlib": "/usr/lib/*/lua/5.1/zlib.so",
    "lua-cjson": "/usr/lib/*/lua/5.1/cjson.so",
}


def require(program, variable, package=None):
    """The path of ``program``; skip without it, or fail if ``variable`` is 1."""
    # nginx lives in /usr/sbin, which is not on everyone's PATH.
    search = os.pathsep.join([os.environ.get("PATH", os.defpath), "/usr/sbin"])
    path = shutil.which(program, path=search)
    if path is None:
        missing(f"{program} is not installed", [package or program], variable)
    return path


def require_nginx_lua(variable="REQUIRE_CLUSTER"):
    """nginx's path, once nginx's Lua module and the Lua libraries are there."""
    program = require("nginx", variable)
    packages = [name for name, path in LUA_PACKAGES.items() if not glob.glob(path)]
    if packages:
        missing("nginx's Lua support is missing", packages, variable)
    return program


def missing(reason, packages, variable):
    """Skip for want of Debian ``packages``, or fail if ``variable`` is 1."""
    reason = f"{reason} (Debian: apt-get install {' '.join(packages)})"
    if os.environ.get(variable) == "1":
        pytest.fail(f"{reason}, and {variable}=1 says these tests must run")
    pytest.skip(reason)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """A program serving on a loopback port, started and stopped by a test."""

    def __init__(self, command, port, log_path, env=None):
        self.command = command
        self.port = port
        self.log_path = Path(log_path)
        self.env = {**os.environ, **(env or {})}
        self.process = None

    def start(self, timeout=30):
        with self.log_path.open("a") as log:
            # A session of its own, so that stop() reaches the workers too.
            self.process = subprocess.Popen(
                self.command,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    pytest.fail(
                        f"{self.command[0]} did not start on port {self.port}:\n"
                        + self.log_path.read_text()[-3000:]
                    )
                time.sleep(0.1)

    def stop(self):
        if self.process is None or self.process.returncode is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()


def gunicorn(port, settings, log_path, workers=1):
    """The app's factory served by gunicorn, configured as in production.

    ``settings`` become ``FLASK_``-prefixed environment variables, written
    as JSON, which ``from_prefixed_env`` reads back exactly. A production
    server needs ``TRUSTED_HOSTS``: :data:`SERVED_HOSTS` unless given.
    """
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        # Else every instance would open the same control socket in $HOME.
        "--no-control-socket",
        "{{ cookiecutter.package_name }}:create_app()",
    ]
    return Server(command, port, log_path, served_settings(settings))


def served_settings(settings):
    """``settings`` as the environment variables of a server, with its hosts
    and a mail server."""
    settings = {"TRUSTED_HOSTS": SERVED_HOSTS, **helpers.MAIL_SETTINGS, **settings}
    return helpers.environment_of(settings)


def flask_run(port, settings, log_path):
    """The app served by ``flask run``, Werkzeug's development server, in one process.

    ``settings`` become environment variables as for :func:`gunicorn`.
    """
    command = [
        sys.executable,
        "-m",
        "flask",
        "--app",
        "{{ cookiecutter.package_name }}",
        "run",
        "--no-reload",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    return Server(command, port, log_path, served_settings(settings))


# The frame around the site: nginx in the foreground, writing only in $folder.
NGINX_MAIN = string.Template(
    """\
include "$main_context";
daemon off;
worker_processes 1;
pid $folder/nginx.pid;
error_log $folder/error.log;
events { worker_connections 64; }
http {
    access_log $folder/access.log;
    client_body_temp_path $folder/client_body;
    proxy_temp_path $folder/proxy;
    fastcgi_temp_path $folder/fastcgi;
    uwsgi_temp_path $folder/uwsgi;
    scgi_temp_path $folder/scgi;
    include $folder/site.conf;
}
"""
)


def nginx(program, port, upstream_ports, folder, keys, site_root=None, settings=None):
    """nginx serving ``deploy/nginx.conf``, with the test's places in place of its own.

    Its ports become the test's, its Lua module is read from this
    project's ``deploy/``, its members' files from ``site_root/members/``
    (``folder`` by default) and its access log is ``folder/access.log``.
    ``keys`` are the app's key settings, handed to nginx as the app's
    environment variables, and so are ``settings``, each written as JSON.
    """
    site = NGINX_SITE.read_text()
    # The default server listens on the site's port too: every mention moves.
    for sample, real in zip((8000, 8001, 8002), (port, *upstream_ports), strict=True):
        assert f"127.0.0.1:{sample};" in site, f"port {sample} in {NGINX_SITE}"
        site = site.replace(f"127.0.0.1:{sample}", f"127.0.0.1:{real}")
    places = {
        # The tests ask for the site by the address it listens on.
        f"server_name {SAMPLE_HOST};": "server_name 127.0.0.1;",
        f"{SAMPLE_ROOT}/deploy/": f"{PROJECT / 'deploy'}/",
        f"root {SAMPLE_ROOT};": f"root {site_root or folder};",
        SAMPLE_ACCESS_LOG: f"{folder}/access.log",
    }
    for sample, real in places.items():
        assert site.count(sample) == 1, f"{sample} in {NGINX_SITE}"
        site = site.replace(sample, real)
    env = {
        "FLASK_SECRET_KEY": keys["SECRET_KEY"],
        "FLASK_SECRET_KEY_FALLBACKS": json.dumps(keys.get("SECRET_KEY_FALLBACKS", [])),
        **{
            f"FLASK_{name}": json.dumps(value)
            for name, value in (settings or {}).items()
        },
    }
    return nginx_serving(program, port, folder, site, env)


def nginx_serving(program, port, folder, site, env=None):
    """nginx in the foreground serving ``site``, an ``http`` block's contents."""
    (folder / "site.conf").write_text(site)
    (folder / "nginx.conf").write_text(
        NGINX_MAIN.substitute(folder=folder, main_context=NGINX_MAIN_CONTEXT)
    )
    command = [
        program,
        "-p",
        f"{folder}/",
        "-c",
        f"{folder}/nginx.conf",
        "-e",
        f"{folder}/error.log",
    ]
    return Server(command, port, folder / "nginx.log", env)


class Page(NamedTuple):
    instance: str | None  # the X-Instance header, where the app sends one
    status: int
    location: str | None
    text: str


def visit_with_cookie_lines(port, path, lines):
    """GET ``path`` with each of ``lines`` as a Cookie header line of its own."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.putrequest("GET", path)
        for line in lines:
            connection.putheader("Cookie", line)
        connection.endheaders()
        response = connection.getresponse()
        return Page(
            response.headers["X-Instance"],
            response.status,
            response.headers["Location"],
            response.read().decode(),
        )
    finally:
        connection.close()


class Visitor:
    """A client of the site over plain HTTP, keeping its own cookies.

    The session cookie is Secure, and these tests speak plain HTTP to
    127.0.0.1 (in production TLS ends at nginx), so ``http.cookiejar``
    would never send it back. This client keeps the cookies by name and
    sends them on every request, as a browser does over HTTPS.
    """

    def __init__(self, port):
        self.port = port
        self.cookies = {}

    def request(self, method, path, fields=None):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if fields is not None:
            body = urllib.parse.urlencode(fields)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body, headers)
            response = connection.getresponse()
            text = response.read().decode()
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in http.cookies.SimpleCookie(header).items():
                if morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return Page(
            response.headers["X-Instance"],
            response.status,
            response.headers["Location"],
            text,
        )

    def get(self, path):
        return self.request("GET", path)

    def submit(self, path, fields, form_path=None):
        """Load the form at ``form_path`` (or ``path``), post it with its CSRF token."""
        form = self.get(form_path or path)
        token = helpers.csrf_token(form.text)
        return form, self.request("POST", path, {**fields, "csrf_token": token})
