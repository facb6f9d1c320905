"""The application factory."""

import importlib.util
import os

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from . import config
from .sessions import SignedCookieSessionInterface

csrf = CSRFProtect()


def create_app(test_config=None):
    """Create and configure the app.

    ``config.py`` says where the settings come from and checks them:
    ``test_config`` overrides them all, and a setting the app cannot run
    with raises ``config.ConfigError`` before anything is built.
    """
    app = Flask(
        __name__, instance_path=config.instance_path(), instance_relative_config=True
    )
    config.load(app, test_config)
    os.makedirs(app.instance_path, exist_ok=True)

    from . import db, deployment, headers, mail, session_cli, user_cli

    # Flask's own handler writes to the server's error stream (gunicorn's
    # output); INFO shows refused cookies, throttled logins and the like.
    app.logger.setLevel(app.config["LOG_LEVEL"])
    # config.load has run the interface's own checks on the settings.
    app.session_interface = SignedCookieSessionInterface()
    db.init_app(app)
    deployment.init_app(app)
    user_cli.init_app(app)
    mail.init_app(app)
    headers.init_app(app)
    session_cli.init_app(app)

    from . import account, auth, errors, health, pages, reset

    app.register_blueprint(auth.bp)
    app.register_blueprint(reset.bp)
    app.register_blueprint(account.bp)
    app.register_blueprint(errors.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(pages.bp)
    # The teaching pages, unless the project deleted their folder; they
    # decide themselves where they are served. Looked for rather than
    # tried, so that an error inside them still shows, and imported by
    # name, so that type checkers do not look for a folder that may be gone.
    teaching = f"{__name__}.teaching"
    if importlib.util.find_spec(teaching):
        importlib.import_module(teaching).init_app(app)
    app.add_url_rule("/", endpoint="index")

    # After the blueprints, so that the user is loaded (and a revoked
    # session ended) before a form's token is checked, and the error page
    # for a bad token knows who is asking.
    csrf.init_app(app)

    return app
