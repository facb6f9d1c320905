"""Bake the template over a set of answers and check what comes out."""

import html
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

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

app = create_app({{"SECRET_KEY": "k" * 32, "SQLALCHEMY_DATABASE_URI": "sqlite://"}})
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
def test_the_whole_suite_passes_without_the_teaching_pages(baked_suite_runs):
    result = baked_suite_runs["without-teaching-pages"].result()

    assert result.returncode == 0, result.stdout[-3000:]
    assert re.search(r"\d+ passed", result.stdout)
    assert "deselected" not in result.stdout


# Baked only with the teaching pages; {package} is the package's name.
TEACHING_FILES = [
    "src/{package}/lab.py",
    "src/{package}/rotation.py",
    "src/{package}/templates/session.html",
    "src/{package}/templates/lab.html",
    "src/{package}/static/session-viewer.mjs",
    "tests/test_lab.py",
    "tests/test_rotation.py",
    "tests/test_request_life.py",
    "docs/request-life.md",
]
TEACHING_TRACES = re.compile(
    r"pages\.viewer|lab\.lab|/session/lab|session-viewer|CookieForm|rotate_key"
    r"|request-life"
)
# The post-gen hook's markers around the teaching pages' lines.
TEACHING_MARKER = re.compile(r"(<!--|/\*) (end of )?teaching pages (-->|\*/)")


def baked_files(project):
    return [
        path
        for path in project.rglob("*")
        if path.is_file()
        and not {".venv", ".ruff_cache", "__pycache__"} & set(path.parts)
    ]


def test_the_teaching_pages_are_baked_only_when_asked_for(baked):
    project, package = baked.project_path, baked.context["package_name"]
    present = [
        name
        for name in TEACHING_FILES
        if (project / name.format(package=package)).exists()
    ]
    traces = [
        path.relative_to(project)
        for path in baked_files(project)
        if path.suffix in {".py", ".html", ".css", ".mjs", ".md"}
        and TEACHING_TRACES.search(path.read_text())
    ]

    if baked.context["teaching_pages"]:
        assert present == TEACHING_FILES
    else:
        assert present == []
        assert traces == []
    # The hook's markers never reach a bake.
    for path in baked_files(project):
        assert not TEACHING_MARKER.search(path.read_text(errors="replace")), path


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
    assert (package / "lab.py").exists() is baked


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
    assert type(result.exception).__name__ == "FailedHookException"
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
