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
def default_project_tested(default_project):
    """The baked README's test command, run as written in the default bake.

    It leaves the baked project's virtual environment behind, which the
    other bakes reuse to run their own suites.
    """
    command = helpers.readme_command(default_project / "README.md", "Run the tests")
    return helpers.run(command, default_project, shell=True)


@pytest.fixture(scope="session")
def baked_python(default_project, default_project_tested):
    python = default_project / ".venv" / "bin" / "python"
    assert python.exists(), (
        default_project_tested.stdout + default_project_tested.stderr
    )
    return python
