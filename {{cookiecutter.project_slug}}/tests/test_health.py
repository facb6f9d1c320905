"""/healthz: what a load balancer asks, answered without touching the session."""

import pytest

import helpers
from {{ cookiecutter.package_name }} import create_app


@pytest.fixture
def database_url(each_database_url):
    """The check asks the database itself, so it runs on SQLite and PostgreSQL."""
    return each_database_url


def test_healthz_says_ok_while_the_database_answers(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json == {"status": "ok"}


@pytest.mark.parametrize(
    "cookie",
    [None, "not a cookie", "signed in"],
    ids=["no cookie", "a broken cookie", "a signed-in cookie"],
)
def test_healthz_neither_reads_nor_writes_the_session(app, cookie):
    client = app.test_client(use_cookies=False)
    if cookie == "signed in":
        cookie = helpers.mint({"user_id": 1, "epoch": 0, "issued_at": helpers.now()})
    headers = {"Cookie": f"session={cookie}"} if cookie else {}

    response = client.get("/healthz", headers=headers)

    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert "Cookie" not in response.headers.get("Vary", "")


def test_healthz_answers_503_with_the_reason_when_the_database_does_not(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": helpers.TEST_SECRET_KEY,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'gone' / 'app.sqlite'}",
        }
    )

    response = app.test_client().get("/healthz")

    assert response.status_code == 503
    assert response.json == {
        "status": "unavailable",
        "reason": "the database does not answer",
    }
    assert "Set-Cookie" not in response.headers
