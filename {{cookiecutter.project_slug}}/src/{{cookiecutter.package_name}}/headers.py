"""Security headers on every response."""

from flask import current_app, request

# Scripts and styles come only from our own static files: an injected
# <script> or style="..." does not run, and no other site may frame us.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def private_url(view):
    """Mark a view whose URL holds a secret, such as a reset link's token.

    Its pages, error pages included, send no Referer: a link or a form on
    them would otherwise hand the URL on, to this site's logs at least.
    """
    view.private_url = True
    return view


def has_private_url():
    view = current_app.view_functions.get(request.endpoint)
    return getattr(view, "private_url", False)


def add_security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault(
        "Referrer-Policy", "no-referrer" if has_private_url() else "same-origin"
    )
    # Every page shows something of the session (who is logged in, a
    # form's CSRF token), so no cache may keep one for someone else.
    if response.mimetype == "text/html":
        response.headers["Cache-Control"] = "no-store"
    return response


def add_strict_transport_security(response):
    # Browsers that saw this over HTTPS use nothing else for a year, so
    # a network attacker cannot strip TLS and read the session cookie.
    response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def init_app(app):
    app.after_request(add_security_headers)
    # Not in development, where the server speaks plain HTTP: a browser
    # would then refuse it on localhost for a year.
    if not (app.debug or app.testing):
        app.after_request(add_strict_transport_security)
