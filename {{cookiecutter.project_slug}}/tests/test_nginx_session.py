"""deploy/session.lua inside a real nginx: the shared vectors, and what only Lua needs.

One nginx, started for the module, runs locations of the test's own
that hand a case's cookie, keys and options to ``verify`` or
``session_user`` and answer with what they made of them, as JSON. The
site of ``deploy/nginx.conf`` itself shows the module at work on whole
requests: its access log and its ``/members/`` gate.
"""

import json
import os
import re
import shutil
import string
import subprocess
import tempfile
import time
import urllib.request
import zlib
from pathlib import Path

import pytest
import time_machine
from itsdangerous import TimestampSigner
from itsdangerous.encoding import base64_encode
from werkzeug.http import parse_cookie

import helpers
import servers
from {{ cookiecutter.package_name }} import create_app
from {{ cookiecutter.package_name }}.auth import holds_a_login
from {{ cookiecutter.package_name }}.sessions import (
    InvalidSessionCookie,
    decode,
)

pytestmark = pytest.mark.cluster

VECTORS_FILE = json.loads(
    (servers.PROJECT / "tests" / "vectors" / "sessions.json").read_text("utf-8")
)
VECTORS = VECTORS_FILE["vectors"]
DAY = 24 * 3600

# Locations for these tests alone. /verify: the request body is a case as
# JSON, the answer the outcome of verify(). /user: the same for
# session_user(). /request-user?now=...: session_user() on the request's
# own Cookie header, with the keys of nginx's environment.
VERIFY_SITE = string.Template(
    """\
lua_package_path "$deploy/?.lua;;";
# Loaded before the workers start, as in deploy/nginx.conf: they give up
# root's rights, and may then be unable to read the project's folder.
init_by_lua_block {
    cjson = require "cjson"
    session = require "session"
    session_keys = session.secrets_from_environment()
    -- The case in the request body.
    function read_case()
        ngx.req.read_body()
        return cjson.decode(ngx.req.get_body_data())
    end
    -- A *_from_environment reader's outcome, for the environment in the body.
    function from_environment(reader)
        local environment = read_case()
        return pcall(reader, function(name) return environment[name] end)
    end
}
client_body_buffer_size 1m;
client_max_body_size 1m;
server {
    listen 127.0.0.1:$port;
    location = /verify {
        content_by_lua_block {
            -- cjson writes numbers with 14 significant digits at most, too
            -- few to tell 2^53 - 1 from its neighbours: each number goes
            -- out as {"number": "%.17g"}, all the digits of a double.
            local function exact(value)
                if type(value) == "number" then
                    return {number = string.format("%.17g", value)}
                elseif type(value) == "table" then
                    local copy = {}
                    for key, item in pairs(value) do
                        copy[key] = exact(item)
                    end
                    return copy
                end
                return value
            end
            local case = read_case()
            local data, kind, key_index = session.verify(case.cookie, case.secrets, case.options)
            if not data then
                ngx.say(cjson.encode({kind = kind, detail = key_index}))
                return
            end
            ngx.say(cjson.encode({payload = exact(data), key_index = key_index}))
        }
    }
    location = /user {
        content_by_lua_block {
            local case = read_case()
            local user = session.session_user(case.header, case.secrets, case.options)
            ngx.say(cjson.encode({user = user or "-"}))
        }
    }
    location = /request-user {
        content_by_lua_block {
            local header = ngx.req.get_headers(0)["cookie"]
            local options = {now = tonumber(ngx.var.arg_now)}
            local user = session.session_user(header, session_keys, options)
            ngx.say(user and string.format("%d", user) or "-")
        }
    }
    location = /limits {
        content_by_lua_block {
            ngx.say(cjson.encode({
                max_depth = session.MAX_DEPTH,
                min_key_length = session.MIN_KEY_LENGTH,
                max_payload_size = session.MAX_PAYLOAD_SIZE,
                max_safe_integer = string.format("%.17g", session.MAX_SAFE_INTEGER),
                max_age = session.DEFAULT_MAX_AGE,
                max_login_age = session.DEFAULT_MAX_LOGIN_AGE,
            }))
        }
    }
    location = /lifetimes {
        content_by_lua_block {
            local ok, max_age, max_login_age =
                from_environment(session.lifetimes_from_environment)
            ngx.say(cjson.encode(ok and {max_age = max_age, max_login_age = max_login_age}
                or {error = max_age}))
        }
    }
    location = /secrets {
        content_by_lua_block {
            local ok, secrets = from_environment(session.secrets_from_environment)
            ngx.say(cjson.encode(ok and {secrets = secrets} or {error = secrets}))
        }
    }
}
"""
)


@pytest.fixture(scope="module")
def lua_nginx(tmp_path_factory):
    """The port of an nginx running the test's location, for the whole module."""
    program = servers.require_nginx_lua()
    folder = tmp_path_factory.mktemp("lua-nginx")
    port = servers.free_port()
    site = VERIFY_SITE.substitute(deploy=servers.PROJECT / "deploy", port=port)
    # The main context passes these through; this location does not read them.
    keys = {
        "FLASK_SECRET_KEY": helpers.TEST_SECRET_KEY,
        "FLASK_SECRET_KEY_FALLBACKS": "[]",
    }
    with servers.nginx_serving(program, port, folder, site, keys):
        yield port


def ask(port, path, body):
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode()
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def verify(port, cookie, secrets=(helpers.TEST_SECRET_KEY,), **options):
    case = {"cookie": cookie, "secrets": list(secrets), "options": options}
    return ask(port, "/verify", case)


def exact(value):
    """``value`` with its numbers written as the test's location writes them."""
    if isinstance(value, dict):
        return {key: exact(item) for key, item in value.items()}
    if isinstance(value, list):
        return [exact(item) for item in value]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return {"number": f"{value:.17g}"}
    return value


def sign_raw(payload, compress=False, signed_at=None):
    """A cookie holding ``payload`` bytes as they are, signed with the test key.

    It is signed now, or at ``signed_at`` (seconds since 1970).
    """
    field = base64_encode(zlib.compress(payload) if compress else payload)
    signer = TimestampSigner(helpers.TEST_SECRET_KEY, salt="cookie-session")
    if signed_at is None:
        return signer.sign(b"." + field if compress else field).decode()
    with time_machine.travel(signed_at, tick=False):
        return signer.sign(b"." + field if compress else field).decode()


@pytest.mark.parametrize("vector", VECTORS, ids=lambda vector: vector["name"])
def test_lua_reads_the_vector_as_python_and_node_do(lua_nginx, vector):
    outcome = verify(
        lua_nginx,
        vector["cookie"],
        vector["secrets"],
        salt=vector["salt"],
        max_age=vector["max_age"],
        now=vector["now"],
    )
    expected = vector["expected"]

    if "error" in expected:
        assert outcome["kind"] == expected["error"], outcome["detail"]
    else:
        assert outcome["payload"] == exact(expected["payload"])
        assert outcome["key_index"] == expected["key_index"]


# Payloads that Python's or JavaScript's JSON would read differently from
# cjson, which decodes every number as a double and is lenient in places.
@pytest.mark.parametrize(
    ("payload", "kind"),
    [
        pytest.param(b'{"id":9007199254740992}', "malformed", id="integer 2^53"),
        pytest.param(b'{"id":-9007199254740992}', "malformed", id="integer -2^53"),
        pytest.param(b'{"id":123456789012345678901}', "malformed", id="huge integer"),
        pytest.param(b'{"a":"9007199254740993"}', "valid", id="big digits in a string"),
        pytest.param(b'{"id":9007199254740991}', "valid", id="integer 2^53 - 1"),
        pytest.param(b'{"id":-9007199254740991}', "valid", id="integer -(2^53 - 1)"),
        pytest.param(b'{"ratio":1e300}', "valid", id="large float"),
        pytest.param(b'{"ratio":1E400}', "malformed", id="infinite float"),
        pytest.param(b'{"name":"\\ud800"}', "malformed", id="lone high surrogate"),
        pytest.param(b'{"name":"\\udfff"}', "malformed", id="lone low surrogate"),
        pytest.param(b'{"name":"\\ud800\\u0041"}', "malformed", id="unpaired high"),
        pytest.param(b'{"name":"\\\\ud800"}', "valid", id="escaped backslash"),
        pytest.param(b'{"name":"\\ud83c\\udf6a"}', "valid", id="surrogate pair"),
        pytest.param(b'{"name":"\xed\xa0\x80"}', "malformed", id="encoded surrogate"),
        pytest.param(b'{"name":"\xc0\xaf"}', "malformed", id="overlong UTF-8"),
        pytest.param(b'{"ratio":1.}', "malformed", id="number ending in a dot"),
        pytest.param(b'{"ratio":1.e5}', "malformed", id="dot before exponent"),
        pytest.param(b'{"ratio":NaN}', "malformed", id="NaN"),
        pytest.param(b'{"ratio":0x10}', "malformed", id="hexadecimal"),
        pytest.param(b'{"note":"a\ttab"}', "malformed", id="raw tab in a string"),
        pytest.param(b'{"note":"a\x01"}', "malformed", id="raw control character"),
        pytest.param(b'{"a":1}\x00{"b":2}', "malformed", id="NUL after the object"),
        pytest.param(b'\xef\xbb\xbf{"a":1}', "malformed", id="byte order mark"),
        pytest.param(b'[{"a":1}]', "malformed", id="array of an object"),
        pytest.param(b'{\n  "ratio": 2.5,\n  "n": 1\n}\n', "valid", id="indented"),
    ],
)
def test_lua_refuses_what_another_language_would_read_differently(
    lua_nginx, payload, kind
):
    outcome = verify(lua_nginx, sign_raw(payload))

    if kind == "valid":
        assert outcome.get("payload") == exact(json.loads(payload)), outcome
    else:
        assert outcome.get("kind") == kind, outcome


def compact_json(data):
    return json.dumps(data, separators=(",", ":")).encode()


def test_lua_inflates_a_compressed_payload_up_to_the_limit(lua_nginx):
    payload = compact_json({"a": "0" * (64 * 1024 - 8)})

    outcome = verify(lua_nginx, sign_raw(payload, compress=True))

    assert len(payload) == 64 * 1024
    assert outcome.get("payload") == exact(json.loads(payload))


def test_lua_stops_inflating_one_byte_past_the_limit(lua_nginx):
    payload = compact_json({"a": "0" * (64 * 1024 - 7)})

    outcome = verify(lua_nginx, sign_raw(payload, compress=True))

    assert len(payload) == 64 * 1024 + 1
    assert outcome.get("kind") == "malformed"
    assert "inflates past 65536 bytes" in outcome["detail"]


@pytest.mark.parametrize(("past_the_limit", "kind"), [(0, None), (1, "expired")])
def test_the_default_lifetime_is_the_apps_idle_timeout(lua_nginx, past_the_limit, kind):
    lifetime = create_app(
        {"SECRET_KEY": helpers.TEST_SECRET_KEY, **helpers.SERVING_SETTINGS}
    ).permanent_session_lifetime
    now = 1767225600
    signed_at = now - int(lifetime.total_seconds()) - past_the_limit

    outcome = verify(
        lua_nginx, helpers.mint({"user_id": 1}, signed_at=signed_at), now=now
    )

    assert outcome.get("kind") == kind


@pytest.mark.parametrize(
    ("environment", "secrets"),
    [
        pytest.param({"FLASK_SECRET_KEY": "k" * 32}, ["k" * 32], id="one key"),
        pytest.param(
            {"FLASK_SECRET_KEY": "new " * 8, "FLASK_SECRET_KEY_FALLBACKS": "[]"},
            ["new " * 8],
            id="no fallbacks",
        ),
        pytest.param(
            {
                "FLASK_SECRET_KEY": "newest " * 6,
                "FLASK_SECRET_KEY_FALLBACKS": json.dumps(["oldest " * 6, "older " * 6]),
            },
            ["newest " * 6, "older " * 6, "oldest " * 6],
            id="fallbacks newest first",
        ),
        pytest.param(
            {"FLASK_SECRET_KEY": json.dumps("a quoted key, long enough to pass")},
            ["a quoted key, long enough to pass"],
            id="key as JSON",
        ),
    ],
)
def test_lua_takes_the_keys_from_the_environment_as_the_app_does(
    lua_nginx, monkeypatch, environment, secrets
):
    monkeypatch.delenv("FLASK_SECRET_KEY_FALLBACKS", raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    app = create_app({**helpers.SERVING_SETTINGS})

    outcome = ask(lua_nginx, "/secrets", environment)

    assert outcome == {"secrets": secrets}
    assert list(app.session_interface.signing_keys(app)) == secrets


KEY = "a key for nginx, long enough to be realistic"


@pytest.mark.parametrize(
    ("environment", "error"),
    [
        ({}, "FLASK_SECRET_KEY is not set"),
        ({"FLASK_SECRET_KEY": "12345"}, "not as a string"),
        (
            {"FLASK_SECRET_KEY": KEY, "FLASK_SECRET_KEY_FALLBACKS": "an old key"},
            "must be a JSON list",
        ),
        (
            {"FLASK_SECRET_KEY": KEY, "FLASK_SECRET_KEY_FALLBACKS": '"an old key"'},
            "must be a JSON list",
        ),
        (
            {"FLASK_SECRET_KEY": KEY, "FLASK_SECRET_KEY_FALLBACKS": '{"k": "old"}'},
            "must be a JSON list",
        ),
        (
            {"FLASK_SECRET_KEY": KEY, "FLASK_SECRET_KEY_FALLBACKS": "[42]"},
            "keys as JSON strings",
        ),
        ({"FLASK_SECRET_KEY": "k" * 31}, "FLASK_SECRET_KEY is 31 bytes"),
        (
            {"FLASK_SECRET_KEY": KEY, "FLASK_SECRET_KEY_FALLBACKS": '["short"]'},
            "a key in FLASK_SECRET_KEY_FALLBACKS is 5 bytes",
        ),
    ],
    ids=str,
)
def test_nginx_refuses_to_start_with_keys_the_app_would_refuse(
    tmp_path, environment, error
):
    program = servers.require_nginx_lua()
    keys = {"SECRET_KEY": KEY}
    proxy = servers.nginx(program, servers.free_port(), (1, 2), tmp_path, keys)
    inherited = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("FLASK_SECRET_KEY")
    }

    # nginx -t skips init_by_lua, so nginx is started for real: it stops
    # at once, or this test fails when the wait runs out.
    result = subprocess.run(
        proxy.command,
        env={**inherited, **environment},
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert result.returncode != 0
    assert error in (tmp_path / "error.log").read_text()


def test_lua_keeps_the_limits_of_the_format(lua_nginx):
    limits = VECTORS_FILE["limits"]

    with urllib.request.urlopen(
        f"http://127.0.0.1:{lua_nginx}/limits", timeout=30
    ) as response:
        lua = json.loads(response.read())

    assert lua == {
        "max_depth": limits["max_depth"],
        "min_key_length": limits["min_key_length"],
        "max_payload_size": limits["max_payload_size"],
        "max_safe_integer": str(limits["max_safe_integer"]),
        "max_age": limits["max_age"],
        "max_login_age": limits["max_login_age"],
    }


NOW = 1767225600


def user(port, header, secrets=(helpers.TEST_SECRET_KEY,), **options):
    """What session_user() makes of a Cookie header, "-" for nobody."""
    case = {
        "header": header,
        "secrets": list(secrets),
        "options": {"now": NOW, **options},
    }
    return ask(port, "/user", case)["user"]


def login(user_id, issued_at=NOW, **more):
    return {"user_id": user_id, "epoch": 0, "issued_at": issued_at, **more}


def at_now(text):
    """JSON text with the time of the tests in place of NOW."""
    return text.replace("NOW", str(NOW))


def login_text(**values):
    """Session JSON text of a login, with ``values`` as literals in place."""
    fields = {"user_id": "7", "epoch": "0", "issued_at": str(NOW), **values}
    return "{" + ",".join(f'"{k}":{v}' for k, v in fields.items() if v) + "}"


# Session texts by what is odd in them; the proxy must find a login in
# exactly those where the app does.
LOGIN_TEXTS = {
    "a login": login_text(),
    "id 1.0": login_text(user_id="1.0"),
    "id 7e0": login_text(user_id="7e0"),
    "id -5": login_text(user_id="-5"),
    "id 0": login_text(user_id="0"),
    "id 2^31": login_text(user_id=str(2**31)),
    "id 2^31 - 1": login_text(user_id=str(2**31 - 1)),
    "id a string": login_text(user_id='"7"'),
    "id true": login_text(user_id="true"),
    "id a list": login_text(user_id="[7]"),
    "no epoch": login_text(epoch=""),
    "epoch a string": login_text(epoch='"0"'),
    "epoch 0.0": login_text(epoch="0.0"),
    "epoch null": login_text(epoch="null"),
    "epoch negative": login_text(epoch="-3"),
    "no issued_at": login_text(issued_at=""),
    "issued_at fractional": login_text(issued_at=f"{NOW}.5"),
    "issued_at .0": login_text(issued_at=f"{NOW}.0"),
    "issued_at negative": login_text(issued_at="-1"),
    "issued_at a string": login_text(issued_at='"1"'),
    "no id": login_text(user_id=""),
    "repeated id, the last an integer": at_now(
        '{"user_id":1.0,"epoch":0,"issued_at":NOW,"user_id":7}'
    ),
    "repeated id, the last a float": at_now(
        '{"user_id":7,"epoch":0,"issued_at":NOW,"user_id":7.0}'
    ),
    "escaped key": at_now('{"user\\u005fid":7,"epoch":0,"issued_at":NOW}'),
    "nested look-alikes": at_now(
        '{"x":{"user_id":1.0,"epoch":"no"},"user_id":7,"epoch":0,"issued_at":NOW}'
    ),
    "look-alike in a string": at_now(
        '{"s":"\\"user_id\\":1.0,","user_id":7,"epoch":0,"issued_at":NOW}'
    ),
    "spaced out": at_now('{ "user_id" : 7 , "epoch" : 0 , "issued_at" : NOW }'),
}


@pytest.mark.parametrize("text", LOGIN_TEXTS.values(), ids=LOGIN_TEXTS.keys())
def test_session_user_applies_the_apps_login_rules(lua_nginx, text):
    data = json.loads(text)
    expected = data["user_id"] if holds_a_login(data) else "-"

    found = user(lua_nginx, "session=" + sign_raw(text.encode(), signed_at=NOW))

    assert found == expected


A_COOKIE = helpers.mint(login(1), signed_at=NOW)
B_COOKIE = helpers.mint(login(2), signed_at=NOW)
COOKIES = {"a": A_COOKIE, "b": B_COOKIE, None: None}


def octal_first(cookie):
    return f"\\{ord(cookie[0]):03o}" + cookie[1:]


# Cookie headers and whose session the app reads in each, a table kept as
# data beside the session vectors.
HEADERS = [
    pytest.param(case["header"], case["session"], id=case["name"])
    for case in json.loads(
        (servers.PROJECT / "tests" / "vectors" / "cookie-headers.json").read_text()
    )["cases"]
]


def filled(header):
    lines = [header] if isinstance(header, str) else header
    cookies = {
        "a": A_COOKIE,
        "b": B_COOKIE,
        "a_escaped_dots": A_COOKIE.replace(".", "\\."),
        "a_octal_first": octal_first(A_COOKIE),
    }
    return [line.format(**cookies) for line in lines]


def verifies(cookie):
    try:
        decode(cookie, [helpers.TEST_SECRET_KEY], max_age=10**9)
    except InvalidSessionCookie:
        return False
    return True


@pytest.mark.parametrize(("header", "winner"), HEADERS)
def test_the_header_table_is_what_werkzeug_reads(header, winner):
    # gunicorn, and Werkzeug's own server, join a repeated header with ",".
    value = parse_cookie(",".join(filled(header))).get("session")

    if winner:
        assert value == COOKIES[winner]
    else:
        assert not value or not verifies(value)


def expected_user(winner):
    return {"a": 1, "b": 2, None: "-"}[winner]


@pytest.mark.parametrize(("header", "winner"), HEADERS)
def test_session_user_reads_the_header_as_werkzeug_does(lua_nginx, header, winner):
    lines = filled(header)
    given = lines[0] if isinstance(header, str) else lines

    assert user(lua_nginx, given) == expected_user(winner)


@pytest.mark.parametrize(("header", "winner"), HEADERS)
def test_nginx_reads_the_cookie_header_of_a_request_as_the_app_does(
    lua_nginx, header, winner
):
    page = servers.visit_with_cookie_lines(
        lua_nginx, f"/request-user?now={NOW}", filled(header)
    )

    assert page.text.strip() == str(expected_user(winner))


@pytest.mark.parametrize(
    ("header", "options", "found"),
    [
        pytest.param("session={a}", {"cookie_name": "SESSION"}, "-", id="other name"),
        pytest.param("SESSION={a}", {"cookie_name": "SESSION"}, 1, id="named"),
        pytest.param("session={a}", {"max_age": 59, "now": NOW + 60}, "-", id="idle"),
        pytest.param("session={a}", {"max_age": 60, "now": NOW + 60}, 1, id="not idle"),
        pytest.param(
            "session={a}",
            {"max_age": 3600, "max_login_age": 59, "now": NOW + 60},
            "-",
            id="login too old",
        ),
        pytest.param(
            "session={a}",
            {"max_age": 3600, "max_login_age": 60, "now": NOW + 60},
            1,
            id="login at its limit",
        ),
        pytest.param("session={a}", {"now": NOW - 1}, "-", id="future-dated"),
    ],
)
def test_session_user_takes_a_name_and_lifetimes(lua_nginx, header, options, found):
    assert user(lua_nginx, filled(header)[0], **options) == found


def test_a_login_that_would_end_after_pythons_last_date_is_none(lua_nginx):
    # datetime ends in 9999: the app cannot compute the login's end.
    last_second = 253402300799
    data = login(7, issued_at=last_second - 30 * DAY + 1)

    found = user(lua_nginx, "session=" + helpers.mint(data, signed_at=NOW))

    assert found == "-"


@pytest.mark.parametrize(
    "environment",
    [
        pytest.param({}, id="unset"),
        pytest.param({"FLASK_PERMANENT_SESSION_LIFETIME": "3600"}, id="idle"),
        pytest.param({"FLASK_SESSION_ABSOLUTE_LIFETIME": "86400"}, id="absolute"),
        pytest.param(
            {
                "FLASK_PERMANENT_SESSION_LIFETIME": "600.5",
                "FLASK_SESSION_ABSOLUTE_LIFETIME": "7200",
            },
            id="both",
        ),
    ],
)
def test_lua_takes_the_lifetimes_from_the_environment_as_the_app_does(
    lua_nginx, monkeypatch, environment
):
    for name in ("FLASK_PERMANENT_SESSION_LIFETIME", "FLASK_SESSION_ABSOLUTE_LIFETIME"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    app = create_app(
        {"SECRET_KEY": helpers.TEST_SECRET_KEY, **helpers.SERVING_SETTINGS}
    )

    outcome = ask(lua_nginx, "/lifetimes", environment)

    assert outcome == {
        "max_age": app.permanent_session_lifetime.total_seconds(),
        "max_login_age": app.config["SESSION_ABSOLUTE_LIFETIME"].total_seconds(),
    }


@pytest.mark.parametrize(
    "value", ["0", "-5", "an hour", '"3600"', "true", "1e400", "[3600]", "60.", "NaN"]
)
@pytest.mark.parametrize(
    "name", ["FLASK_PERMANENT_SESSION_LIFETIME", "FLASK_SESSION_ABSOLUTE_LIFETIME"]
)
def test_lua_refuses_a_lifetime_the_app_refuses(lua_nginx, monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(Exception, match=name.removeprefix("FLASK_")):
        create_app({"SECRET_KEY": helpers.TEST_SECRET_KEY})

    outcome = ask(lua_nginx, "/lifetimes", {name: value})

    assert name in outcome["error"]


MEMBERS_FILE = "/members/report.txt"
MEMBERS_TEXT = "For members only.\n"
# The session_user format of deploy/nginx.conf: who, what, and the answer.
ACCESS_LOG_LINE = re.compile(r'\S+ - (?P<user>\S+) \[[^]]+\] "[^"]*" (?P<status>\d+)')


@pytest.fixture
def site_root():
    """A folder of members' files that nginx's workers, not root, can read."""
    root = Path(tempfile.mkdtemp(prefix="site-"))
    root.chmod(0o755)
    (root / "members").mkdir()
    (root / "members" / "report.txt").write_text(MEMBERS_TEXT)
    yield root
    shutil.rmtree(root)


def sample_site(folder, site_root, settings=None):
    """deploy/nginx.conf, with no app behind it: /members/ is nginx's alone."""
    return servers.nginx(
        servers.require_nginx_lua(),
        servers.free_port(),
        (servers.free_port(), servers.free_port()),
        folder,
        {"SECRET_KEY": helpers.TEST_SECRET_KEY},
        site_root,
        settings,
    )


def members_visits(folder, site_root, header_lines, settings=None):
    """The statuses of a visit to /members/ per Cookie header, and who nginx logged.

    nginx is stopped before its log is read, so that every line is there.
    """
    proxy = sample_site(folder, site_root, settings)
    statuses = []
    with proxy:
        for lines in header_lines:
            page = servers.visit_with_cookie_lines(proxy.port, MEMBERS_FILE, lines)
            statuses.append(page.status)
    log = (folder / "access.log").read_text().splitlines()
    users = [ACCESS_LOG_LINE.match(line)["user"] for line in log]
    return statuses, users


def test_the_sample_site_reads_the_session_cookie_as_the_app_does(tmp_path, site_root):
    now = int(time.time())
    cookie = helpers.mint(login(5, issued_at=now))
    headers = [
        [f"session={cookie}"],
        [f"SESSION={cookie}"],
        [f"SESSION={cookie}; session=x"],
        [f'session="{cookie}"'],
        ["session=", f"session={cookie}"],
        [f"session={cookie}; x=1", "session=x"],
    ]

    statuses, users = members_visits(tmp_path, site_root, headers)

    assert statuses == [200, 302, 302, 200, 302, 200]
    assert users == ["5", "-", "-", "5", "-", "5"]


@pytest.mark.parametrize(
    ("settings", "signed_ago", "issued_ago", "status", "logged"),
    [
        pytest.param(
            {"PERMANENT_SESSION_LIFETIME": 3600}, 3000, 0, 200, "5", id="idle"
        ),
        pytest.param(
            {"PERMANENT_SESSION_LIFETIME": 3600}, 3700, 0, 302, "-", id="idle too long"
        ),
        pytest.param(
            {"SESSION_ABSOLUTE_LIFETIME": 7200}, 0, 7000, 200, "5", id="recent login"
        ),
        pytest.param(
            {"SESSION_ABSOLUTE_LIFETIME": 7200}, 0, 7400, 302, "-", id="old login"
        ),
        pytest.param({}, 3 * DAY, 0, 200, "5", id="default idle"),
        pytest.param({}, 8 * DAY, 0, 302, "-", id="past the default idle"),
    ],
)
def test_the_sample_site_takes_the_lifetimes_from_its_environment(
    tmp_path, site_root, settings, signed_ago, issued_ago, status, logged
):
    now = int(time.time())
    data = login(5, issued_at=now - issued_ago)
    cookie = helpers.mint(data, signed_at=now - signed_ago)

    statuses, users = members_visits(
        tmp_path, site_root, [[f"session={cookie}"]], settings
    )

    assert statuses == [status]
    assert users == [logged]


@pytest.mark.parametrize(
    "environment",
    [
        {"FLASK_PERMANENT_SESSION_LIFETIME": "0"},
        {"FLASK_SESSION_ABSOLUTE_LIFETIME": "a month"},
    ],
    ids=str,
)
def test_nginx_refuses_to_start_with_a_lifetime_the_app_would_refuse(
    tmp_path, site_root, environment
):
    proxy = sample_site(tmp_path, site_root)

    result = subprocess.run(
        proxy.command,
        env={**proxy.env, **environment},
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert result.returncode != 0
    assert next(iter(environment)) in (tmp_path / "error.log").read_text()


@pytest.mark.parametrize(
    ("environment", "length"),
    [
        ({"FLASK_SECRET_KEY": ""}, None),
        ({"FLASK_SECRET_KEY": "k"}, 1),
        ({"FLASK_SECRET_KEY": "k" * 31}, 31),
        ({"FLASK_SECRET_KEY": "é" * 15 + "k"}, 31),
        ({"FLASK_SECRET_KEY": KEY, "FLASK_SECRET_KEY_FALLBACKS": '["k"]'}, 1),
        (
            {
                "FLASK_SECRET_KEY": KEY,
                "FLASK_SECRET_KEY_FALLBACKS": f'["{KEY}", "{"k" * 31}"]',
            },
            31,
        ),
    ],
    ids=str,
)
def test_lua_refuses_keys_the_app_refuses_in_production(
    lua_nginx, monkeypatch, environment, length
):
    monkeypatch.delenv("FLASK_SECRET_KEY_FALLBACKS", raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(Exception, match="SECRET_KEY"):
        create_app({"TESTING": False, "TRUSTED_HOSTS": ["example.com"]})

    outcome = ask(lua_nginx, "/secrets", environment)

    assert "error" in outcome
    if length is not None:
        assert f"is {length} bytes" in outcome["error"]
