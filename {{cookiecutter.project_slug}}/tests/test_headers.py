import pytest


@pytest.mark.parametrize("path", ["/", "/auth/login", "/no-such-page"])
def test_every_page_has_a_strict_content_security_policy(client, path):
    policy = client.get(path).headers["Content-Security-Policy"]

    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy


@pytest.mark.parametrize("path", ["/", "/static/style.css"])
def test_every_response_has_nosniff_and_a_referrer_policy(client, path):
    with client.get(path) as response:
        headers = response.headers

    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("path", ["/", "/auth/login", "/auth/password"])
def test_pages_that_show_the_session_are_never_cached(client, auth, path):
    auth.login()

    assert client.get(path).headers["Cache-Control"] == "no-store"


def test_static_files_may_be_cached(client):
    with client.get("/static/style.css") as response:
        assert "no-store" not in response.headers.get("Cache-Control", "")


def test_static_files_do_not_read_the_session(client, auth):
    auth.login()

    with client.get("/static/style.css") as response:
        assert "Cookie" not in response.headers.get("Vary", "")
