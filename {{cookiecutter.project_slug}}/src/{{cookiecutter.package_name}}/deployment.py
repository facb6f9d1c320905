"""Running in production: behind a reverse proxy, as one of several instances.

Three settings, all off until configured, though a server needs the
second:

``TRUSTED_PROXIES``
    How many proxies stand in front of the app (1 for a single nginx).
    Werkzeug's ``ProxyFix`` then takes the client's address, the scheme
    and the host from that many entries of the ``X-Forwarded-*`` headers.
    Left at 0, those headers are ignored, as they must be when no proxy
    sets them: any client can send them. But behind a proxy, 0 makes
    every visitor look like the proxy, so a few wrong guesses lock an
    account for everyone: the first request that carries one of them
    logs a warning, once per process, that names this setting.

``TRUSTED_HOSTS``
    The host names the site answers to, as a JSON list in the
    environment: ``FLASK_TRUSTED_HOSTS='["example.com"]'``. A request
    for any other ``Host`` gets 400, so links built from it (such as a
    redirect) cannot point elsewhere. Flask reads the setting. Outside
    debug and testing the app refuses to serve without it.

``INSTANCE_NAME``
    Sent back in an ``X-Instance`` header on every response, to show
    which of several instances answered.

``config.py`` checks the first two at start-up, and requires the second
where the app is to serve.
"""

import threading

from flask import request
from werkzeug.middleware.proxy_fix import ProxyFix

#: What ProxyFix reads here; a proxy in front sets them.
FORWARDED_HEADERS = ("X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host")


def init_app(app):
    proxies = app.config["TRUSTED_PROXIES"]
    if proxies:
        # Each trusted proxy appends one entry to X-Forwarded-For and the
        # rest; entries further left come from the client and are ignored.
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )
    else:
        warn_of_an_untrusted_proxy(app)

    if app.config["INSTANCE_NAME"] is not None:
        instance_name = str(app.config["INSTANCE_NAME"])

        @app.after_request
        def name_the_instance(response):
            response.headers["X-Instance"] = instance_name
            return response


def warn_of_an_untrusted_proxy(app):
    """Log once when a request arrives through a proxy that is not trusted.

    A client can send these headers too, so they prove nothing and are
    not read; the warning only tells the operator where to look.
    """
    # Acquired by the first such request and never released: exactly one
    # warning, whichever of the process's threads gets there first.
    not_yet_warned = threading.Lock()

    @app.before_request
    def warn_once():
        header = next((h for h in FORWARDED_HEADERS if h in request.headers), None)
        if header is not None and not_yet_warned.acquire(blocking=False):
            app.logger.warning(
                "A request carries %s, but TRUSTED_PROXIES is 0, so the app"
                " takes every client behind a proxy for the proxy itself, and"
                " the login throttle counts them all as one address. Behind"
                " a proxy, set FLASK_TRUSTED_PROXIES to the number of proxies"
                " (1 for one nginx).",
                header,
            )
