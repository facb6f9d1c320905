import logging
import threading
from typing import NamedTuple

import pytest
from flask import request

import databases
import helpers
from {{ cookiecutter.package_name }} import create_app
from {{ cookiecutter.package_name }}.config import ConfigError

# What nginx sends for a visitor of https://example.org, who sent an
# X-Forwarded-For of their own to pass for 10.0.0.1.
THROUGH_THE_PROXY = {
    "X-Forwarded-For": "10.0.0.1, 203.0.113.7",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "example.org",
}


@pytest.fixture
def make_app(database_url, monkeypatch):
    """Build the app as production runs it: not testing, CSRF on, and the
    site's hosts in the environment: the test client's, and the one the
    proxy forwards."""
    settings = {
        **helpers.SERVING_SETTINGS,
        "TRUSTED_HOSTS": ["localhost", "example.org"],
    }
    for name, value in helpers.environment_of(settings).items():
        monkeypatch.setenv(name, value)

    def make_app(**settings):
        app = create_app(
            {
                "SECRET_KEY": "a test key, long enough to be realistic: 0123456789",
                "SQLALCHEMY_DATABASE_URI": database_url,
                "PASSWORD_HASH_METHOD": databases.FAST_HASHES,
                **settings,
            }
        )

        @app.route("/where-from")
        def where_from():
            return {
                "address": request.remote_addr,
                "scheme": request.scheme,
                "host": request.host,
            }

        return app

    return make_app


def test_forwarded_headers_are_ignored_without_trusted_proxies(make_app):
    client = make_app().test_client()

    seen = client.get("/where-from", headers=THROUGH_THE_PROXY).json

    assert seen == {"address": "127.0.0.1", "scheme": "http", "host": "localhost"}


def test_a_trusted_proxy_gives_the_visitor_address_scheme_and_host(make_app):
    client = make_app(TRUSTED_PROXIES=1).test_client()

    seen = client.get("/where-from", headers=THROUGH_THE_PROXY).json

    # The address nginx added, not the one the visitor claimed.
    assert seen == {"address": "203.0.113.7", "scheme": "https", "host": "example.org"}


def test_behind_the_proxy_the_cookie_is_secure_and_redirects_stay_on_https(make_app):
    client = make_app(TRUSTED_PROXIES=1).test_client()

    response = client.get("/auth/password", headers=THROUGH_THE_PROXY)

    # A path without scheme or host: the browser resolves it against
    # https://example.org, where it already is.
    assert response.headers["Location"] == "/auth/login?next=/auth/password"
    assert "; Secure" in response.headers["Set-Cookie"]


class CrossSitePost(NamedTuple):
    trusted_proxies: int
    referrer: str
    status: int


@pytest.mark.parametrize(
    "case",
    [
        CrossSitePost(1, "https://example.org/auth/login", 302),
        # Over HTTPS Flask-WTF also checks that the form came from this host.
        CrossSitePost(1, "https://evil.example/", 400),
        # Without the proxy's word the app cannot know the visitor used
        # HTTPS, and that check is skipped.
        CrossSitePost(0, "https://evil.example/", 302),
    ],
)
def test_the_referrer_is_checked_once_the_app_knows_it_is_on_https(make_app, case):
    client = make_app(TRUSTED_PROXIES=case.trusted_proxies).test_client()
    form = client.get("/auth/login", headers=THROUGH_THE_PROXY).get_data(as_text=True)
    token = helpers.csrf_token(form)

    response = client.post(
        "/auth/login",
        headers={**THROUGH_THE_PROXY, "Referer": case.referrer},
        data={
            "username": "test",
            "password": helpers.TEST_PASSWORD,
            "csrf_token": token,
        },
    )

    assert response.status_code == case.status


def proxy_warnings(caplog):
    return [
        record
        for record in caplog.records
        if record.levelno == logging.WARNING and "TRUSTED_PROXIES" in record.message
    ]


@pytest.mark.parametrize("header", sorted(THROUGH_THE_PROXY))
def test_a_forwarded_header_without_trusted_proxies_warns_once(
    make_app, caplog, header
):
    client = make_app().test_client()

    for path in ("/", "/auth/login", "/healthz", "/no-such-page"):
        client.get(path, headers={header: THROUGH_THE_PROXY[header]})

    (warning,) = proxy_warnings(caplog)
    assert f"carries {header}, but TRUSTED_PROXIES is 0" in warning.message
    assert "FLASK_TRUSTED_PROXIES" in warning.message
    # What a client sent is not written to the log.
    assert THROUGH_THE_PROXY[header] not in warning.message


def test_requests_side_by_side_warn_once(make_app, caplog):
    app = make_app()
    start = threading.Barrier(8)

    def visit():
        client = app.test_client()
        start.wait()
        client.get("/healthz", headers=THROUGH_THE_PROXY)

    threads = [threading.Thread(target=visit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(proxy_warnings(caplog)) == 1


@pytest.mark.parametrize(
    ("settings", "headers"),
    [({}, {}), ({"TRUSTED_PROXIES": 1}, THROUGH_THE_PROXY)],
    ids=["no proxy", "trusted proxy"],
)
def test_no_proxy_warning_when_the_setting_fits(make_app, caplog, settings, headers):
    client = make_app(**settings).test_client()

    client.get("/", headers=headers)

    assert proxy_warnings(caplog) == []


@pytest.mark.parametrize("count", ["one", -1, True, 1.5])
def test_trusted_proxies_must_be_a_count(make_app, count):
    with pytest.raises(ConfigError, match="number of proxies in front of the app"):
        make_app(TRUSTED_PROXIES=count)


def test_no_instance_header_by_default(make_app):
    assert "X-Instance" not in make_app().test_client().get("/").headers


def test_instance_name_is_sent_on_every_response(make_app):
    client = make_app(INSTANCE_NAME="web-2").test_client()

    assert client.get("/").headers["X-Instance"] == "web-2"
    assert client.get("/no-such-page").headers["X-Instance"] == "web-2"


def test_production_responses_demand_https_for_a_year(make_app):
    response = make_app().test_client().get("/")

    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


@pytest.mark.parametrize("mode", ["TESTING", "DEBUG"])
def test_development_responses_do_not_demand_https(make_app, mode):
    response = make_app(**{mode: True}).test_client().get("/")

    assert "Strict-Transport-Security" not in response.headers


def test_trusted_hosts_come_from_the_environment(make_app, monkeypatch):
    monkeypatch.setenv("FLASK_TRUSTED_HOSTS", '["example.org"]')
    client = make_app().test_client()

    assert client.get("/", headers={"Host": "example.org"}).status_code == 200
    refused = client.get("/", headers={"Host": "evil.example"})
    assert refused.status_code == 400
    assert "Traceback" not in refused.text


# A visitor's request for another site, directly or through the proxy.
FOREIGN_HOSTS = [
    pytest.param({"Host": "evil.example"}, 0, id="host"),
    pytest.param({"Host": "evil.example:443"}, 0, id="host and port"),
    pytest.param({"Host": "localhost.evil.example"}, 0, id="subdomain of another"),
    pytest.param({"Host": "evil.example"}, 1, id="host behind the proxy"),
    pytest.param(
        {**THROUGH_THE_PROXY, "X-Forwarded-Host": "evil.example"},
        1,
        id="forwarded host",
    ),
]


@pytest.mark.parametrize(("headers", "proxies"), FOREIGN_HOSTS)
@pytest.mark.parametrize("path", ["/auth//login", "/static//style.css", "/"])
def test_a_request_for_another_host_gets_400_and_no_redirect(
    make_app, headers, proxies, path
):
    client = make_app(TRUSTED_PROXIES=proxies).test_client()

    response = client.get(path, headers=headers)

    assert response.status_code == 400
    assert "Location" not in response.headers


@pytest.mark.parametrize("path", ["/auth//login", "/static//style.css"])
def test_a_request_for_a_trusted_host_is_redirected_on_it(make_app, path):
    client = make_app().test_client()

    response = client.get(path, headers={"Host": "example.org"})

    assert response.status_code == 308
    assert response.location.startswith("http://example.org/")


@pytest.mark.parametrize("hosts", ["example.org", ["example.org", 1], {"a": 1}])
def test_trusted_hosts_must_be_a_list_of_names(make_app, hosts):
    with pytest.raises(ConfigError, match="TRUSTED_HOSTS must be a list of host names"):
        make_app(TRUSTED_HOSTS=hosts)


THREE_MEGABYTES = 3 * 1024 * 1024


@pytest.mark.parametrize("path", ["/auth/login", "/auth/register"])
def test_a_three_megabyte_form_is_refused_with_a_friendly_page(make_app, path):
    client = make_app().test_client()

    response = client.post(path, data={"username": "x" * THREE_MEGABYTES})

    assert response.status_code == 413
    assert "too large: this site accepts at most 1024 KB" in response.text
    assert "Traceback" not in response.text
