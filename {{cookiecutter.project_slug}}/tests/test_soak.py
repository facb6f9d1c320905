"""A short soak against a real gunicorn, of a set number of rounds;
``python tests/soak.py`` runs long ones, for a set time."""

import pytest

from soak import soak


@pytest.mark.slow
def test_a_short_soak_has_no_errors_and_no_crossed_sessions(
    tmp_path, each_database_url
):
    figures = soak(6, 3, tmp_path, each_database_url, rounds=20)

    assert figures["errors"] == 0, figures["error_kinds"]
    assert figures["rounds"] == 6 * 20
    assert figures["flashes_checked"] == 2 * figures["rounds"]
