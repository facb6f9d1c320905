"""The session viewer: the cookie this request arrived with, taken apart."""

from pathlib import Path

from flask import current_app, render_template, request, send_from_directory

from ..auth import session_free
from . import rotation
from .report import describe_cookie

# The JavaScript reader of the cookie format, beside the Python one in the
# session package, which every project keeps: Node's verifier imports it
# from there, and the viewer's script from the route below.
READER = Path(__file__).resolve().parent.parent / "sessions" / "session-cookie.mjs"


def viewer():
    """Take apart the session cookie this request arrived with."""
    name = current_app.session_interface.get_cookie_name(current_app)
    value = request.cookies.get(name)
    return render_template(
        "teaching/session.html",
        cookie_name=name,
        value=value,
        report=describe_cookie(name, value) if value else None,
        can_rotate=rotation.is_offered(current_app),
        rotations=rotation.rotations(current_app),
    )


@session_free
def cookie_reader():
    """The cookie format's reader, for the viewer's script to decode with."""
    # Browsers run a module only if it is served as JavaScript.
    return send_from_directory(READER.parent, READER.name, mimetype="text/javascript")
