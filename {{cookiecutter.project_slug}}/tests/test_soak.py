"""A short soak against a real gunicorn; ``python tests/soak.py`` runs longer ones."""

import pytest

from soak import soak


@pytest.mark.slow
def test_a_short_soak_has_no_errors_and_no_crossed_sessions(
    tmp_path, each_database_url
):
    figures = soak(6, 3, 8, tmp_path, each_database_url)

    assert figures["errors"] == 0, figures["error_kinds"]
    assert figures["rounds"] >= figures["clients"]
    assert figures["flashes_checked"] == 2 * figures["rounds"]
