"""The template suite's fixtures: the bakes whose whole suites run, and those runs.

Plain helpers are in ``helpers.py``.
"""

import shutil

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
def baked_suite_runs(default_project, project_without_teaching_pages, tmp_path_factory):
    """The long runs of baked suites, started together in the background.

    - "default" and "without-teaching-pages": the baked README's test
      command, as written, in those two bakes; it makes the bake's virtual
      environment and runs the whole suite.
    - "3.x": the default bake's quick tests under each other Python the
      machine has, in a copy of the bake with an environment of its own.

    Much of each run waits for installs and servers, time the others
    fill. ``result()`` waits for one; what still runs at the end is stopped.
    """
    folder = tmp_path_factory.mktemp("baked-suite-runs")
    readme = helpers.readme_command(default_project / "README.md", "Run the tests")
    commands = {
        "default": (readme, default_project),
        "without-teaching-pages": (readme, project_without_teaching_pages),
    }
    # The README's command makes its environment with this one.
    readme_python = helpers.python_version(shutil.which("python3"))
    for version in helpers.PYTHONS:
        python = helpers.python_named(version)
        if python is None or version == readme_python:
            continue
        copy = folder / f"python{version}" / default_project.name
        shutil.copytree(
            default_project, copy, ignore=shutil.ignore_patterns(".venv", ".git")
        )
        commands[version] = (
            helpers.quick_suite_command(python, copy, copy.parent),
            copy,
        )
    runs = {
        name: helpers.Background(command, cwd, folder / f"{name}.log", shell=True)
        for name, (command, cwd) in commands.items()
    }
    yield runs
    for run in runs.values():
        run.stop()


@pytest.fixture(scope="session")
def default_project_tested(baked_suite_runs):
    """The default bake's README test run. It leaves the bake's virtual
    environment behind, which the other bakes reuse to run their own code."""
    return baked_suite_runs["default"].result()


@pytest.fixture(scope="session")
def baked_python(default_project, default_project_tested):
    python = default_project / ".venv" / "bin" / "python"
    assert python.exists(), default_project_tested.stdout[-3000:]
    return python
