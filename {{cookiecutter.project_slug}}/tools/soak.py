"""Soak the app under gunicorn: many clients, a bounded time, nothing may go wrong.

Each client registers once, then loops: log in, see the welcome message
exactly once, check the session viewer shows its own user id, log out,
see that message exactly once. Every response is checked, and a summary
(requests per second, errors, latency percentiles) is printed.

    python tools/soak.py --clients 16 --workers 4 --seconds 60

Passwords are hashed with a fast method here: with scrypt, two cores
spend the soak hashing passwords rather than handling sessions.
"""

import argparse
import http.client
import json
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter

APP = "{{ cookiecutter.package_name }}:create_app()"
CSRF_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
USER_ID = re.compile(r"&#34;user_id&#34;: (\d+)")


class Client:
    """One visitor: its own cookie, its own user, and a tally of what it saw."""

    def __init__(self, port, name, tally, latencies):
        self.port, self.name = port, name
        self.password = f"password of {name}"
        self.cookie = None
        self.user_id = None
        self.tally, self.latencies = tally, latencies

    def request(self, method, path, form=None):
        body = urllib.parse.urlencode(form) if form is not None else None
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if form else {}
        if self.cookie:
            headers["Cookie"] = f"session={self.cookie}"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        started = time.perf_counter()
        try:
            connection.request(method, path, body, headers)
            response = connection.getresponse()
            text = response.read().decode()
        finally:
            connection.close()
        self.latencies.append(time.perf_counter() - started)
        self.tally["requests"] += 1
        # The cookie is Secure, which a browser would not send over plain
        # HTTP; this client is the browser and knows the server is local.
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            if name == "session":
                value = rest.split(";")[0]
                self.cookie = None if "01 Jan 1970" in header else value
        return response.status, response.headers.get("Location"), text

    def expect(self, condition, what):
        if not condition:
            self.tally[f"error: {what}"] += 1
        return condition

    def submit(self, path, fields):
        status, _, page = self.request("GET", path)
        token = CSRF_TOKEN.search(page)
        if not self.expect(status == 200 and token, f"form at {path}"):
            return None
        status, location, _ = self.request(
            "POST", path, {**fields, "csrf_token": token[1]}
        )
        self.expect(status == 302, f"POST {path} status {status}")
        return location

    def flash_shown_once(self, location, message):
        """Follow a redirect: the flash must be on that page and not the next."""
        _, _, first = self.request("GET", location or "/")
        _, _, second = self.request("GET", "/")
        self.tally["flashes checked"] += 1
        self.expect(first.count(message) == 1, "flash missing")
        self.expect(message not in second, "flash shown twice")

    def register(self):
        fields = {"username": self.name, "password": self.password}
        self.submit("/auth/register", {**fields, "confirm": self.password})

    def round(self):
        credentials = {"username": self.name, "password": self.password}
        location = self.submit("/auth/login", credentials)
        self.flash_shown_once(location, f"Welcome, {self.name}.")
        _, _, viewer = self.request("GET", "/session")
        shown = USER_ID.search(viewer)
        if self.expect(shown, "viewer shows no user_id"):
            self.user_id = self.user_id or shown[1]
            self.expect(shown[1] == self.user_id, "another client's session")
        _, _, home = self.request("GET", "/")
        self.expect(f"<strong>{self.name}</strong>" in home, "not logged in as self")
        token = CSRF_TOKEN.search(home)
        if self.expect(token, "logout form"):
            _, location, _ = self.request(
                "POST", "/auth/logout", {"csrf_token": token[1]}
            )
            self.flash_shown_once(location, "You have been logged out.")
        self.tally["rounds"] += 1


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port, process, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not start")


def run_clients(port, count, seconds):
    tally, latencies = Counter(), []
    deadline = time.monotonic() + seconds

    def visit(index):
        client = Client(port, f"soak{index}_{secrets.token_hex(3)}", tally, latencies)
        try:
            client.register()
            while time.monotonic() < deadline:
                client.round()
        except (OSError, http.client.HTTPException) as error:
            tally[f"error: {type(error).__name__}"] += 1

    threads = [threading.Thread(target=visit, args=(i,)) for i in range(count)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tally, latencies, time.monotonic() - started


def soak(clients, workers, seconds):
    with tempfile.TemporaryDirectory() as folder:
        env = {
            **os.environ,
            "FLASK_SECRET_KEY": secrets.token_hex(32),
            "FLASK_DATABASE": os.path.join(folder, "soak.sqlite"),
            "FLASK_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        }
        flask = [sys.executable, "-m", "flask", "--app", APP]
        subprocess.run([*flask, "init-db"], env=env, check=True, capture_output=True)
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", str(workers)]
            + ["-b", f"127.0.0.1:{port}", APP],
            env=env,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for_port(port, server)
            tally, latencies, elapsed = run_clients(port, clients, seconds)
        finally:
            server.terminate()
            server.wait(timeout=30)
    percentiles = (
        statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0] * 99
    )
    errors = {key: count for key, count in tally.items() if key.startswith("error")}
    return {
        "clients": clients,
        "workers": workers,
        "seconds": round(elapsed, 1),
        "requests": tally["requests"],
        "requests_per_second": round(tally["requests"] / elapsed, 1),
        "rounds": tally["rounds"],
        "flashes_checked": tally["flashes checked"],
        "errors": sum(errors.values()),
        "error_kinds": errors,
        "p50_ms": round(percentiles[49] * 1000, 1),
        "p99_ms": round(percentiles[98] * 1000, 1),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args()
    result = soak(args.clients, args.workers, args.seconds)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>20}: {value}")
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
