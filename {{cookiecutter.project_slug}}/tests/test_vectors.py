"""The session interface against the shared test vectors, and the vectors' origin."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask

import helpers
from {{ cookiecutter.package_name }}.sessions import (
    InvalidSessionCookie,
    SignedCookieSessionInterface,
)

PROJECT = Path(__file__).resolve().parent.parent
VECTORS_FILE = PROJECT / "tests" / "vectors" / "sessions.json"
VECTORS = json.loads(VECTORS_FILE.read_text(encoding="utf-8"))["vectors"]


def app_for(vector):
    app = Flask(__name__)
    secret_key, *fallbacks_newest_first = vector["secrets"]
    app.config.update(
        SECRET_KEY=secret_key,
        SECRET_KEY_FALLBACKS=fallbacks_newest_first[::-1],
        PERMANENT_SESSION_LIFETIME=vector["max_age"],
        SESSION_COOKIE_SECURE=True,
    )
    interface = SignedCookieSessionInterface()
    interface.salt = vector["salt"]
    interface.init_app(app)
    return app


@pytest.mark.parametrize("vector", VECTORS, ids=lambda vector: vector["name"])
def test_the_interface_decodes_the_vector_as_expected(vector, time_machine):
    app = app_for(vector)
    time_machine.move_to(vector["now"], tick=False)
    expected = vector["expected"]

    if "error" in expected:
        with pytest.raises(InvalidSessionCookie) as caught:
            app.session_interface.decode(app, vector["cookie"])
        assert caught.value.kind == expected["error"]
    else:
        session = app.session_interface.decode(app, vector["cookie"])
        assert helpers.as_json(session) == expected["payload"]
        assert session.signed_at.timestamp() == expected["signed_at"]
        assert session.key_index == expected["key_index"]


def test_the_vectors_cover_every_outcome():
    outcomes = {vector["expected"].get("error", "valid") for vector in VECTORS}

    assert outcomes == {"valid", "malformed", "bad-signature", "expired", "future"}


def test_the_vectors_are_what_the_script_writes_now(tmp_path):
    regenerated = tmp_path / "sessions.json"

    result = subprocess.run(
        [sys.executable, "tools/make_vectors.py", "--output", str(regenerated)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0, result.stderr
    assert regenerated.read_text(encoding="utf-8") == VECTORS_FILE.read_text(
        encoding="utf-8"
    ), "tests/vectors/sessions.json is stale: run python tools/make_vectors.py"
