"""The cookie format against the shared test vectors, and the vectors' origin."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

import helpers
from {{ cookiecutter.package_name }} import create_app
from {{ cookiecutter.package_name }}.sessions import (
    InvalidSessionCookie,
    decode,
)
from {{ cookiecutter.package_name }}.sessions.checks import MIN_KEY_LENGTH
from {{ cookiecutter.package_name }}.sessions.cookie import CookieFormat

PROJECT = Path(__file__).resolve().parent.parent
VECTORS_FILE = PROJECT / "tests" / "vectors" / "sessions.json"
DOCUMENT = json.loads(VECTORS_FILE.read_text(encoding="utf-8"))
VECTORS = DOCUMENT["vectors"]


def decode_vector(vector):
    return decode(
        vector["cookie"],
        vector["secrets"],
        max_age=vector["max_age"],
        salt=vector["salt"],
    )


@pytest.mark.parametrize("vector", VECTORS, ids=lambda vector: vector["name"])
def test_decode_gives_what_the_vector_expects(vector, time_machine):
    time_machine.move_to(vector["now"], tick=False)
    expected = vector["expected"]

    if "error" in expected:
        with pytest.raises(InvalidSessionCookie) as caught:
            decode_vector(vector)
        assert caught.value.kind == expected["error"]
    else:
        decoded = decode_vector(vector)
        assert decoded.data == expected["payload"]
        assert decoded.signed_at.timestamp() == expected["signed_at"]
        assert decoded.key_index == expected["key_index"]
        assert decoded.compressed == expected["compressed"]


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


def test_the_limits_are_the_python_packages(monkeypatch):
    for name in ("FLASK_PERMANENT_SESSION_LIFETIME", "FLASK_SESSION_ABSOLUTE_LIFETIME"):
        monkeypatch.delenv(name, raising=False)
    app = create_app({"SECRET_KEY": "k" * MIN_KEY_LENGTH, **helpers.SERVING_SETTINGS})

    assert DOCUMENT["limits"] == {
        "max_depth": CookieFormat.serializer.max_depth,
        "max_payload_size": CookieFormat.max_payload_size,
        "max_safe_integer": CookieFormat.serializer.max_safe_integer,
        "min_key_length": MIN_KEY_LENGTH,
        "max_age": app.permanent_session_lifetime.total_seconds(),
        "max_login_age": app.config["SESSION_ABSOLUTE_LIFETIME"].total_seconds(),
    }
