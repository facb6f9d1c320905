"""The benchmark runs with the command in bench/README.md and writes every figure."""

import json
import math
import os
import shutil

import pytest

import helpers


@pytest.fixture(scope="module")
def bench_results(tmp_path_factory):
    """The benchmark's documented command, cut to one short repeat of everything."""
    if not shutil.which("ab"):
        # The README's test command needs only Python; .ci/run installs ab
        # and sets REQUIRE_BENCH=1, so that there a skip is a failure.
        reason = "ApacheBench is not installed: apt-get install apache2-utils"
        if os.environ.get("REQUIRE_BENCH") == "1":
            pytest.fail(f"{reason}, and REQUIRE_BENCH=1 says this test must run")
        pytest.skip(reason)
    command = helpers.readme_command(
        helpers.TEMPLATE / "bench" / "README.md", "## Running it"
    )
    output = tmp_path_factory.mktemp("bench") / "bench.json"
    quick = f"{command} --repeats 1 --seconds 1 --runs 1 --json {output}"

    result = helpers.run(quick, helpers.TEMPLATE, shell=True, timeout=600)

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return json.loads(output.read_text())


def test_the_benchmark_measures_every_payload_route_and_target(bench_results):
    assert [row["payload"] for row in bench_results["sessions"]] == [
        "signed-in user",
        "+ 2 flashes, CSRF token",
        "2 KB payload",
        "2 KB, poorly compressible",
    ]
    # Without PostgreSQL's programs its rows are skipped with a reason (and
    # under REQUIRE_BENCH=1, which CI sets, the benchmark exits with an error).
    databases = ["sqlite", "postgresql"][: 2 - len(bench_results["skipped"])]
    assert list(bench_results["whole_app"]) == databases
    # A share of the signed-in page and a user-lookup target per database.
    # Three per payload, two for whole requests, two per database.
    assert len(bench_results["targets"]) == 3 * 4 + 2 + 2 * len(databases)
    assert all(math.isfinite(target["measured"]) for target in bench_results["targets"])
    assert bench_results["gunicorn"]["write_requests"] > 0
    assert bench_results["gunicorn"]["plain_requests"] > 0
    for row in bench_results["whole_app"].values():
        for route in ("signed_in", "anonymous", "home_signed_in", "home_anonymous"):
            assert row[route]["requests"] > 0
            assert 0 < row[route]["p50_ms"] <= row[route]["p99_ms"]
            cpu = row[route]["cpu_us_per_request"]
            assert 0 < cpu["app_server"] < cpu["machine"]
            assert 0 < cpu["ab"] < cpu["machine"]
        assert math.isfinite(row["epoch_check_us"])
    # SQLite runs inside gunicorn's workers; PostgreSQL's server is counted.
    assert (
        bench_results["whole_app"]["sqlite"]["signed_in"]["cpu_us_per_request"][
            "database"
        ]
        == 0
    )
    if "postgresql" in bench_results["whole_app"]:
        postgresql = bench_results["whole_app"]["postgresql"]
        assert postgresql["raw_psycopg_us"] > 0
        assert postgresql["signed_in"]["cpu_us_per_request"]["database"] > 0


def test_no_cookie_of_ours_is_larger_than_flasks(bench_results):
    # Sizes, unlike times, are the same on every run, so this target is a test.
    for row in bench_results["sessions"]:
        assert row["ours_cookie_bytes"] <= row["flask_cookie_bytes"], row["payload"]
