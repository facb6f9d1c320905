"""The ``flask session`` commands: read a session cookie, rotate the secret key."""

import json
import re
import secrets
from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import AppGroup

from .sessions import InvalidSessionCookie, decode
from .sessions.cookie import COOKIE_SHAPE, load_payload

# What a terminal would act on rather than show: control characters (C0,
# DEL, C1: cursor moves, colours, window titles), the bidirectional marks,
# embeddings, overrides and isolates that reorder the text around them,
# and lone surrogates, which cannot be encoded for output at all.
UNSHOWABLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)

session_cli = AppGroup(
    "session", help="Read session cookies and rotate the secret key."
)


@session_cli.command("decode")
@click.argument("cookie")
@click.option(
    "--unsafe",
    is_flag=True,
    help="Also show the payload of a cookie that does not verify, marked untrusted.",
)
def decode_command(cookie, unsafe):
    """Verify COOKIE with this app's keys and show what it holds.

    Give - as COOKIE to read it from standard input: a session cookie
    logs its holder in, and standard input keeps it out of the shell's
    history and of the process list.
    """
    if cookie == "-":
        cookie = read_cookie()
    interface = current_app.session_interface
    max_age = interface.get_max_age(current_app)
    try:
        decoded = decode(
            cookie,
            interface.signing_keys(current_app),
            max_age=max_age,
            salt=interface.salt,
        )
    except InvalidSessionCookie as error:
        if unsafe:
            show_untrusted(cookie)
        raise click.ClickException(escaped(str(error))) from None
    age = int((datetime.now(UTC) - decoded.signed_at).total_seconds())
    index = decoded.key_index
    if index == 0:
        key = "SECRET_KEY, the current key"
    else:
        key = f"fallback key {index}, SECRET_KEY_FALLBACKS[-{index}]"
    click.echo(f"Verified with: {key}")
    click.echo(
        f"Signed at:     {decoded.signed_at:%Y-%m-%d %H:%M:%S} UTC ({age} s ago,"
        f" valid for {max_age - age} s more)"
    )
    click.echo(f"Compressed:    {'yes' if decoded.compressed else 'no'}")
    click.echo(escaped_json(decoded.data))


def read_cookie():
    """The cookie on standard input, without the whitespace around it."""
    # Bytes that are not UTF-8 become U+FFFD, so that such input is
    # refused as a malformed cookie rather than with a traceback.
    with click.open_file("-", errors="replace") as stdin:
        cookie = stdin.read().strip()
    if not cookie:
        raise click.UsageError("no cookie on standard input.")
    return cookie


def escaped(text):
    """``text`` with every UNSHOWABLE character written as ``\\uXXXX``."""
    return UNSHOWABLE.sub(lambda match: f"\\u{ord(match[0]):04x}", text)


def escaped_json(data):
    """``data`` as indented JSON, with its UNSHOWABLE characters escaped.

    Escaping them all (``ensure_ascii=True``) would also hide every
    accented letter. ``json`` already escapes C0 characters in strings,
    so each raw newline is the indentation's, and kept; inside a string
    ``\\uXXXX`` is the same character in JSON, so the output still
    parses to the same data.
    """
    text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False)
    return "\n".join(escaped(line) for line in text.split("\n"))


def show_untrusted(cookie):
    """Print what an unverified cookie claims, unmistakably labelled."""
    if not COOKIE_SHAPE.fullmatch(cookie):
        click.echo("No payload to show: this is not a signed cookie at all.")
        return
    try:
        data = load_payload(cookie.rsplit(".", 2)[0])
    except InvalidSessionCookie as error:
        click.echo(f"No payload to show: {escaped(str(error))}.")
        return
    click.echo("UNTRUSTED: this cookie did not verify. Anyone could have written this:")
    click.echo(escaped_json(data))


@session_cli.command("new-key")
def new_key_command():
    """Print a new secret key, and the .env lines that rotate to it."""
    key = secrets.token_hex(32)
    # Oldest first, as SECRET_KEY_FALLBACKS lists them; the current key
    # becomes the newest fallback, so that its cookies keep working.
    fallbacks = [
        *(current_app.config.get("SECRET_KEY_FALLBACKS") or []),
        current_app.secret_key,
    ]
    # Comments, so that the whole output can replace the lines in .env.
    click.echo(
        "# Sessions signed with the old key keep working, and move to the new\n"
        "# key on their next request. Drop the old key from the fallbacks when\n"
        "# PERMANENT_SESSION_LIFETIME has passed since the switch.\n"
        "# With several instances, first give every instance the new key as a\n"
        "# fallback, and only then switch them to sign with it (docs/key-rotation.md)."
    )
    click.echo(f"FLASK_SECRET_KEY={key}")
    click.echo(f"FLASK_SECRET_KEY_FALLBACKS={single_quoted(json.dumps(fallbacks))}")


def single_quoted(value):
    """Quote for .env: python-dotenv reads single quotes literally, bar \\' and \\\\."""
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


def init_app(app):
    app.cli.add_command(session_cli)
