"""The README commands, of the template and of a baked project, work as written."""

import html
import re
import shutil
import subprocess

import helpers


def test_ci_runs_the_readme_test_command():
    command = helpers.readme_command(helpers.TEMPLATE / "README.md", "Run every test")

    assert command in (helpers.TEMPLATE / ".ci" / "run").read_text().splitlines()


def test_baked_readme_test_command_passes(default_project_tested):
    assert default_project_tested.returncode == 0, default_project_tested.stdout[-3000:]
    assert re.search(r"\d+ passed", default_project_tested.stdout)
    # The whole suite, as CI runs it.
    assert "deselected" not in default_project_tested.stdout


def test_a_plain_pytest_leaves_out_the_marks_that_all_adds(
    default_project, baked_python, default_project_tested
):
    def collected(*options):
        """The tests collected, by id."""
        result = helpers.run_suite(
            baked_python, default_project, "--collect-only", *options
        )
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        return {line for line in result.stdout.splitlines() if "::" in line}

    quick = collected()
    marked = collected("-m", "slow or browser or cluster or postgres or container")
    # What the README's command, pytest --all, ran, whatever the outcomes.
    outcomes = re.findall(
        r"(\d+) (?:passed|failed|skipped|xfailed|xpassed|errors?)\b",
        default_project_tested.stdout.splitlines()[-1],
    )
    everything = sum(map(int, outcomes))

    assert quick
    assert marked
    assert not quick & marked
    assert len(quick) + len(marked) == everything


def test_baked_readme_run_command_serves_the_app(default_project, tmp_path):
    # As in a fresh clone: git leaves the secret, the environment and the
    # instance folder behind.
    project = tmp_path / default_project.name
    shutil.copytree(
        default_project,
        project,
        ignore=shutil.ignore_patterns(".env", ".venv", "instance", "__pycache__"),
    )
    command = helpers.readme_command(project / "README.md", "Run the app on")
    first_user = helpers.readme_command(project / "README.md", "get a first user")
    port = helpers.free_port()

    with helpers.serving(command, project, port, {"FLASK_RUN_PORT": str(port)}, True):
        created = helpers.run(
            first_user, project, shell=True, input="a demo password\n" * 2
        )
        browser = helpers.Browser(f"http://127.0.0.1:{port}")
        home = browser.get("/")
        page = browser.submit(
            "/auth/login", {"username": "demo", "password": "a demo password"}
        )

    assert created.returncode == 0, created.stderr
    assert "FLASK_SECRET_KEY=" in (project / ".env").read_text()
    assert "Flask Signed Session" in home
    assert "Welcome, demo." in page


def test_template_readme_demo_command(tmp_path):
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=helpers.TEMPLATE,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\0")
    for name in filter(None, files):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(helpers.TEMPLATE / name, tmp_path / name)
    command = helpers.readme_command(tmp_path / "README.md", "Bake the template")
    port = helpers.free_port()

    with helpers.serving(
        command, tmp_path, port, {"PORT": str(port)}, shell=True
    ) as server:
        username, password = helpers.wait_for_log(
            server, r"log in as (\S+) / (\S+)"
        ).groups()
        browser = helpers.Browser(f"http://127.0.0.1:{port}")
        page = browser.submit(
            "/auth/login", {"username": username, "password": password}
        )
        viewer = browser.get("/session")
        (address,) = helpers.wait_for_log(
            server, r"a password reset for (\S+),"
        ).groups()
        browser.submit("/auth/forgot-password", {"email": address})
        # The app prints the mail it cannot send, once the page has gone.
        link = helpers.wait_for_log(
            server, rf"http://127\.0\.0\.1:{port}(/auth/reset/\S+)"
        )
        reset_page = browser.get(link.group(1))

    assert (tmp_path / "build" / "demo" / "flask-signed-session" / ".env").exists()
    assert "Welcome, demo." in page
    assert '"user_id": 1' in html.unescape(viewer)
    assert "Set a new password" in reset_page
