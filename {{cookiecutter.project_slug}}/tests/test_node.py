"""The JavaScript side: its own tests under Node, and cookies from this app.

Without Node these tests skip, except in CI (where ``CI`` is set), where a
missing Node is an error: the promise that the session is readable outside
Python must be checked there.
"""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import time_machine
from dotenv import dotenv_values

import helpers
from {{ cookiecutter.package_name }}.sessions import SessionConfigError
from {{ cookiecutter.package_name }}.sessions.checks import (
    MIN_KEY_LENGTH,
    check_key_lengths,
)

pytestmark = pytest.mark.slow

PROJECT = Path(__file__).resolve().parent.parent
VERIFIER = PROJECT / "tools" / "verify-session.mjs"
NODE_TESTS = sorted((PROJECT / "tests" / "js").glob("*.test.mjs"))
VECTOR_COUNT = len(
    json.loads((PROJECT / "tests" / "vectors" / "sessions.json").read_text("utf-8"))[
        "vectors"
    ]
)


@pytest.fixture(scope="module")
def node():
    """The path to Node 18 or newer (for node --test and DecompressionStream)."""
    path = shutil.which("node")
    version = ""
    if path:
        version = subprocess.run(
            [path, "--version"], capture_output=True, text=True
        ).stdout.strip()
    if path and int(version.lstrip("v").split(".")[0]) >= 18:
        return path
    reason = f"Node.js 18 or newer is needed, found {version or 'no node'}"
    if os.environ.get("CI") or os.environ.get("REQUIRE_NODE") == "1":
        pytest.fail(f"{reason}; in CI (or with REQUIRE_NODE=1) these tests must run.")
    pytest.skip(reason)


def verify(node, *args, env=None, stdin=None):
    return subprocess.run(
        [node, VERIFIER, *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_node_suite_passes_over_every_vector(node):
    result = subprocess.run(
        [node, "--test", *NODE_TESTS],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    passed = int(re.search(r"^# pass (\d+)$", result.stdout, re.M).group(1))
    # Each vector is checked by the verifier, and the valid ones by the reader.
    assert passed > VECTOR_COUNT


def test_node_verifies_a_cookie_this_app_just_signed(node, app, client, auth):
    auth.login()
    client.get("/")  # adds the CSRF token and shows the welcome message

    result = verify(
        node, "--secret", app.secret_key, helpers.session_cookie(client, app)
    )

    assert result.returncode == 0, result.stderr
    with client.session_transaction() as session:
        assert json.loads(result.stdout) == dict(session)


def test_node_accepts_a_cookie_signed_with_a_fallback_key(node, app, client, auth):
    auth.login()
    old_key, app.secret_key = app.secret_key, "the key after a rotation, long enough"

    result = verify(
        node,
        "--secret",
        app.secret_key,
        "--secret",
        old_key,
        helpers.session_cookie(client, app),
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["user_id"] == 1


def test_node_rejects_this_apps_cookie_under_another_key(node, app, client, auth):
    auth.login()

    result = verify(
        node,
        "--secret",
        "not the app's key, though just as long",
        helpers.session_cookie(client, app),
    )

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith("bad signature")


def test_node_rejects_a_cookie_past_its_max_age(node, app, client, auth):
    with time_machine.travel(helpers.now() - 7200):
        auth.login()

    result = verify(
        node,
        "--secret",
        app.secret_key,
        "--max-age",
        "3600",
        helpers.session_cookie(client, app),
    )

    assert result.returncode == 1
    assert re.match(r"expired: signed 720\d s ago, the limit is 3600 s", result.stderr)


def test_node_reads_the_keys_that_new_key_writes(
    node, app, runner, client, auth, tmp_path
):
    auth.login()
    signed_before_the_rotation = helpers.session_cookie(client, app)
    env_file = tmp_path / ".env"
    env_file.write_text(runner.invoke(args=["session", "new-key"]).output)

    result = verify(node, signed_before_the_rotation, env=dotenv_values(env_file))

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["user_id"] == 1


@pytest.mark.parametrize("char", helpers.UNSHOWABLE)
def test_node_escapes_unshowable_characters_in_the_payload(node, app, char):
    cookie = helpers.sign_json({f"key{char}": f"value{char}"})

    result = verify(node, "--secret", app.secret_key, cookie)

    assert result.returncode == 0, result.stderr
    assert char not in result.stdout
    assert result.stdout.count(helpers.escape_of(char)) == 2


def test_node_escaped_output_is_the_same_json(node, app):
    data = {"name": "Zoë \u202etxt.exe\x9b", "\x1b[2J": ["\u2066"]}

    result = verify(node, "--secret", app.secret_key, helpers.mint(data))

    assert json.loads(result.stdout) == data


def test_node_reads_this_apps_cookie_from_standard_input(node, app, client, auth):
    auth.login()

    result = verify(
        node,
        "--secret",
        app.secret_key,
        "-",
        stdin=helpers.session_cookie(client, app) + "\n",
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["user_id"] == 1


@pytest.mark.parametrize("length", [0, 1, 16, MIN_KEY_LENGTH - 1])
def test_node_refuses_a_fallback_key_the_app_would_refuse(node, length):
    short_key = "k" * length
    forged = helpers.mint({"user_id": 1}, secret=short_key)
    # The app refuses the key outside debug and testing.
    with pytest.raises(SessionConfigError):
        check_key_lengths((helpers.TEST_SECRET_KEY, short_key))
    env = {
        "FLASK_SECRET_KEY": helpers.TEST_SECRET_KEY,
        "FLASK_SECRET_KEY_FALLBACKS": json.dumps([short_key]),
    }

    result = verify(node, forged, env=env)

    assert result.returncode == 2
    assert result.stdout == ""
    assert f"a key of {length} bytes is refused" in result.stderr
