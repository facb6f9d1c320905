"""Bake the template over a set of answers and check what comes out."""

import html
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cookiecutter.exceptions import FailedHookException

import helpers

CONTEXTS = [
    pytest.param({}, id="defaults"),
    pytest.param(
        {"project_name": "Zoë's Café – Demo", "author_name": "Zoë O'Brien"},
        id="apostrophes-and-accents",
    ),
    pytest.param(
        {
            "project_name": 'He said "hi" \\ then left',
            "description": 'A "quoted" description with a \\ backslash',
        },
        id="quotes-and-backslashes",
    ),
    pytest.param({"project_name": "Ünïcødé セッション ☕"}, id="unicode"),
    pytest.param(
        # Cookiecutter renders answers given this way, so raw keeps the braces.
        {"project_name": "{% raw %}Curly {{ braces }} and {% tags %}{% endraw %}"},
        id="template-syntax",
    ),
    pytest.param(
        {
            "project_name": "'); import os; os.system('touch PWNED'); ('",
            "author_name": '"""; raise SystemExit  #',
        },
        id="python-code",
    ),
    pytest.param(
        {"package_name": "the_longest_package_name_the_hook_allows"},
        id="longest-package-name",
    ),
    pytest.param({"teaching_pages": False}, id="no-teaching-pages"),
    pytest.param(
        {
            "project_name": "{% raw %}Curly {{ braces }} and {% tags %}{% endraw %}",
            "teaching_pages": False,
        },
        id="template-syntax-no-teaching-pages",
    ),
]

# Template syntax the bake must have consumed. The app's own Jinja templates are
# copied as they are, so only a cookiecutter variable counts there.
UNRENDERED = re.compile(r"\{\{ ?cookiecutter\.|\{%")
UNRENDERED_IN_APP_TEMPLATES = re.compile(r"cookiecutter\.")


@pytest.fixture(scope="session", params=CONTEXTS)
def baked(request, cookies_session):
    result = cookies_session.bake(extra_context=request.param)
    assert result.exit_code == 0, result.exception
    return result


def answers(baked):
    return {
        key: value for key, value in baked.context.items() if isinstance(value, str)
    }


def test_bake_succeeds(baked):
    assert baked.exception is None
    assert (baked.project_path / "src" / baked.context["package_name"]).is_dir()


def test_no_template_syntax_is_left(baked):
    for path in baked.project_path.rglob("*"):
        if not path.is_file() or ".venv" in path.parts:
            continue
        text = path.read_text(errors="replace")
        for value in answers(baked).values():
            text = text.replace(value, "").replace(json.dumps(value)[1:-1], "")
        pattern = (
            UNRENDERED_IN_APP_TEMPLATES if "templates" in path.parts else UNRENDERED
        )
        assert not pattern.search(text), path


# Every bake's smoke test: its app starts and serves its home page.
SERVE_HOME_PAGE = """\
import json
from {package} import create_app

app = create_app(
    {{
        "SECRET_KEY": "k" * 32,
        "SQLALCHEMY_DATABASE_URI": "sqlite://",
        "TRUSTED_HOSTS": ["localhost"],
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_DEFAULT_SENDER": "no-reply@localhost",
    }}
)
page = app.test_client().get("/")
print(json.dumps([page.status_code, app.config["PROJECT_NAME"], page.text]))
"""


def test_answers_arrive_as_data(baked, baked_python):
    script = SERVE_HOME_PAGE.format(package=baked.context["package_name"])
    result = helpers.run(
        [baked_python, "-c", script],
        cwd=baked.project_path,
        env={"PYTHONPATH": "src"},
    )

    assert result.returncode == 0, result.stderr
    status, name, page = json.loads(result.stdout)
    assert status == 200
    assert name == baked.context["project_name"]
    assert f"<title>Home · {name}</title>" in html.unescape(page)
    assert not (baked.project_path / "PWNED").exists()


def test_ruff_check_is_clean(baked):
    result = helpers.run(
        [sys.executable, "-m", "ruff", "check", "."], cwd=baked.project_path
    )

    assert result.returncode == 0, result.stdout


def test_ruff_format_is_clean(baked):
    result = helpers.run(
        [sys.executable, "-m", "ruff", "format", "--check", "."], cwd=baked.project_path
    )

    assert result.returncode == 0, result.stdout


# The default bake runs its whole suite in test_readme.py. The names' variants
# differ from it in their answers alone, which the tests above cover.
def test_the_whole_suite_passes_without_the_teaching_pages(
    baked_suite_runs, project_without_teaching_pages, baked_python
):
    result = baked_suite_runs["without-teaching-pages"].result()
    # The run leaves out the container tests, and nothing else.
    container_tests = helpers.run_suite(
        baked_python,
        project_without_teaching_pages,
        "--collect-only",
        "-m",
        "container",
    )

    assert result.returncode == 0, result.stdout[-3000:]
    counts = re.search(r"\d+ passed, (\d+) deselected", result.stdout)
    assert counts, result.stdout[-3000:]
    assert f"{counts.group(1)}/" in container_tests.stdout


# What the teaching pages own, the one list the post-gen hook deletes.
TEACHING_PAGES_PATHS = json.loads((helpers.TEMPLATE / "cookiecutter.json").read_text())[
    "_teaching_pages_paths"
]
TEMPLATE_FOLDER = helpers.TEMPLATE / "{{cookiecutter.project_slug}}"


def baked_files(project):
    """The baked files by their path in the project, but for tools' leftovers."""
    return {
        path.relative_to(project): path
        for path in project.rglob("*")
        if path.is_file()
        and not {".venv", ".ruff_cache", "__pycache__", ".pytest_cache"}
        & set(path.parts)
    }


def teaching_paths(package):
    return [Path(path.format(package_name=package)) for path in TEACHING_PAGES_PATHS]


def test_the_teaching_pages_are_baked_only_when_asked_for(baked):
    project = baked.project_path
    paths = teaching_paths(baked.context["package_name"])

    present = [path for path in paths if (project / path).is_dir()]

    assert present == (paths if baked.context["teaching_pages"] else [])


def test_a_bake_without_the_teaching_pages_serves_no_javascript(baked):
    package = baked.project_path / "src" / baked.context["package_name"]
    served = [package / "static", package / "teaching"]

    scripts = [path for folder in served for path in folder.rglob("*.mjs")]

    assert bool(scripts) is baked.context["teaching_pages"]


def test_without_the_teaching_pages_a_bake_only_lacks_their_folders(cookies):
    with_pages, without = (
        cookies.bake(extra_context={"teaching_pages": answer})
        for answer in (True, False)
    )
    files = baked_files(with_pages.project_path)
    kept = baked_files(without.project_path)
    owned = teaching_paths(with_pages.context["package_name"])

    assert set(files) - set(kept) == {
        path for path in files if any(path.is_relative_to(own) for own in owned)
    }
    assert set(kept) <= set(files)
    # Each bake has a secret key of its own in .env.
    differ = [
        path
        for path in kept
        if path != Path(".env") and kept[path].read_bytes() != files[path].read_bytes()
    ]
    assert differ == []


# What made the teaching pages optional before they were one blueprint: Jinja
# conditionals on the answer, and markers around lines for the hook to cut.
TEACHING_CONDITIONS = re.compile(
    r"cookiecutter\.teaching_pages|(<!--|/\*) (end of )?teaching pages (-->|\*/)"
)


def test_only_the_teaching_pages_own_files_depend_on_the_answer():
    owned = teaching_paths("{{cookiecutter.package_name}}")
    dependent = [
        path
        for path, file in baked_files(TEMPLATE_FOLDER).items()
        if not any(path.is_relative_to(own) for own in owned)
        and TEACHING_CONDITIONS.search(file.read_text(errors="replace"))
    ]

    assert dependent == []


@pytest.mark.parametrize(("answer", "baked"), [("no", False), ("yes", True)])
def test_the_teaching_pages_answer_works_on_the_command_line(tmp_path, answer, baked):
    cookiecutter = Path(sys.executable).parent / "cookiecutter"
    result = helpers.run(
        [
            cookiecutter,
            "--no-input",
            "-o",
            tmp_path,
            helpers.TEMPLATE,
            f"teaching_pages={answer}",
        ],
        cwd=tmp_path,
    )

    assert result.returncode == 0, result.stderr
    package = tmp_path / "flask-signed-session" / "src" / "flask_signed_session"
    assert (package / "teaching").is_dir() is baked


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"package_name": "class"}, "is a Python keyword"),
        ({"package_name": "json"}, "would shadow the standard library"),
        ({"package_name": "flask"}, "would shadow a package the project depends on"),
        ({"package_name": "1st_app"}, "not starting with a digit"),
        ({"package_name": "my-app"}, "must be lowercase ASCII letters"),
        ({"package_name": "café"}, "must be lowercase ASCII letters"),
        ({"project_slug": "My App"}, "project_slug 'My App' must be lowercase"),
        ({"project_slug": "flask"}, "is the name of a package the project depends on"),
        ({"package_name": "a" * 41}, "is longer than 40 characters"),
        ({"author_email": "not-an-address"}, "is not an email address"),
    ],
)
def test_an_unusable_answer_fails_in_the_hook(cookies, capfd, context, message):
    result = cookies.bake(extra_context=context)

    assert result.exit_code != 0
    assert isinstance(result.exception, FailedHookException)
    assert message in capfd.readouterr().err
    assert result.project_path is None


def test_each_bake_gets_its_own_secret_key(cookies):
    keys = []
    for _ in range(2):
        result = cookies.bake()
        env = (result.project_path / ".env").read_text()
        keys.append(re.search(r"^FLASK_SECRET_KEY=([0-9a-f]{64})$", env, re.M).group(1))

    assert keys[0] != keys[1]


def test_the_secret_key_never_reaches_git(default_project):
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]
    key = (default_project / ".env").read_text().split("FLASK_SECRET_KEY=")[1].strip()
    subprocess.run([*git, "init", "-q"], cwd=default_project, check=True)
    subprocess.run([*git, "add", "-A"], cwd=default_project, check=True)

    ignored = helpers.run(["git", "check-ignore", ".env"], cwd=default_project)
    tracked = helpers.run(["git", "grep", "--cached", "-l", key], cwd=default_project)

    assert ignored.returncode == 0
    assert tracked.stdout == ""
