import pytest

import servers


def test_a_missing_program_skips_its_tests(monkeypatch):
    monkeypatch.delenv("REQUIRE_TOOL", raising=False)

    with pytest.raises(pytest.skip.Exception, match="no-such-tool is not installed"):
        servers.require("no-such-tool", "REQUIRE_TOOL")


def test_a_missing_program_fails_when_required(monkeypatch):
    monkeypatch.setenv("REQUIRE_TOOL", "1")

    with pytest.raises(pytest.fail.Exception, match="REQUIRE_TOOL=1"):
        servers.require("no-such-tool", "REQUIRE_TOOL")


def test_a_present_program_is_found_by_path():
    assert servers.require("sh", "REQUIRE_TOOL").endswith("/sh")
