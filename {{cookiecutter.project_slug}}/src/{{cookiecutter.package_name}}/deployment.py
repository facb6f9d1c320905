"""Running in production: behind a reverse proxy, as one of several instances.

Three settings, all off until configured:

``TRUSTED_PROXIES``
    How many proxies stand in front of the app (1 for a single nginx).
    Werkzeug's ``ProxyFix`` then takes the client's address, the scheme
    and the host from that many entries of the ``X-Forwarded-*`` headers.
    Left at 0, those headers are ignored, as they must be when no proxy
    sets them: any client can send them.

``TRUSTED_HOSTS``
    The host names the site answers to, as a JSON list in the
    environment: ``FLASK_TRUSTED_HOSTS='["example.com"]'``. A request
    for any other ``Host`` gets 400, so links built from it (such as a
    login redirect) cannot point elsewhere. Flask reads the setting.

``INSTANCE_NAME``
    Sent back in an ``X-Instance`` header on every response, to show
    which of several instances answered.

``config.py`` checks the first two at start-up.
"""

from werkzeug.middleware.proxy_fix import ProxyFix


def init_app(app):
    proxies = app.config["TRUSTED_PROXIES"]
    if proxies:
        # Each trusted proxy appends one entry to X-Forwarded-For and the
        # rest; entries further left come from the client and are ignored.
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )

    if app.config["INSTANCE_NAME"] is not None:
        instance_name = str(app.config["INSTANCE_NAME"])

        @app.after_request
        def name_the_instance(response):
            response.headers["X-Instance"] = instance_name
            return response
