"""A short soak against a real gunicorn; tools/soak.py runs longer ones."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

SOAK = Path(__file__).resolve().parent.parent / "tools" / "soak.py"


@pytest.mark.slow
def test_a_short_soak_has_no_errors_and_no_crossed_sessions():
    result = subprocess.run(
        [sys.executable, SOAK, "--clients", "6", "--workers", "3", "--seconds", "8"]
        + ["--json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    figures = json.loads(result.stdout)

    assert figures["errors"] == 0, figures["error_kinds"]
    assert result.returncode == 0
    assert figures["rounds"] >= figures["clients"]
    assert figures["flashes_checked"] == 2 * figures["rounds"]
