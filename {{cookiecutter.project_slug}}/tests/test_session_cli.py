import base64
import json
import re

import pytest
from dotenv import dotenv_values

import helpers
from {{ cookiecutter.package_name }} import create_app, session_cli
from {{ cookiecutter.package_name }}.sessions import InvalidSessionCookie

OLD_KEY = "the key before the last rotation, long enough"


def test_decode_shows_a_verified_cookie(runner, client, auth, app):
    auth.login()
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value

    result = runner.invoke(args=["session", "decode", cookie])

    assert result.exit_code == 0, result.output
    assert "Verified with: SECRET_KEY, the current key" in result.output
    assert re.search(
        r"Signed at: +\d{4}-\d\d-\d\d [\d:]{8} UTC \(\d s ago", result.output
    )
    compressed = "yes" if cookie.startswith(".") else "no"
    assert f"Compressed:    {compressed}" in result.output
    assert json.loads(result.output[result.output.index("{") :])["user_id"] == 1


def test_decode_names_the_fallback_key(runner, app):
    app.config["SECRET_KEY_FALLBACKS"] = [OLD_KEY]

    result = runner.invoke(
        args=["session", "decode", helpers.mint({"a": 1}, secret=OLD_KEY)]
    )

    assert result.exit_code == 0, result.output
    assert "fallback key 1, SECRET_KEY_FALLBACKS[-1]" in result.output


def test_decode_says_when_the_payload_was_compressed(runner, app):
    cookie = helpers.mint({"notes": ["a"] * 99})

    result = runner.invoke(args=["session", "decode", cookie])

    assert "Compressed:    yes" in result.output


@pytest.mark.parametrize(
    ("make_cookie", "reason"),
    [
        (
            lambda: helpers.mint({"user_id": 1}, secret="someone else's key"),
            "bad signature",
        ),
        (lambda: "not-a-cookie", "malformed"),
    ],
)
def test_decode_fails_with_the_reason(runner, make_cookie, reason):
    result = runner.invoke(args=["session", "decode", make_cookie()])

    assert result.exit_code == 1
    assert f"Error: {reason}" in result.output
    assert "UNTRUSTED" not in result.output
    assert "user_id" not in result.output


def test_decode_unsafe_shows_a_forged_payload_marked_untrusted(runner):
    forged = helpers.mint({"user_id": 1}, secret="someone else's key")

    result = runner.invoke(args=["session", "decode", "--unsafe", forged])

    assert result.exit_code == 1
    assert "UNTRUSTED: this cookie did not verify" in result.output
    assert '"user_id": 1' in result.output
    assert "Error: bad signature" in result.output


# A payload nested one level deeper than the format allows.
TOO_DEEP = base64.urlsafe_b64encode(b"[" * 65 + b"]" * 65).decode().rstrip("=")


@pytest.mark.parametrize(
    ("cookie", "says"),
    [
        ("not-a-cookie", "this is not a signed cookie at all"),
        ("bm90IGpzb24.aVW5AA.c2lnbmF0dXJl", "undecodable payload"),
        (
            f"{TOO_DEEP}.aVW5AA.c2lnbmF0dXJl",
            "undecodable payload: session[0]",
        ),
    ],
    ids=["not a cookie", "not JSON", "nested too deep"],
)
def test_decode_unsafe_says_when_there_is_nothing_to_show(runner, cookie, says):
    result = runner.invoke(args=["session", "decode", "--unsafe", cookie])

    assert result.exit_code == 1
    assert f"No payload to show: {says}" in result.output
    assert "UNTRUSTED" not in result.output


def test_decode_reads_the_cookie_from_standard_input(runner):
    result = runner.invoke(
        args=["session", "decode", "-"], input=f"{helpers.mint({'user_id': 1})}\n"
    )

    assert result.exit_code == 0, result.output
    assert "Verified with: SECRET_KEY, the current key" in result.output
    assert '"user_id": 1' in result.output


@pytest.mark.parametrize(
    ("stdin", "exit_code", "says"),
    [
        ("", 2, "Error: no cookie on standard input."),
        (" \n\t", 2, "Error: no cookie on standard input."),
        (b"\xff\xfe.\x80\x81.c2ln", 1, "Error: malformed"),
    ],
    ids=["empty", "blank", "not UTF-8"],
)
def test_decode_refuses_bad_standard_input_with_a_reason(
    runner, stdin, exit_code, says
):
    result = runner.invoke(args=["session", "decode", "-"], input=stdin)

    assert result.exit_code == exit_code
    assert says in result.output
    assert isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("char", helpers.UNSHOWABLE)
def test_decode_escapes_unshowable_characters_in_the_payload(runner, char):
    cookie = helpers.sign_json({f"key{char}": f"value{char}"})

    result = runner.invoke(args=["session", "decode", cookie])

    assert result.exit_code == 0, result.output
    assert char not in result.output
    assert result.output.count(helpers.escape_of(char)) == 2


@pytest.mark.parametrize("char", helpers.UNSHOWABLE)
def test_decode_unsafe_escapes_unshowable_characters_in_the_payload(runner, char):
    forged = helpers.sign_json(
        {f"key{char}": f"value{char}"}, secret="someone else's key"
    )

    result = runner.invoke(args=["session", "decode", "--unsafe", forged])

    assert "UNTRUSTED" in result.output
    assert char not in result.output
    assert result.output.count(helpers.escape_of(char)) == 2


@pytest.mark.parametrize("char", helpers.UNSHOWABLE)
def test_decode_escapes_unshowable_characters_in_the_reason(
    runner, app, monkeypatch, char
):
    def refuse(cookie, keys, **options):
        raise InvalidSessionCookie(f"malformed: the key {char} is odd", "malformed")

    monkeypatch.setattr(session_cli, "decode", refuse)

    result = runner.invoke(args=["session", "decode", helpers.mint({"a": 1})])

    assert result.exit_code == 1
    assert char not in result.output
    assert (
        f"Error: malformed: the key {helpers.escape_of(char)} is odd" in result.output
    )


def test_decode_escapes_a_lone_surrogate_in_the_refusal(runner):
    cookie = helpers.sign_json({"key\ud800": "value"})

    result = runner.invoke(args=["session", "decode", cookie])

    assert result.exit_code == 1
    assert "half of a surrogate pair" in result.output
    assert "\ud800" not in result.output
    assert helpers.escape_of("\ud800") in result.output


def test_decode_escaped_output_is_the_same_json(runner):
    data = {"name": "\u202etxt.exe\x9b", "\x1b[2J": [1, "\u2066"]}

    output = runner.invoke(args=["session", "decode", helpers.sign_json(data)]).output

    assert json.loads(output[output.index("{") :]) == data


def test_decode_shows_accented_letters_as_they_are(runner):
    cookie = helpers.mint({"name": "Zoë Ñuñez"})

    output = runner.invoke(args=["session", "decode", cookie]).output

    assert '"name": "Zoë Ñuñez"' in output


def test_new_key_prints_a_fresh_key_each_time(runner, app):
    keys = [
        re.search(r"^FLASK_SECRET_KEY=([0-9a-f]{64})$", output, re.M).group(1)
        for output in (runner.invoke(args=["session", "new-key"]).output for _ in "ab")
    ]

    assert keys[0] != keys[1]
    assert app.secret_key not in keys


def test_new_key_settings_rotate_without_logging_anyone_out(
    runner, app, tmp_path, monkeypatch
):
    app.config["SECRET_KEY_FALLBACKS"] = [OLD_KEY]
    current_cookie = helpers.mint({"user_id": 1})
    output = runner.invoke(args=["session", "new-key"]).output
    env_file = tmp_path / ".env"
    env_file.write_text(output)
    for name, value in dotenv_values(env_file).items():
        if name.startswith("FLASK_"):
            monkeypatch.setenv(name, value)

    rotated = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        }
    )

    assert rotated.config["SECRET_KEY_FALLBACKS"] == [OLD_KEY, app.secret_key]
    decoded = helpers.decoded(rotated, current_cookie)
    assert decoded.data == {"user_id": 1}
    assert decoded.key_index == 1


def test_new_key_quotes_keys_that_hold_quotes(runner, app, tmp_path):
    app.config["SECRET_KEY_FALLBACKS"] = ["it's \"quoted\" \\ and 'more'"]
    env_file = tmp_path / ".env"
    env_file.write_text(runner.invoke(args=["session", "new-key"]).output)

    fallbacks = json.loads(dotenv_values(env_file)["FLASK_SECRET_KEY_FALLBACKS"])

    assert fallbacks == ["it's \"quoted\" \\ and 'more'", app.secret_key]
