"""Where the teaching pages are served: debug, testing, or when asked for.

The viewer and the lab write the session cookie into their pages, where a
script injected into the site could read it: outside debug and testing
they exist only when ``TEACHING_PAGES`` is true.
"""

import pytest

import helpers
from {{ cookiecutter.package_name }} import create_app
from {{ cookiecutter.package_name }}.config import ConfigError

PRODUCTION = {
    "TESTING": False,
    "WTF_CSRF_ENABLED": True,
    **helpers.SERVING_SETTINGS,
}
PAGES = ["/session", "/session/lab"]
FILES = ["/session/session-cookie.mjs", "/session/static/session-viewer.mjs"]
SHARED_PAGES = ["/", "/auth/login", "/auth/register", "/no-such-page"]


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("path", PAGES + FILES)
def test_in_production_the_teaching_pages_do_not_exist(build_app, path, method):
    client = build_app(**PRODUCTION).test_client()

    assert client.open(path, method=method).status_code == 404


@pytest.mark.parametrize("path", SHARED_PAGES)
def test_in_production_no_page_links_to_them(build_app, path):
    client = build_app(**PRODUCTION).test_client()

    page = client.get(path).text

    assert 'href="/session' not in page


@pytest.mark.parametrize(
    "settings",
    [
        pytest.param({**PRODUCTION, "TEACHING_PAGES": True}, id="asked for"),
        pytest.param({**PRODUCTION, "DEBUG": True}, id="debug"),
        pytest.param({}, id="testing"),
    ],
)
@pytest.mark.parametrize("path", PAGES)
def test_the_pages_are_served_when_asked_for_in_debug_and_in_testing(
    build_app, settings, path
):
    client = build_app(**settings).test_client()

    assert client.get(path).status_code == 200
    assert '<a href="/session">Session viewer</a>' in client.get("/").text


def test_the_setting_comes_from_the_environment(build_app, monkeypatch):
    monkeypatch.setenv("FLASK_TEACHING_PAGES", "true")
    client = build_app(**PRODUCTION).test_client()

    assert client.get("/session").status_code == 200


def test_a_false_setting_keeps_them_away(build_app):
    client = build_app(**PRODUCTION, TEACHING_PAGES=False).test_client()

    assert client.get("/session").status_code == 404


@pytest.mark.parametrize("value", ["yes", "true", 1, 0, None, []], ids=repr)
def test_a_setting_that_is_not_true_or_false_is_refused(value):
    settings = {"SECRET_KEY": helpers.TEST_SECRET_KEY, "TEACHING_PAGES": value}

    with pytest.raises(ConfigError, match="TEACHING_PAGES must be true or false"):
        create_app({**settings, "TESTING": True})


def test_a_flask_command_prints_the_refusal_alone(tmp_path, monkeypatch):
    environment = {"FLASK_TEACHING_PAGES": "yes"}

    result = helpers.flask_command(["routes"], environment, tmp_path, monkeypatch)

    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith("Error: TEACHING_PAGES must be true or false, not 'yes'")
