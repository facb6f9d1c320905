"""Two gunicorn instances behind nginx, taking turns, on one PostgreSQL database.

The session lives in the cookie, so either instance can serve any
request; the users and the login throttle live in the shared database.
These tests walk visitors through the pair, then rotate the secret key
one instance at a time, as a real deployment must. nginx reads the
cookie too, with deploy/session.lua: it logs who made each request and
keeps /members/ for signed-in visitors.
"""

import contextlib
import http.client
import json
import re
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise
from pathlib import Path

import pytest
from itsdangerous.encoding import base64_encode

import databases
import helpers
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

MEMBERS_FILE = "/members/report.txt"
MEMBERS_TEXT = "For members only: this year's report.\n"
# The session_user format of deploy/nginx.conf: who, what, and the answer.
ACCESS_LOG_LINE = re.compile(
    r'\S+ - (?P<user>\S+) \[[^]]+\] "(?P<request>[^"]*)" (?P<status>\d+)'
)


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
        # nginx's workers give up root's rights, and tmp_path is root's
        # alone: the members' files go where any user may read them.
        self.site_root = Path(tempfile.mkdtemp(prefix="site-"))
        self.site_root.chmod(0o755)
        (self.site_root / "members").mkdir()
        (self.site_root / "members" / "report.txt").write_text(MEMBERS_TEXT)
        self.nginx_program = nginx_program
        self.proxy = self.make_proxy(START)

    def make_proxy(self, keys):
        return servers.nginx(
            self.nginx_program,
            self.port,
            self.ports.values(),
            self.folder,
            keys,
            self.site_root,
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

    def restart_proxy(self, keys):
        """Stop nginx and start it again with other keys in its environment."""
        self.proxy.stop()
        self.proxy = self.make_proxy(keys).start()

    def access_log(self):
        """(user, request line, status) for each request nginx served.

        nginx is stopped first, so that every line is written.
        """
        self.proxy.stop()
        text = (self.folder / "access.log").read_text()
        return [
            (entry["user"], entry["request"], int(entry["status"]))
            for entry in map(ACCESS_LOG_LINE.match, text.splitlines())
        ]

    def stop(self):
        self.proxy.stop()
        for instance in self.instances.values():
            instance.stop()
        shutil.rmtree(self.site_root)


@contextlib.contextmanager
def running_cluster(folder, database_url):
    cluster = Cluster(folder, servers.require_nginx_lua(), database_url)
    try:
        for name in INSTANCES:
            cluster.start(name, START)
        cluster.proxy.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="module")
def started_cluster(tmp_path_factory, postgres_url):
    """A cluster for the module, and its database as it started.

    Starting one costs seconds (two gunicorns, nginx), so the tests that
    leave its members running as they are share it.
    """
    with running_cluster(tmp_path_factory.mktemp("cluster"), postgres_url) as cluster:
        yield cluster, databases.save_state(postgres_url)


@pytest.fixture
def cluster(started_cluster):
    """The module's cluster, its database put back as it started."""
    cluster, state = started_cluster
    assert databases.restore_state(cluster.database_url, state)
    return cluster


@pytest.fixture
def own_cluster(tmp_path, postgres_url):
    """A cluster for one test, which restarts its members or stops nginx
    to read the whole of its log."""
    with running_cluster(tmp_path, postgres_url) as cluster:
        yield cluster


@pytest.fixture
def visitor(cluster):
    return servers.Visitor(cluster.port)


def walk(visitor):
    """Visit each page of the site, twice over; return the pages."""
    paths = ["/", "/auth/password"]
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
        "/auth/register",
        {**fields, "email": "ada@example.com", "confirm": fields["password"]},
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


def test_a_rolling_key_rotation_signs_nobody_out(own_cluster):
    visitor = servers.Visitor(own_cluster.port)
    log_in(visitor)

    for phase in (PHASE_ONE, PHASE_TWO):
        for name in INSTANCES:
            own_cluster.restart(name, phase)
            pages = walk(visitor)
            assert {signed_in_user(page) for page in pages} == {USERNAME}
            assert {page.instance for page in pages} == set(INSTANCES)

    assert verifies_with(visitor.cookies["session"], NEW_KEY)


def test_a_one_phase_rotation_signs_a_bounced_visitor_out_only_there(own_cluster):
    visitor = servers.Visitor(own_cluster.port)
    log_in(visitor)
    # "one" signs with the new key at once; "two" has never heard of it.
    own_cluster.restart("one", PHASE_TWO)

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


def test_the_access_log_names_the_signed_in_user(own_cluster):
    visitor = servers.Visitor(own_cluster.port)
    visitor.get("/")
    log_in(visitor)
    pages = walk(visitor)
    user_id = session_data(visitor.cookies["session"], OLD_KEY)["user_id"]

    log = own_cluster.access_log()
    login = log.index(("-", "POST /auth/login HTTP/1.1", 302))
    signed_in = log[login + 1 :]

    assert {user for user, _, _ in log[: login + 1]} == {"-"}
    # The welcome page the login redirected to, then the walk.
    assert len(signed_in) == 1 + len(pages)
    assert {user for user, _, _ in signed_in} == {str(user_id)}


def test_nginx_serves_members_files_to_a_signed_in_visitor(visitor):
    log_in(visitor)

    page = visitor.get(MEMBERS_FILE)

    assert page.status == 200
    assert page.text == MEMBERS_TEXT
    # No X-Instance header: nginx answered alone.
    assert page.instance is None


def test_an_anonymous_visitor_is_sent_to_log_in_and_back(visitor):
    refused = visitor.get(MEMBERS_FILE)
    _, sent = visitor.submit(
        refused.location, {"username": USERNAME, "password": PASSWORD}
    )
    page = visitor.get(sent.location)

    assert refused.status == 302
    assert refused.location == "/auth/login?next=%2Fmembers%2Freport.txt"
    assert sent.location == MEMBERS_FILE
    assert page.text == MEMBERS_TEXT


def tamper(cookie):
    """The cookie with its payload rewritten to another user, signature kept."""
    data = session_data(cookie, OLD_KEY) | {"user_id": 2}
    payload = base64_encode(json.dumps(data, separators=(",", ":"))).decode()
    return ".".join([payload, *cookie.rsplit(".", 2)[1:]])


def test_a_forged_session_is_anonymous_to_nginx(own_cluster):
    visitor = servers.Visitor(own_cluster.port)
    log_in(visitor)
    visitor.cookies["session"] = tamper(visitor.cookies["session"])

    refused = visitor.get(MEMBERS_FILE)
    log = own_cluster.access_log()

    assert refused.status == 302
    assert refused.location.startswith("/auth/login?next=")
    assert log[-1] == ("-", f"GET {MEMBERS_FILE} HTTP/1.1", 302)


def test_nginx_logs_the_user_the_app_serves_whatever_the_cookie_header(own_cluster):
    visitor = servers.Visitor(own_cluster.port)
    log_in(visitor)
    cookie = visitor.cookies["session"]
    user_id = str(session_data(cookie, OLD_KEY)["user_id"])
    headers = [
        [f"session={cookie}"],
        [f"SESSION={cookie}"],
        [f"SESSION={cookie}; session=nothing"],
        [f"session=nothing; session={cookie}"],
        [f"session={cookie}; session=nothing"],
        [f'session="{cookie}"'],
        [f'x="; session=nothing"; session={cookie}'],
        [f"session={cookie}", "x=1"],
        [f"session={cookie}; x=1", "y=2"],
        ["x=1", f"session={cookie}"],
        [f"SESSION={cookie}", f"session={cookie}"],
    ]

    served = [
        signed_in_user(
            servers.visit_with_cookie_lines(own_cluster.port, f"/?case={case}", lines)
        )
        for case, lines in enumerate(headers)
    ]
    logged = {
        request.split()[1]: user
        for user, request, _ in own_cluster.access_log()
        if request.startswith("GET /?case=")
    }

    # Both outcomes happen, and for every header nginx and the app agree.
    assert set(served) == {USERNAME, None}
    assert [logged[f"/?case={case}"] for case in range(len(headers))] == [
        user_id if user == USERNAME else "-" for user in served
    ]


def test_nginx_follows_a_key_rotation_given_in_its_environment(own_cluster):
    visitor = servers.Visitor(own_cluster.port)
    log_in(visitor)
    user_id = session_data(visitor.cookies["session"], OLD_KEY)["user_id"]

    # nginx only verifies, so it learns each phase's keys with the instances.
    for phase in (PHASE_ONE, PHASE_TWO):
        own_cluster.restart_proxy(phase)
        for name in INSTANCES:
            own_cluster.restart(name, phase)
            walk(visitor)
            assert visitor.get(MEMBERS_FILE).text == MEMBERS_TEXT

    log = own_cluster.access_log()
    since_login = log[log.index(("-", "POST /auth/login HTTP/1.1", 302)) + 1 :]
    assert verifies_with(visitor.cookies["session"], NEW_KEY)
    assert {user for user, _, _ in since_login} == {str(user_id)}


def session_data(cookie, key):
    """The data of the session cookie, which ``key`` must verify."""
    app = create_app(
        {
            "SECRET_KEY": key,
            "SECRET_KEY_FALLBACKS": [],
            **helpers.SERVING_SETTINGS,
        }
    )
    return helpers.decoded(app, cookie).data


def verifies_with(cookie, key):
    """Whether ``key`` alone verifies the session cookie."""
    app = create_app(
        {
            "SECRET_KEY": key,
            "SECRET_KEY_FALLBACKS": [],
            **helpers.SERVING_SETTINGS,
        }
    )
    try:
        helpers.decoded(app, cookie)
    except InvalidSessionCookie:
        return False
    return True
