"""Friendly error pages: a plain explanation, never a traceback."""

from flask import Blueprint, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

bp = Blueprint("errors", __name__)


@bp.app_errorhandler(CSRFError)
def csrf_failed(error):
    message = (
        "This form has expired or did not come from this site. Go back, reload"
        " the page and send it again."
    )
    return render_template("error.html", error=error, message=message), error.code


@bp.app_errorhandler(HTTPException)
def http_error(error):
    if isinstance(error, InternalServerError):
        message = "Something went wrong on our side. It has been logged."
    else:
        message = error.description
    # Keep what the error adds, such as the Allow header of a 405.
    headers = [(k, v) for k, v in error.get_headers() if k != "Content-Type"]
    page = render_template("error.html", error=error, message=message)
    return page, error.code, headers
