"""The home page."""

from flask import Blueprint, render_template

bp = Blueprint("pages", __name__)


@bp.route("/")
def index():
    """Who you are, and what to try."""
    return render_template("index.html")
