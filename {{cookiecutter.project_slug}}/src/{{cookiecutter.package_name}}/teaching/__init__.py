"""The teaching pages: the session viewer, the tamper lab and a key rotation.

One blueprint, whose templates, script and styles live in this folder,
its tests in ``tests/teaching/`` and its docs in ``docs/teaching/``. A
project that does not want the pages deletes those three folders and
nothing else: the factory hands the app to :func:`init_app` when this
package is there, and the shared pages link to it only through the
templates it brings, ``teaching/_nav.html`` and ``teaching/_tour.html``,
which they include when a registered blueprint provides them.
"""

from flask import Blueprint

from ..config import ConfigError, refusals_logged
from . import lab, rotation, viewer

bp = Blueprint(
    "teaching",
    __name__,
    url_prefix="/session",
    template_folder="templates",
    static_folder="static",
)
bp.add_url_rule("", view_func=viewer.viewer)
bp.add_url_rule("/session-cookie.mjs", view_func=viewer.cookie_reader)
bp.add_url_rule("/lab", view_func=lab.lab, methods=["GET", "POST"])
bp.record(rotation.add_in_debug)


def init_app(app):
    """Register the blueprint where the pages may be served.

    The viewer and the lab write the session cookie into their pages, so
    a script injected anywhere on the site could read a cookie that is
    otherwise ``HttpOnly``. They are served in debug and testing mode,
    and elsewhere only when the ``TEACHING_PAGES`` setting is true
    (``FLASK_TEACHING_PAGES=true``). Left unregistered, the blueprint
    adds no route, so its pages answer 404, and no template, so the
    shared pages show no link to them.
    """
    with refusals_logged(app):
        asked_for = checked_setting(app.config.setdefault("TEACHING_PAGES", False))
    if asked_for or app.debug or app.testing:
        app.register_blueprint(bp)


def checked_setting(value):
    """The ``TEACHING_PAGES`` setting, which must be true or false."""
    # The environment reads JSON: "1" or "yes" would be a number or text,
    # and a typo should not decide whether the cookie is shown.
    if not isinstance(value, bool):
        raise ConfigError(
            f"TEACHING_PAGES must be true or false, not {value!r}: set"
            " FLASK_TEACHING_PAGES=true to serve the teaching pages outside"
            " debug and testing, or leave it unset."
        )
    return value
