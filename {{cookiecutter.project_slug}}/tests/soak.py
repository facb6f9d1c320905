"""Soak the app under gunicorn: many clients, a bounded time or number of
rounds, nothing may go wrong.

Each client registers once, then loops: log in, see the welcome message
exactly once, log out from the home page that shows its own name, and
see that message exactly once. Every response is checked, and a summary
(requests per second, errors, latency percentiles) is printed.

    .venv/bin/python tests/soak.py --clients 16 --workers 4 --seconds 60
    .venv/bin/python tests/soak.py --postgres  # on a throwaway PostgreSQL server

Passwords are hashed with a fast method here: with scrypt, two cores
spend the soak hashing passwords rather than handling sessions.
"""

import argparse
import http.client
import json
import math
import secrets
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import databases
import servers


class SoakVisitor(servers.Visitor):
    """One client: its own user, and a tally of what it saw and how fast."""

    def __init__(self, port, name):
        super().__init__(port)
        self.name, self.password = name, f"password of {name}"
        self.tally, self.latencies = Counter(), []

    def request(self, method, path, fields=None):
        started = time.perf_counter()
        page = super().request(method, path, fields)
        self.latencies.append(time.perf_counter() - started)
        self.tally["requests"] += 1
        return page

    def expect(self, condition, what):
        if not condition:
            self.tally[f"error: {what}"] += 1
        return condition

    def flash_shown_once(self, sent, message):
        """Follow a redirect: the flash must be on that page and not the next."""
        self.expect(sent.status == 302, f"status {sent.status}, not a redirect")
        first, second = self.get(sent.location or "/"), self.get("/")
        self.tally["flashes checked"] += 1
        self.expect(first.text.count(message) == 1, "flash missing")
        self.expect(message not in second.text, "flash shown twice")

    def register(self):
        fields = {"username": self.name, "password": self.password}
        _, sent = self.submit(
            "/auth/register",
            {**fields, "email": f"{self.name}@example.com", "confirm": self.password},
        )
        self.expect(sent.status == 302, "registration refused")

    def round(self):
        credentials = {"username": self.name, "password": self.password}
        _, sent = self.submit("/auth/login", credentials)
        self.flash_shown_once(sent, f"Welcome, {self.name}.")
        home, sent = self.submit("/auth/logout", {}, form_path="/")
        self.expect(f"<strong>{self.name}</strong>" in home.text, "not logged in")
        self.flash_shown_once(sent, "You have been logged out.")
        self.tally["rounds"] += 1


def run_clients(port, count, seconds, rounds):
    """Run ``count`` clients, each until ``seconds`` pass or it has made
    ``rounds`` rounds."""
    deadline = time.monotonic() + seconds
    visitors = [
        SoakVisitor(port, f"soak{i}_{secrets.token_hex(3)}") for i in range(count)
    ]

    def visit(visitor):
        try:
            visitor.register()
            while visitor.tally["rounds"] < rounds and time.monotonic() < deadline:
                visitor.round()
        except (OSError, http.client.HTTPException) as error:
            visitor.tally[f"error: {type(error).__name__}"] += 1

    threads = [threading.Thread(target=visit, args=(v,)) for v in visitors]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    tally = sum((visitor.tally for visitor in visitors), Counter())
    latencies = [latency for visitor in visitors for latency in visitor.latencies]
    return tally, latencies, time.monotonic() - started


def soak(
    clients, workers, folder, database_url=None, *, seconds=math.inf, rounds=math.inf
):
    """Serve the app from ``folder`` under gunicorn, soak it, return the figures.

    Each client stops after ``seconds`` or after ``rounds`` rounds,
    whichever comes first. The app's data goes to ``database_url``,
    emptied first, or to a new SQLite file in ``folder``.
    """
    database_url = database_url or f"sqlite:///{Path(folder) / 'soak.sqlite'}"
    databases.prepare_database(database_url)
    settings = {
        "SECRET_KEY": secrets.token_hex(32),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    }
    port = servers.free_port()
    log = Path(folder) / "gunicorn.log"
    with servers.gunicorn(port, settings, log, workers=workers):
        tally, latencies, elapsed = run_clients(port, clients, seconds, rounds)
    milliseconds = statistics.quantiles(latencies, n=100)
    errors = {key: count for key, count in tally.items() if key.startswith("error")}
    return {
        "database": database_url.split(":", 1)[0],
        "clients": clients,
        "workers": workers,
        "seconds": round(elapsed, 1),
        "requests": tally["requests"],
        "requests_per_second": round(tally["requests"] / elapsed, 1),
        "rounds": tally["rounds"],
        "flashes_checked": tally["flashes checked"],
        "errors": sum(errors.values()),
        "error_kinds": errors,
        "p50_ms": round(milliseconds[49] * 1000, 1),
        "p99_ms": round(milliseconds[98] * 1000, 1),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument(
        "--postgres", action="store_true", help="on a throwaway PostgreSQL server"
    )
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args()
    server = databases.ThrowawayServer().start() if args.postgres else None
    try:
        with tempfile.TemporaryDirectory() as folder:
            url = server.create_database("soak") if server else None
            result = soak(args.clients, args.workers, folder, url, seconds=args.seconds)
    finally:
        if server:
            server.stop()
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>20}: {value}")
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
