"""The teaching pages as one blueprint: how the rest of the app reaches them."""

import re
import sys
from pathlib import Path
from urllib.parse import urljoin

import pytest

import helpers
from {{ cookiecutter.package_name }}.headers import CONTENT_SECURITY_POLICY

PAGES = ["/session", "/session/lab"]
VERIFIER = Path(__file__).resolve().parents[2] / "tools" / "verify-session.mjs"
READER_IMPORT = re.compile(r'from "([^"]*/session-cookie\.mjs)"')


@pytest.mark.parametrize("path", ["/", "/auth/login", "/no-such-page"])
def test_every_pages_navigation_links_to_the_viewer(client, path):
    page = client.get(path).text

    assert '<a href="/session">Session viewer</a>' in page


@pytest.mark.parametrize("logged_in", [False, True])
def test_the_home_pages_tour_starts_at_the_viewer_and_visits_the_lab(
    client, auth, logged_in
):
    if logged_in:
        auth.login()

    tour = re.search(r'<ol class="tour">(.*?)</ol>', client.get("/").text, re.S)[1]

    assert re.match(r'\s*<li>Open the <a href="/session">session viewer</a>', tour)
    assert 'href="/session/lab"' in tour


def test_without_the_package_the_app_has_no_teaching_page_nor_link(
    build_app, monkeypatch
):
    # What a project that deleted the folder has: no such module.
    monkeypatch.setitem(
        sys.modules,
        "{{ cookiecutter.package_name }}.teaching",
        None,
    )
    client = build_app(shared=False).test_client()

    home = client.get("/")

    assert home.status_code == 200
    assert 'href="/auth/login"' in home.text
    assert "/session" not in home.text
    assert client.get("/session").status_code == 404


@pytest.mark.parametrize("path", PAGES)
def test_the_teaching_pages_get_the_sites_security_headers(client, auth, path):
    auth.login()

    headers = client.get(path).headers

    assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", PAGES)
def test_the_teaching_pages_have_no_inline_script_or_style(client, auth, path):
    auth.login()

    assert helpers.inline_script_or_style(client.get(path).text) == []


@pytest.mark.parametrize(
    "path", ["/session/static/session-viewer.mjs", "/session/session-cookie.mjs"]
)
def test_the_viewers_modules_are_served_as_javascript(client, path):
    with client.get(path) as response:
        assert response.status_code == 200
        # Browsers refuse to run a module served under another type.
        assert response.mimetype == "text/javascript"


def test_the_viewers_script_imports_the_reader_that_node_uses(client):
    script = "/session/static/session-viewer.mjs"
    with client.get(script) as viewer:
        imported = READER_IMPORT.search(viewer.text)[1]
    node_imports = READER_IMPORT.search(VERIFIER.read_text())[1]

    with client.get(urljoin(script, imported)) as served:
        assert served.status_code == 200
        assert served.data == (VERIFIER.parent / node_imports).read_bytes()


@pytest.mark.parametrize(
    "path", ["/session/static/teaching.css", "/session/session-cookie.mjs"]
)
def test_the_blueprints_files_do_not_read_the_session(client, auth, path):
    auth.login()

    with client.get(path) as response:
        assert response.status_code == 200
        assert "Cookie" not in response.headers.get("Vary", "")
