"""The key rotation demo: debug mode only, and watched through the viewer."""

import re

import pytest

import helpers

ROTATE = "/session/rotate-key"


@pytest.fixture
def app(build_app):
    """The app started in debug mode, the only mode that has the demo."""
    return build_app(DEBUG=True)


def verified_by(page):
    """What the viewer says about the key that verified the cookie, as text."""
    sentence = re.search(r'<p class="verified-by">(.*?)</p>', page, re.S).group(1)
    return " ".join(re.sub(r"<[^>]+>", "", sentence).split())


def logged_in_cookie(client, auth, app):
    """Log in, and show a page, so that the cookie holds its form token too."""
    auth.login()
    client.get("/")
    return helpers.session_cookie(client, app)


@pytest.mark.parametrize(
    "settings",
    [
        pytest.param({}, id="testing"),
        pytest.param(
            {
                "TESTING": False,
                "WTF_CSRF_ENABLED": True,
                **helpers.SERVING_SETTINGS,
                "TEACHING_PAGES": True,
            },
            id="production",
        ),
    ],
)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_the_demo_does_not_exist_outside_debug(build_app, settings, method):
    app = build_app(**settings)

    response = app.test_client().open(ROTATE, method=method)

    assert response.status_code == 404
    assert app.secret_key == helpers.TEST_SECRET_KEY


def test_the_viewer_offers_no_rotation_outside_debug(build_app, auth):
    client = build_app().test_client()
    client.post("/auth/login", data={"username": "test", "password": "test-password"})

    page = client.get("/session").text

    assert "Rotate the secret key" not in page


def test_the_viewer_offers_the_rotation_in_debug(client, auth):
    auth.login()

    page = client.get("/session").text

    assert f'<form method="post" action="{ROTATE}">' in page
    assert "Rotate the secret key (demo)</button>" in page


def test_a_rotation_needs_the_form_token(build_app):
    app = build_app(DEBUG=True, WTF_CSRF_ENABLED=True)

    response = app.test_client().post(ROTATE)

    assert response.status_code == 400
    assert app.secret_key == helpers.TEST_SECRET_KEY


def test_a_rotation_makes_the_current_key_the_only_fallback(client, app):
    response = client.post(ROTATE)

    assert response.status_code == 302
    assert response.location == "/session"
    assert app.config["SECRET_KEY_FALLBACKS"] == [helpers.TEST_SECRET_KEY]
    assert app.secret_key != helpers.TEST_SECRET_KEY
    assert len(app.secret_key) == 64


def test_a_second_rotation_forgets_the_first_key(client, app):
    client.post(ROTATE)
    first_new_key = app.secret_key

    client.post(ROTATE)

    assert app.config["SECRET_KEY_FALLBACKS"] == [first_new_key]
    assert helpers.TEST_SECRET_KEY not in (
        app.secret_key,
        *app.config["SECRET_KEY_FALLBACKS"],
    )


def test_the_rotation_leaves_the_cookie_as_it_was(client, auth, app):
    before = logged_in_cookie(client, auth, app)

    response = client.post(ROTATE)

    # No Set-Cookie: a cookie written here would already bear the new key.
    assert "Set-Cookie" not in response.headers
    assert helpers.session_cookie(client, app) == before


def test_the_viewer_shows_the_fallback_and_then_the_current_key(client, auth, app):
    before = logged_in_cookie(client, auth, app)
    client.post(ROTATE)

    first = client.get("/session").text
    resigned = helpers.session_cookie(client, app)
    second = client.get("/session").text

    assert verified_by(first).startswith("Signature checked: fallback key 1,")
    assert "this response signs the cookie again with the current key" in verified_by(
        first
    )
    assert verified_by(second).startswith("Signature checked: the current key,")
    old, new = helpers.cookie_fields(before), helpers.cookie_fields(resigned)
    assert new.payload == old.payload
    assert new.signature != old.signature
    assert helpers.session_cookie(client, app) == resigned


@pytest.mark.parametrize(
    ("rotations", "says"),
    [
        (1, "rotated its secret key 1 time."),
        (2, "rotated its secret key 2 times."),
    ],
)
def test_the_viewer_says_how_often_the_key_was_rotated(client, auth, rotations, says):
    auth.login()
    for _ in range(rotations):
        client.post(ROTATE)

    page = " ".join(client.get("/session").text.split())

    assert says in page


def test_a_cookie_from_two_rotations_ago_no_longer_verifies(client, auth, app):
    copy = logged_in_cookie(client, auth, app)
    client.post(ROTATE)
    client.get("/session")  # signs the session again with the new key
    client.post(ROTATE)

    page = client.post("/session/lab", data={"cookie": copy}).text

    assert 'data-verdict="bad-signature"' in page
