"""The template suite's fixtures: the default bake, tested once and shared.

Plain helpers are in ``helpers.py``.
"""

import pytest

import helpers


@pytest.fixture(scope="session")
def default_project(cookies_session):
    result = cookies_session.bake()
    assert result.exit_code == 0, result.exception
    return result.project_path


@pytest.fixture(scope="session")
def project_without_teaching_pages(cookies_session):
    result = cookies_session.bake(extra_context={"teaching_pages": False})
    assert result.exit_code == 0, result.exception
    return result.project_path


@pytest.fixture(scope="session")
def readme_test_runs(default_project, project_without_teaching_pages, tmp_path_factory):
    """The baked README's test command, run as written in the default bake and
    in the bake without the teaching pages: each makes the bake's virtual
    environment and runs its whole suite.

    The two run side by side, as much of each is spent waiting for servers
    and installs; ``result()`` waits for one.
    """
    command = helpers.readme_command(default_project / "README.md", "Run the tests")
    logs = tmp_path_factory.mktemp("readme-test-runs")
    return {
        project: helpers.Background(command, project, logs / f"{name}.log", True)
        for name, project in [
            ("default", default_project),
            ("without-teaching-pages", project_without_teaching_pages),
        ]
    }


@pytest.fixture(scope="session")
def default_project_tested(default_project, readme_test_runs):
    """The default bake's test run. It leaves the bake's virtual environment
    behind, which the other bakes reuse to run their own code."""
    return readme_test_runs[default_project].result()


@pytest.fixture(scope="session")
def baked_python(default_project, default_project_tested):
    python = default_project / ".venv" / "bin" / "python"
    assert python.exists(), default_project_tested.stdout
    return python
