"""A key rotation to watch from the session viewer, in debug mode only.

The factory registers this blueprint only when the app starts in debug
mode, so that anywhere else the route does not exist. Refusing inside
the view would not do: CSRF protection runs before it, and would answer
a POST without a token with 400 rather than 404.
"""

import secrets

from flask import Blueprint, current_app, redirect, url_for

bp = Blueprint("rotation", __name__)


@bp.post("/session/rotate-key")
def rotate_key():
    """Make the current key the only fallback, and a fresh random key current."""
    config = current_app.config
    # This process only, and not in one step: the development server's
    # other threads may see the fallback change a moment before the key,
    # which is harmless because the old key verifies throughout. A real
    # rotation changes the settings of every instance (see the README).
    config["SECRET_KEY_FALLBACKS"] = [config["SECRET_KEY"]]
    config["SECRET_KEY"] = secrets.token_hex(32)
    current_app.extensions["key_rotations"] = rotations(current_app) + 1
    # No flash: it would change the session, so this response would sign
    # it again with the new key, and the viewer could never show a cookie
    # that a fallback key verified. The viewer tells of the rotation.
    return redirect(url_for("pages.viewer"))


def rotations(app):
    """How many times the demo has rotated ``app``'s key since it started."""
    return app.extensions.get("key_rotations", 0)
