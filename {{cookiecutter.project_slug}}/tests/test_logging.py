"""What operators see in gunicorn's output: one line per event, no secrets."""

import http.client
import subprocess

import pytest

import databases
import helpers
import servers

pytestmark = pytest.mark.slow

PASSWORD = "a password for the logging tests"
SETTINGS = {"SECRET_KEY": helpers.TEST_SECRET_KEY, "LOGIN_MAX_FAILURES": 1}


@pytest.fixture
def server(tmp_path, database_url, monkeypatch):
    databases.prepare_database(database_url, users=[("ada", PASSWORD)])
    monkeypatch.setenv("DATABASE_URL", database_url)
    log = tmp_path / "gunicorn.log"
    with servers.gunicorn(servers.free_port(), SETTINGS, log) as running:
        yield running


def lines_with(log_path, text):
    return [line for line in log_path.read_text().splitlines() if text in line]


def log_after_a_visit_with(server, cookie):
    """Load the home page with ``cookie``, stop the server, return its log."""
    visitor = servers.Visitor(server.port)
    visitor.cookies["session"] = cookie
    assert visitor.get("/").status == 200
    server.stop()
    return server.log_path.read_text()


def test_a_refused_cookie_is_one_line_without_the_cookie(server):
    forged = helpers.mint({"user_id": 1}, secret="not the key")

    text = log_after_a_visit_with(server, forged)

    (line,) = lines_with(server.log_path, "Ignored the session cookie")
    assert "INFO" in line
    assert "bad signature" in line
    assert forged not in text
    assert forged.split(".")[2] not in text


def test_a_signed_session_of_the_wrong_shape_is_one_line_without_the_cookie(server):
    # Signed with the app's own key, so only the shape check refuses it.
    cookie = helpers.mint(
        {"user_id": "1 OR 1=1", "epoch": 0, "issued_at": helpers.now()}
    )

    text = log_after_a_visit_with(server, cookie)

    (line,) = lines_with(server.log_path, "Refused a signed session of the wrong shape")
    assert "WARNING" in line
    assert "Traceback" not in text
    assert "1 OR 1=1" not in text
    assert helpers.TEST_SECRET_KEY not in text
    payload, _, signature = cookie.split(".")
    assert payload not in text
    assert signature not in text


def test_a_throttled_login_is_one_line_without_the_name_or_password(server):
    visitor = servers.Visitor(server.port)
    fields = {"username": "ada", "password": "wrong password"}
    visitor.submit("/auth/login", fields)

    assert visitor.submit("/auth/login", fields)[1].status == 429
    server.stop()

    (line,) = lines_with(server.log_path, "Throttled a login for digest")
    assert "WARNING" in line
    assert "127.0.0.1" in line
    assert "ada" not in line
    assert "wrong password" not in server.log_path.read_text()


def test_requests_through_an_untrusted_proxy_are_one_line_per_process(server):
    for _ in range(3):
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        connection.request("GET", "/healthz", headers={"X-Forwarded-For": "10.9.8.7"})
        assert connection.getresponse().status == 200
        connection.close()
    server.stop()

    (line,) = lines_with(server.log_path, "TRUSTED_PROXIES")
    assert "WARNING" in line
    assert "10.9.8.7" not in server.log_path.read_text()


def test_a_refused_setting_is_one_line_without_the_key(tmp_path, database_url):
    log = tmp_path / "gunicorn.log"
    refused = servers.gunicorn(
        servers.free_port(), {**SETTINGS, "TRUSTED_PROXIES": -1}, log
    )
    refused.env["DATABASE_URL"] = database_url

    finished = subprocess.run(
        refused.command, env=refused.env, capture_output=True, text=True, timeout=60
    )

    assert finished.returncode != 0
    output = finished.stdout + finished.stderr
    (line,) = [line for line in output.splitlines() if "CRITICAL" in line]
    assert "Refused to start: TRUSTED_PROXIES must be the number of proxies" in line
    assert helpers.TEST_SECRET_KEY not in output
