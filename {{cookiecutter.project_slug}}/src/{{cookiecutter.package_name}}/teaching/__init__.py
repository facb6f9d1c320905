"""The teaching pages: the session viewer, the tamper lab and a key rotation.

One blueprint, whose templates, script and styles live in this folder,
its tests in ``tests/teaching/`` and its docs in ``docs/teaching/``. A
project that does not want the pages deletes those three folders and
nothing else: the factory registers the blueprint when this package is
there, and the shared pages link to it only through the templates it
brings, ``teaching/_nav.html`` and ``teaching/_tour.html``, which they
include when a registered blueprint provides them.
"""

from flask import Blueprint

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
