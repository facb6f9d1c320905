"""A key rotation to watch from the session viewer, in debug mode only.

The blueprint gets this route only when the app is in debug mode as it
registers the blueprint (:func:`add_in_debug`), so that anywhere else
the route does not exist. Refusing inside the view would not do: CSRF
protection runs before it, and would answer a POST without a token with
400 rather than 404.
"""

import secrets

from flask import current_app, redirect, url_for


def add_in_debug(state):
    """Add the rotation's route to the blueprint, if the app is in debug mode."""
    if state.app.debug:
        state.add_url_rule("/rotate-key", view_func=rotate_key, methods=["POST"])


def is_offered(app):
    """Whether ``app`` has the rotation's route."""
    return "teaching.rotate_key" in app.view_functions


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
    return redirect(url_for("teaching.viewer"))


def rotations(app):
    """How many times the demo has rotated ``app``'s key since it started."""
    return app.extensions.get("key_rotations", 0)
