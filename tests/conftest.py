"""The template suite's fixtures: the bakes whose whole suites run, and those runs.

Plain helpers are in ``helpers.py``.
"""

import inspect
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


# Last, after pytest has grouped the tests by the bakes they share.
@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Order the tests around the baked suites that run in the background.

    First the tests that use the default bake's environment: the first of
    them makes it and starts the suites. Last the tests that wait for a
    suite's result. The rest run in between, while the suites run.
    """

    def order(item):
        asks_for = set(inspect.signature(item.obj).parameters)
        if asks_for & {"baked_suite_runs", "default_project_tested"}:
            return 2
        return 0 if "baked_python" in item.fixturenames else 1

    items.sort(key=order)


@pytest.fixture(scope="session")
def baked_suite_runs(default_project, project_without_teaching_pages, tmp_path_factory):
    """The long runs of baked suites, started together in the background.

    - "default": the baked README's test command, as written. Its install
      lines run first, waited for here; then its last line, the whole
      suite, runs in the background while the other tests use the
      environment it made.
    - "without-teaching-pages": that bake's whole suite, on the default
      bake's environment, but for the container test: the image differs
      only by the folder this bake lacks, and it is the longest test.
    - "3.x": the default bake's quick tests under the other Python of
      ``helpers.TESTED_PYTHONS``, if the machine has it, in a copy of the
      bake with an environment of its own (the baked ``test`` extra). It
      starts first, before the install.

    ``result()`` waits for one run; what still runs at the end is stopped.
    """
    folder = tmp_path_factory.mktemp("baked-suite-runs")

    def start(name, command, cwd):
        runs[name] = helpers.Background(command, cwd, folder / f"{name}.log", True)

    runs = {}
    # The README's command makes its environment with this one.
    readme_python = helpers.python_version(shutil.which("python3"))
    # First, as they need nothing of the default bake's environment: they
    # use the second core while one installs it.
    for version in helpers.TESTED_PYTHONS:
        python = helpers.python_named(version)
        if python is None or version == readme_python:
            continue
        copy = folder / f"python{version}" / default_project.name
        # Without what tests that ran before this one may have left in it.
        leftovers = shutil.ignore_patterns(".venv", ".git", "instance", "__pycache__")
        shutil.copytree(default_project, copy, ignore=leftovers)
        start(version, helpers.quick_suite_command(python, copy, copy.parent), copy)
    readme = helpers.readme_command(default_project / "README.md", "Run the tests")
    install, tests = readme.rsplit("\n", 1)
    installed = helpers.run(install, default_project, shell=True)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    start("default", tests, default_project)
    start(
        "without-teaching-pages",
        helpers.suite_command(
            default_project / ".venv" / "bin" / "python",
            project_without_teaching_pages,
            *("--all", "-m", "not container"),
        ),
        project_without_teaching_pages,
    )
    yield runs
    for run in runs.values():
        run.stop()


@pytest.fixture(scope="session")
def default_project_tested(baked_suite_runs):
    """The default bake's README test run."""
    return baked_suite_runs["default"].result()


@pytest.fixture(scope="session")
def baked_python(default_project, baked_suite_runs):
    """The default bake's environment, which the other bakes use to run
    their own code."""
    return default_project / ".venv" / "bin" / "python"
