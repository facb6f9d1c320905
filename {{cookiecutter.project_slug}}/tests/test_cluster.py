"""Two gunicorn instances behind nginx, taking turns, on one PostgreSQL database.

The session lives in the cookie, so either instance can serve any
request; the users and the login throttle live in the shared database.
These tests walk visitors through the pair, then rotate the secret key
one instance at a time, as a real deployment must.
"""

import http.client
import re
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise

import pytest

import databases
import servers
from {{ cookiecutter.package_name }} import create_app
from {{ cookiecutter.package_name }}.sessions import InvalidSessionCookie

pytestmark = pytest.mark.cluster

OLD_KEY = "the key the cluster starts with, long enough to be realistic"
NEW_KEY = "the key the cluster rotates to, just as long and random-looking"
INSTANCES = ("one", "two")
USERNAME, PASSWORD = "grace", "a password for the cluster"

# The two phases of a rolling rotation. In each, every instance is
# restarted in turn, so for a while both configurations serve at once.
# Phase one teaches every instance the new key before any signs with it;
# phase two then switches signing to it, keeping the old one for cookies
# signed before.
START = {"SECRET_KEY": OLD_KEY}
PHASE_ONE = {"SECRET_KEY": OLD_KEY, "SECRET_KEY_FALLBACKS": [NEW_KEY]}
PHASE_TWO = {"SECRET_KEY": NEW_KEY, "SECRET_KEY_FALLBACKS": [OLD_KEY]}


def log_in(visitor):
    """Log in as the cluster's user; the form, the redirect and the page after."""
    form, sent = visitor.submit(
        "/auth/login", {"username": USERNAME, "password": PASSWORD}
    )
    assert sent.status == 302, sent.text
    return form, sent, visitor.get(sent.location)


def signed_in_user(page):
    who = re.search(r'<span class="who">([^<]*)</span>', page.text)
    return who[1] if who else None


class Cluster:
    """Two instances of the app on one database behind nginx."""

    def __init__(self, folder, nginx_program, database_url):
        self.folder = folder
        self.ports = {name: servers.free_port() for name in INSTANCES}
        self.port = servers.free_port()
        self.instances = {}
        self.database_url = database_url
        databases.prepare_database(database_url, users=[(USERNAME, PASSWORD)])
        self.proxy = servers.nginx(
            nginx_program, self.port, self.ports.values(), folder
        )

    def start(self, name, keys):
        settings = {
            **keys,
            "SQLALCHEMY_DATABASE_URI": self.database_url,
            "INSTANCE_NAME": name,
            "TRUSTED_PROXIES": 1,
        }
        log = self.folder / f"{name}.log"
        self.instances[name] = servers.gunicorn(self.ports[name], settings, log).start()

    def restart(self, name, keys):
        """Stop one instance and start it again with other keys.

        No request is made while it is down, so nginx never marks it
        failed and keeps taking turns between the two.
        """
        self.instances.pop(name).stop()
        self.start(name, keys)

    def stop(self):
        self.proxy.stop()
        for instance in self.instances.values():
            instance.stop()


@pytest.fixture
def cluster(tmp_path, postgres_url):
    program = servers.require("nginx", "REQUIRE_CLUSTER")
    cluster = Cluster(tmp_path, program, postgres_url)
    try:
        for name in INSTANCES:
            cluster.start(name, START)
        cluster.proxy.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def visitor(cluster):
    return servers.Visitor(cluster.port)


def walk(visitor):
    """Visit each page of the site, twice over; return the pages."""
    paths = ["/", {% if cookiecutter.teaching_pages %}"/session", {% endif %}"/auth/password"]
    pages = [visitor.get(path) for path in paths * 2]
    assert [page.status for page in pages] == [200] * len(pages)
    return pages


def test_nginx_takes_turns_between_the_instances(visitor):
    instances = [visitor.get("/").instance for _ in range(6)]

    assert set(instances) == set(INSTANCES)
    assert all(this != after for this, after in pairwise(instances))


def test_a_flash_made_by_one_instance_is_shown_by_the_other(visitor):
    refused = visitor.get("/auth/password")
    login_form = visitor.get(refused.location)

    assert refused.status == 302
    assert login_form.instance != refused.instance
    assert "Please log in to see that page." in login_form.text


def test_a_form_from_one_instance_is_accepted_by_the_other(visitor):
    form, sent, welcome = log_in(visitor)

    assert sent.instance != form.instance
    assert welcome.instance == form.instance
    assert "Welcome, grace." in welcome.text
    assert signed_in_user(welcome) == USERNAME


def test_an_account_made_on_one_instance_logs_in_on_the_other(cluster):
    visitor = servers.Visitor(cluster.port)
    fields = {"username": "ada", "password": "a password of ada's"}
    _, registered = visitor.submit(
        "/auth/register", {**fields, "confirm": fields["password"]}
    )
    # nginx takes turns: one request more, and the login's POST goes to
    # the instance that did not take the registration's.
    visitor.get("/")
    _, logged_in = visitor.submit("/auth/login", fields)

    assert registered.status == logged_in.status == 302
    assert registered.instance != logged_in.instance
    assert signed_in_user(visitor.get("/")) == "ada"


def test_signing_out_everywhere_on_one_instance_ends_the_cookie_on_both(
    cluster, visitor
):
    log_in(visitor)
    old_cookie = visitor.cookies["session"]
    _, signed_out = visitor.submit("/auth/sign-out-everywhere", {}, form_path="/")
    replays = []
    for _ in INSTANCES:
        replay = servers.Visitor(cluster.port)
        replay.cookies["session"] = old_cookie
        replays.append(replay.get("/"))

    assert signed_out.status == 302
    assert {page.instance for page in replays} == set(INSTANCES)
    assert {signed_in_user(page) for page in replays} == {None}
    assert all("signed out everywhere" in page.text for page in replays)


def test_guesses_spread_over_both_instances_share_one_throttle(cluster):
    def guess(_):
        visitor = servers.Visitor(cluster.port)
        fields = {"username": USERNAME, "password": "a wrong password"}
        form, sent = visitor.submit("/auth/login", fields)
        return form.instance, sent.instance, sent.status

    with ThreadPoolExecutor(max_workers=20) as pool:
        guesses = list(pool.map(guess, range(20)))

    assert {instance for _, instance, _ in guesses} == set(INSTANCES)
    assert sorted(status for *_, status in guesses) == [200] * 5 + [429] * 15


def test_the_session_holds_on_every_instance(visitor):
    log_in(visitor)

    pages = walk(visitor)

    assert {page.instance for page in pages} == set(INSTANCES)
    assert {signed_in_user(page) for page in pages} == {USERNAME}


def test_a_rolling_key_rotation_signs_nobody_out(cluster, visitor):
    log_in(visitor)

    for phase in (PHASE_ONE, PHASE_TWO):
        for name in INSTANCES:
            cluster.restart(name, phase)
            pages = walk(visitor)
            assert {signed_in_user(page) for page in pages} == {USERNAME}
            assert {page.instance for page in pages} == set(INSTANCES)

    assert verifies_with(visitor.cookies["session"], NEW_KEY)


def test_a_one_phase_rotation_signs_a_bounced_visitor_out_only_there(cluster, visitor):
    log_in(visitor)
    # "one" signs with the new key at once; "two" has never heard of it.
    cluster.restart("one", PHASE_TWO)

    pages = [visitor.get("/") for _ in range(4)]
    resigned = next(i for i, page in enumerate(pages) if page.instance == "one")
    bounced, back = pages[resigned + 1], pages[resigned + 2]

    assert signed_in_user(pages[resigned]) == USERNAME
    assert bounced.instance == "two"
    assert signed_in_user(bounced) is None
    # "two" left the cookie it could not verify in place, as Flask does.
    assert back.instance == "one"
    assert signed_in_user(back) == USERNAME


def test_a_request_for_another_host_gets_no_answer(cluster):
    connection = http.client.HTTPConnection("127.0.0.1", cluster.port, timeout=30)
    try:
        connection.request("GET", "/", headers={"Host": "evil.example"})
        with pytest.raises(http.client.RemoteDisconnected):
            connection.getresponse()
    finally:
        connection.close()


def verifies_with(cookie, key):
    """Whether ``key`` alone verifies the session cookie."""
    app = create_app({"SECRET_KEY": key, "SECRET_KEY_FALLBACKS": []})
    try:
        app.session_interface.decode(app, cookie)
    except InvalidSessionCookie:
        return False
    return True
