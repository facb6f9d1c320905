import pytest

import helpers


def test_index_invites_a_visitor_to_log_in(client):
    page = client.get("/").get_data(as_text=True)

    assert "You are not logged in" in page
    assert 'href="/auth/login"' in page


def test_index_greets_the_user(client, auth):
    auth.login()

    page = client.get("/").get_data(as_text=True)

    assert "You are logged in as <strong>test</strong>" in page


def test_the_home_page_shows_how_to_inflate_a_compressed_payload(client, auth, app):
    auth.login()
    page = client.get("/").text
    value = helpers.session_cookie(client, app)
    payload = value.rsplit(".", 2)[0]

    decoded = helpers.run_shown_command(page, payload)

    assert payload.startswith(".")  # a logged-in session is compressed
    assert decoded == helpers.decoded(app, value).data
    assert "starts with a dot" in page


@pytest.mark.parametrize("path", ["/", "/auth/login", "/auth/register"])
def test_pages_have_no_inline_script_or_style(client, auth, path):
    auth.login()
    page = client.get(path).get_data(as_text=True)

    assert helpers.inline_script_or_style(page) == []


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/no-such-page", 404), ("DELETE", "/", 405)],
)
def test_errors_get_a_friendly_page(client, method, path, status):
    response = client.open(path, method=method)

    assert response.status_code == status
    assert "Back to the home page" in response.get_data(as_text=True)


def test_a_405_page_keeps_the_allow_header(client):
    response = client.get("/auth/logout")

    assert "POST" in response.headers["Allow"]


def test_an_unexpected_error_shows_no_traceback(build_app):
    app = build_app(shared=False)
    app.config["TESTING"] = False
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    page = app.test_client().get("/boom").get_data(as_text=True)

    assert "Something went wrong" in page
    assert "secret internals" not in page
    assert "Traceback" not in page


def test_the_home_page_says_logging_out_clears_this_browser_only(client, auth):
    auth.login()

    text = " ".join(client.get("/").text.split())

    assert "Logging out clears the cookie in this browser only" in text
    assert "Signing out everywhere is what ends every copy" in text
