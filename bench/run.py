"""Measure what the session costs, against Flask's built-in one and the seed snippet.

Bakes the template with its defaults into a temporary folder, imports the
baked app from there, and measures in this one process:

1. the session round trip: open a request's session from its cookie,
   change one value, save it to the response;
2. the cookie each interface writes for the same session, in bytes;
3. a whole request through the baked app in Flask's test client, one that
   writes the session against one that does not use it;
4. requests per second under gunicorn on 127.0.0.1, loaded by ApacheBench
   (``ab``), for the same two routes and the same number of workers.

Times in this process are its CPU time, so that other work on the machine
is not counted, and ratios are measured side by side in one run, so that
they hold where absolute figures drift: short chunks of each contender take
turns, and each keeps its fastest chunk, since noise only ever adds time.
Prints a table and writes everything as JSON.

    .venv/bin/pip install -q -r bench/requirements.txt && .venv/bin/python bench/run.py
"""

import argparse
import gc
import importlib
import importlib.metadata
import json
import math
import os
import platform
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import NamedTuple

from cookiecutter.main import cookiecutter
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from seed_session import ItsdangerousSessionInterface
from werkzeug.test import EnvironBuilder
from wsgi import create_bench_app

BENCH = Path(__file__).resolve().parent
TEMPLATE = BENCH.parent
SECRET_KEY = "a benchmark key, as long as a real one should be: 0123456789abcdef"
COOKIE_NAME = "session"

# Flask-WTF's CSRF token as it sits in the session: 40 hex digits.
CSRF_TOKEN = "5f0b3c9e8a7d6c5b4a39281706f5e4d3c2b1a098"


def large_payload():
    """About 2 KB of JSON: a signed-in user with a cart and some history."""
    rng = random.Random(6)
    return {
        "user_id": 42,
        "visits": 1,
        "csrf_token": CSRF_TOKEN,
        "preferences": {"theme": "dark", "language": "pt-BR", "page_size": 50},
        "recently_viewed": [rng.randrange(10**6) for _ in range(40)],
        "cart": [
            {"sku": f"SKU-{rng.randrange(16**8):08X}", "quantity": rng.randint(1, 5)}
            for _ in range(42)
        ],
    }


PAYLOADS = {
    "signed-in user": {"user_id": 42, "visits": 1},
    "+ 2 flashes, CSRF token": {
        "user_id": 42,
        "visits": 1,
        "csrf_token": CSRF_TOKEN,
        "_flashes": [
            ("success", "Welcome, demo."),
            ("info", "Your password has been changed."),
        ],
    },
    "2 KB payload": large_payload(),
}

# The session of the load-tested requests: a visitor who has seen a form. A
# user_id would add the app's database lookup of the user, which is not the
# session's cost.
VISITOR = {"visits": 1, "csrf_token": CSRF_TOKEN}


def bake(output_dir):
    """Bake the template with its defaults; return the project and package name."""
    project = Path(cookiecutter(str(TEMPLATE), no_input=True, output_dir=output_dir))
    (package,) = [path.parent.name for path in (project / "src").glob("*/__init__.py")]
    return project, package


def interfaces(package):
    sessions = importlib.import_module(f"{package}.sessions")
    return {
        "ours": sessions.SignedCookieSessionInterface,
        "flask": SecureCookieSessionInterface,
        "seed": ItsdangerousSessionInterface,
    }


def make_app(interface_class):
    app = Flask("bench")
    # Secure, as in production, for every interface alike: ours refuses to
    # start without it outside debug and testing.
    app.config.update(
        SECRET_KEY=SECRET_KEY,
        SESSION_COOKIE_NAME=COOKIE_NAME,
        SESSION_COOKIE_SECURE=True,
    )
    interface = interface_class()
    if hasattr(interface, "init_app"):
        interface.init_app(app)
    else:
        app.session_interface = interface
    return app


def save_to_response(app, payload):
    """The Set-Cookie header that saving ``payload`` as a new session writes."""
    interface = app.session_interface
    session = interface.session_class()
    session.update(payload)
    response = app.response_class()
    interface.save_session(app, session, response)
    return response.headers["Set-Cookie"]


def cookie_value(header):
    return header.split(";", 1)[0].split("=", 1)[1]


def timed(function, batch):
    """Seconds per call of ``function(batch)``, which makes ``batch`` calls.

    Like ``timeit``, with the garbage collector off while it runs.
    """
    gc.collect()
    gc.disable()
    try:
        return function(batch) / batch
    finally:
        gc.enable()


def fastest_interleaved(runners, rounds, chunk):
    """Seconds per call of each runner, from the fastest of its ``rounds`` chunks.

    ``runners`` maps names to functions timing ``chunk`` calls. The chunks
    take turns, so that a busy moment on the machine hits every runner
    alike; noise only ever adds time, so a runner's fastest chunk is the
    closest to its own cost.
    """
    best = dict.fromkeys(runners, math.inf)
    for _ in range(rounds):
        for name, run in runners.items():
            best[name] = min(best[name], timed(run, chunk))
    return best


def round_trip(app, cookie):
    """A function timing ``batch`` session round trips on requests carrying ``cookie``."""
    interface = app.session_interface
    environ = EnvironBuilder(
        headers={"Cookie": f"{COOKIE_NAME}={cookie}"}
    ).get_environ()

    def run(batch):
        requests = [app.request_class(dict(environ)) for _ in range(batch)]
        responses = [app.response_class() for _ in range(batch)]
        start = time.process_time()
        for number, (request, response) in enumerate(
            zip(requests, responses, strict=True)
        ):
            session = interface.open_session(app, request)
            session["visits"] = number
            interface.save_session(app, session, response)
        elapsed = time.process_time() - start
        # A cookie that failed to verify would open an empty session, and
        # measure nothing worth knowing.
        assert session["user_id"] == 42, "the cookie did not verify"
        assert COOKIE_NAME in responses[-1].headers["Set-Cookie"]
        return elapsed

    return run


def measure_sessions(package, rounds, chunk):
    apps = {name: make_app(cls) for name, cls in interfaces(package).items()}
    results = []
    for payload_name, payload in PAYLOADS.items():
        row = {
            "payload": payload_name,
            "json_bytes": len(json.dumps(payload, separators=(",", ":"))),
        }
        runners = {}
        for name, app in apps.items():
            header = save_to_response(app, payload)
            row[f"{name}_cookie_bytes"] = len(cookie_value(header))
            row[f"{name}_header_bytes"] = len(header)
            runners[name] = round_trip(app, cookie_value(header))
        fastest = fastest_interleaved(runners, rounds, chunk)
        for name in apps:
            row[f"{name}_round_trip_us"] = fastest[name] * 1e6
        row["round_trip_ours_to_flask"] = fastest["ours"] / fastest["flask"]
        row["round_trip_ours_to_seed"] = fastest["ours"] / fastest["seed"]
        row["cookie_ours_to_flask"] = (
            row["ours_cookie_bytes"] / row["flask_cookie_bytes"]
        )
        results.append(row)
    return results


def measure_test_client(package, rounds, chunk):
    app = create_bench_app(package, SECRET_KEY)
    cookie = cookie_value(save_to_response(app, VISITOR))
    client = app.test_client(use_cookies=False)
    cases = {
        "write": ("/bench/write", {"Cookie": f"{COOKIE_NAME}={cookie}"}),
        "plain": ("/bench/plain", {}),
    }
    for path, headers in cases.values():
        response = client.get(path, headers=headers)
        assert response.status_code == 200, response.status
    path, headers = cases["write"]
    written = cookie_value(client.get(path, headers=headers).headers["Set-Cookie"])
    assert app.session_interface.decode(app, written).data["visits"] == 2

    def requests(path, headers):
        def run(count):
            start = time.process_time()
            for _ in range(count):
                client.get(path, headers=headers)
            return time.process_time() - start

        return run

    runners = {name: requests(path, headers) for name, (path, headers) in cases.items()}
    fastest = fastest_interleaved(runners, rounds, chunk)
    write_us = fastest["write"] * 1e6
    plain_us = fastest["plain"] * 1e6
    return {
        "write_request_us": write_us,
        "plain_request_us": plain_us,
        "write_to_plain": write_us / plain_us,
    }


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_serving(url, process, seconds=60):
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.read()
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start") from None
            time.sleep(0.2)


def apache_bench(url, seconds, max_requests, concurrency, cookie=None):
    """Requests per second from one bounded ``ab`` run; fails on any error."""
    # -t before -n: -t alone would imply -n 50000.
    command = ["ab", "-t", str(seconds), "-n", str(max_requests)]
    command += ["-c", str(concurrency)]
    if cookie:
        command += ["-C", f"{COOKIE_NAME}={cookie}"]
    output = subprocess.run(
        [*command, url], capture_output=True, text=True, check=True, timeout=seconds * 3
    ).stdout
    failed = int(re.search(r"Failed requests:\s+(\d+)", output).group(1))
    non_2xx = re.search(r"Non-2xx responses:\s+(\d+)", output)
    if failed or non_2xx:
        raise RuntimeError(f"ab saw failed or non-2xx responses:\n{output}")
    complete = int(re.search(r"Complete requests:\s+(\d+)", output).group(1))
    rate = float(re.search(r"Requests per second:\s+([\d.]+)", output).group(1))
    return rate, complete


def measure_gunicorn(project, package, repeats, seconds, workers, concurrency):
    app = create_bench_app(package, SECRET_KEY)
    cookie = cookie_value(save_to_response(app, VISITOR))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(project / "src"), str(BENCH)]),
        "BENCH_PACKAGE": package,
        "BENCH_SECRET_KEY": SECRET_KEY,
    }
    command = [sys.executable, "-m", "gunicorn", "--workers", str(workers)]
    command += ["--bind", f"127.0.0.1:{port}", "wsgi:app"]
    with tempfile.TemporaryFile(mode="w+") as log:
        server = subprocess.Popen(
            command,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_until_serving(f"{base}/bench/plain", server)
            # The server must accept the cookie, or the write route would
            # measure an empty session.
            request = urllib.request.Request(
                f"{base}/bench/write", headers={"Cookie": f"{COOKIE_NAME}={cookie}"}
            )
            with urllib.request.urlopen(request, timeout=5) as response:
                written = cookie_value(response.headers["Set-Cookie"])
            assert app.session_interface.decode(app, written).data["visits"] == 2
            urls = {
                "write": (f"{base}/bench/write", cookie),
                "plain": (f"{base}/bench/plain", None),
            }
            for url, sent in urls.values():
                apache_bench(url, 1, 2000, concurrency, sent)  # warm up
            rates = {name: [] for name in urls}
            counts = {name: 0 for name in urls}
            for _ in range(repeats):
                for name, (url, sent) in urls.items():
                    rate, complete = apache_bench(
                        url, seconds, 100_000, concurrency, sent
                    )
                    rates[name].append(rate)
                    counts[name] += complete
        except BaseException:
            log.seek(0)
            print(log.read()[-3000:], file=sys.stderr)
            raise
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
    # As for the times above: the runs took turns, and each route keeps its best.
    write_rate = max(rates["write"])
    plain_rate = max(rates["plain"])
    return {
        "workers": workers,
        "concurrency": concurrency,
        "seconds_per_run": seconds,
        "runs_per_route": repeats,
        "write_requests": counts["write"],
        "plain_requests": counts["plain"],
        "write_rps": write_rate,
        "plain_rps": plain_rate,
        "write_to_plain": write_rate / plain_rate,
    }


class Target(NamedTuple):
    name: str
    ratio: float
    limit: float
    at_most: bool  # or else at least

    def as_dict(self):
        met = self.ratio <= self.limit if self.at_most else self.ratio >= self.limit
        limit = f"{'<=' if self.at_most else '>='} {self.limit}"
        return {"target": self.name, "ratio": self.ratio, "limit": limit, "met": met}


# The most our round trip may cost against Flask's built-in session, by
# payload: on the large one both pay mostly for zlib.
ROUND_TRIP_LIMITS = {"2 KB payload": 0.75}
ROUND_TRIP_LIMIT = 0.5
# ... and against the seed snippet, which checks almost nothing.
SEED_LIMIT = 0.9


def targets(sessions, client, server):
    checks = []
    for row in sessions:
        name = row["payload"]
        ratio = row["round_trip_ours_to_flask"]
        limit = ROUND_TRIP_LIMITS.get(name, ROUND_TRIP_LIMIT)
        checks.append(Target(f"round trip, {name}: ours/flask", ratio, limit, True))
        ratio = row["round_trip_ours_to_seed"]
        checks.append(Target(f"round trip, {name}: ours/seed", ratio, SEED_LIMIT, True))
        ratio = row["cookie_ours_to_flask"]
        checks.append(Target(f"cookie bytes, {name}: ours/flask", ratio, 1.0, True))
    ratio = client["write_to_plain"]
    checks.append(Target("test client: write/plain request time", ratio, 1.15, True))
    ratio = server["write_to_plain"]
    checks.append(
        Target("gunicorn: write/plain requests per second", ratio, 0.85, False)
    )
    return [check.as_dict() for check in checks]


def machine():
    return {
        "cpus": os.cpu_count(),
        "arch": platform.machine(),
        "system": platform.system(),
        "python": platform.python_version(),
        "flask": importlib.metadata.version("flask"),
        "itsdangerous": importlib.metadata.version("itsdangerous"),
        "gunicorn": importlib.metadata.version("gunicorn"),
    }


def report(results):
    print(
        "Session round trip (open from the cookie, change one value, save),"
        " µs, fastest chunk"
    )
    print(
        f"{'payload':26} {'JSON B':>7} {'ours':>7} {'flask':>7} {'seed':>7}"
        f" {'ours/flask':>11} {'ours/seed':>10}"
    )
    for row in results["sessions"]:
        print(
            f"{row['payload']:26} {row['json_bytes']:7} {row['ours_round_trip_us']:7.1f}"
            f" {row['flask_round_trip_us']:7.1f} {row['seed_round_trip_us']:7.1f}"
            f" {row['round_trip_ours_to_flask']:11.2f}"
            f" {row['round_trip_ours_to_seed']:10.2f}"
        )
    print("\nCookie value, bytes (Set-Cookie header in brackets)")
    print(f"{'payload':26} {'ours':>12} {'flask':>12} {'seed':>12} {'ours/flask':>11}")
    for row in results["sessions"]:
        cells = " ".join(
            f"{row[f'{name}_cookie_bytes']:5} [{row[f'{name}_header_bytes']:4}]"
            for name in ("ours", "flask", "seed")
        )
        print(f"{row['payload']:26} {cells} {row['cookie_ours_to_flask']:11.2f}")
    client = results["test_client"]
    print("\nWhole request in Flask's test client, µs, fastest chunk")
    print(
        f"  writes the session {client['write_request_us']:.1f}, does not use it"
        f" {client['plain_request_us']:.1f}: ratio {client['write_to_plain']:.2f}"
    )
    server = results["gunicorn"]
    print(
        f"\ngunicorn, {server['workers']} sync workers, ab -c {server['concurrency']},"
        f" best of {server['runs_per_route']} runs of {server['seconds_per_run']} s"
    )
    print(
        f"  writes the session {server['write_rps']:.0f} req/s, does not use it"
        f" {server['plain_rps']:.0f} req/s: ratio {server['write_to_plain']:.2f}"
    )
    print("\nTargets")
    for check in results["targets"]:
        verdict = "met" if check["met"] else "MISSED"
        print(
            f"  {check['target']:52} {check['ratio']:5.2f} {check['limit']:>7}  {verdict}"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, default=TEMPLATE / "build" / "bench.json")
    parser.add_argument(
        "--repeats", type=int, default=100, help="chunks of each contender"
    )
    parser.add_argument("--seconds", type=int, default=3, help="per ab run")
    args = parser.parse_args()
    if not shutil.which("ab"):
        sys.exit("bench needs ApacheBench: apt-get install apache2-utils")

    with tempfile.TemporaryDirectory() as output_dir:
        project, package = bake(output_dir)
        sys.path.insert(0, str(project / "src"))
        sessions = measure_sessions(package, args.repeats, chunk=50)
        client = measure_test_client(package, args.repeats, chunk=20)
        server = measure_gunicorn(
            project, package, 5, args.seconds, workers=2, concurrency=4
        )
    results = {
        "machine": machine(),
        "sessions": sessions,
        "test_client": client,
        "gunicorn": server,
        "targets": targets(sessions, client, server),
    }
    report(results)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nWritten to {args.json}")


if __name__ == "__main__":
    main()
