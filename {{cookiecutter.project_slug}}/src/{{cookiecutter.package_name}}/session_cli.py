"""The ``flask session`` commands: read a session cookie, rotate the secret key."""

import json
import secrets

import click
from flask import current_app
from flask.cli import AppGroup
from itsdangerous import BadPayload

from .sessions import COOKIE_SHAPE, InvalidSessionCookie, split_cookie

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
    """Verify COOKIE with this app's keys and show what it holds."""
    interface = current_app.session_interface
    try:
        session = interface.decode(current_app, cookie)
    except InvalidSessionCookie as error:
        if unsafe:
            show_untrusted(interface, cookie)
        raise click.ClickException(str(error)) from None
    age = session.age_seconds
    index = session.key_index
    if index == 0:
        key = "SECRET_KEY, the current key"
    else:
        key = f"fallback key {index}, SECRET_KEY_FALLBACKS[-{index}]"
    click.echo(f"Verified with: {key}")
    click.echo(
        f"Signed at:     {session.signed_at:%Y-%m-%d %H:%M:%S} UTC ({age} s ago,"
        f" valid for {interface.get_max_age(current_app) - age} s more)"
    )
    click.echo(f"Compressed:    {'yes' if session.compressed else 'no'}")
    click.echo(session.pretty_json())


def show_untrusted(interface, cookie):
    """Print what an unverified cookie claims, unmistakably labelled."""
    if not COOKIE_SHAPE.fullmatch(cookie):
        click.echo("No payload to show: this is not a signed cookie at all.")
        return
    payload = split_cookie(cookie)[0]
    # The first serializer has the size limit and the format; its key is unused.
    serializer = interface.get_serializers(current_app)[0]
    try:
        data = serializer.load_payload(payload.encode("ascii"))
    except BadPayload as error:
        click.echo(f"No payload to show: it cannot be decoded ({error}).")
        return
    click.echo("UNTRUSTED: this cookie did not verify. Anyone could have written this:")
    click.echo(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False))


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
