"""deploy/session.lua inside a real nginx: the shared vectors, and what only Lua needs.

One nginx, started for the module, runs a location of the test's own
that hands a case's cookie, keys and options to ``verify`` and answers
with what it made of them, as JSON.
"""

import json
import os
import string
import subprocess
import urllib.request
import zlib

import pytest
from itsdangerous import TimestampSigner
from itsdangerous.encoding import base64_encode

import helpers
import servers
from {{ cookiecutter.package_name }} import create_app

pytestmark = pytest.mark.cluster

VECTORS = json.loads(
    (servers.PROJECT / "tests" / "vectors" / "sessions.json").read_text("utf-8")
)["vectors"]
DAY = 24 * 3600

# A location for these tests alone: the request body is a case as JSON, the
# answer the outcome of verify(), and the user signed_in_user() finds.
VERIFY_SITE = string.Template(
    """\
lua_package_path "$deploy/?.lua;;";
# Loaded before the workers start, as in deploy/nginx.conf: they give up
# root's rights, and may then be unable to read the project's folder.
init_by_lua_block {
    require "session"
}
client_body_buffer_size 1m;
client_max_body_size 1m;
server {
    listen 127.0.0.1:$port;
    location = /verify {
        content_by_lua_block {
            local cjson = require "cjson"
            local session = require "session"
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
            ngx.req.read_body()
            local case = cjson.decode(ngx.req.get_body_data())
            local data, kind, key_index = session.verify(case.cookie, case.secrets, case.options)
            if not data then
                ngx.say(cjson.encode({kind = kind, detail = key_index}))
                return
            end
            local user = session.signed_in_user(data, case.options)
            ngx.say(cjson.encode({payload = exact(data), key_index = key_index, user = user}))
        }
    }
    location = /secrets {
        content_by_lua_block {
            local cjson = require "cjson"
            local session = require "session"
            ngx.req.read_body()
            local environment = cjson.decode(ngx.req.get_body_data())
            local ok, secrets = pcall(session.secrets_from_environment, function(name)
                return environment[name]
            end)
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


def sign_raw(payload, compress=False):
    """A cookie holding ``payload`` bytes as they are, signed now with the test key."""
    field = base64_encode(zlib.compress(payload) if compress else payload)
    signer = TimestampSigner(helpers.TEST_SECRET_KEY, salt="cookie-session")
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
        {"SECRET_KEY": helpers.TEST_SECRET_KEY}
    ).permanent_session_lifetime
    now = 1767225600
    signed_at = now - int(lifetime.total_seconds()) - past_the_limit

    outcome = verify(
        lua_nginx, helpers.mint({"user_id": 1}, signed_at=signed_at), now=now
    )

    assert outcome.get("kind") == kind


@pytest.mark.parametrize(
    ("data", "user"),
    [
        pytest.param({"user_id": 7, "issued_at": 0}, 7, id="signed in"),
        pytest.param({"user_id": 7, "issued_at": -30 * DAY}, 7, id="at the limit"),
        pytest.param({"user_id": 7, "issued_at": -30 * DAY - 1}, None, id="too old"),
        pytest.param({"user_id": 7}, None, id="no login time"),
        pytest.param({"user_id": "7", "issued_at": 0}, None, id="id not a number"),
        pytest.param({"user_id": 7.5, "issued_at": 0}, None, id="id not an integer"),
        pytest.param({"_flashes": [["info", "Hello"]]}, None, id="anonymous"),
    ],
)
def test_a_session_is_signed_in_as_the_app_would_see_it(lua_nginx, data, user):
    now = 1767225600
    if "issued_at" in data:
        data = {**data, "issued_at": now + data["issued_at"]}

    outcome = verify(lua_nginx, helpers.mint(data, signed_at=now), now=now)

    assert outcome["payload"] == exact(data)
    assert outcome.get("user") == user


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
    app = create_app()

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
