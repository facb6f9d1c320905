import pytest

import helpers


@pytest.fixture
def app(app):
    app.config["WTF_CSRF_ENABLED"] = True
    return app


@pytest.mark.parametrize("path", ["/auth/login", "/auth/register", "/auth/logout"])
def test_post_without_a_token_is_refused_kindly(client, path):
    response = client.post(
        path, data={"username": "test", "password": helpers.TEST_PASSWORD}
    )

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "This form has expired" in page
    assert "Traceback" not in page


def test_post_with_the_token_from_the_form_succeeds(client):
    token = helpers.csrf_token(client.get("/auth/login").get_data(as_text=True))

    response = client.post(
        "/auth/login",
        data={
            "username": "test",
            "password": helpers.TEST_PASSWORD,
            "csrf_token": token,
        },
    )

    assert response.status_code == 302


def test_the_token_secret_lives_in_the_session(client):
    client.get("/auth/login")

    with client.session_transaction() as current:
        assert len(current["csrf_token"]) == 40


def test_the_expired_form_page_still_knows_the_user(client):
    token = helpers.csrf_token(client.get("/auth/login").get_data(as_text=True))
    client.post(
        "/auth/login",
        data={
            "username": "test",
            "password": helpers.TEST_PASSWORD,
            "csrf_token": token,
        },
    )

    response = client.post("/auth/password", data={"current_password": "x"})

    assert response.status_code == 400
    assert '<span class="who">test</span>' in response.text
