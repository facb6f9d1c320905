"""The application factory."""

import os
from datetime import timedelta

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from .sessions import SessionConfigError, SignedCookieSessionInterface

csrf = CSRFProtect()


def create_app(test_config=None):
    """Create and configure the app.

    Settings come from the defaults below, then ``instance/config.py``,
    then ``FLASK_``-prefixed environment variables (``FLASK_SECRET_KEY``
    comes from ``.env``); ``test_config`` overrides them all. The database
    is the one ``DATABASE_URL`` names, else an SQLite file in the
    instance folder.
    """
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(
        {#- Quotes in the name become \u0022, not \", so that the formatter
            keeps the double quotes around it. #}
        PROJECT_NAME={{ cookiecutter.project_name | tojson | replace('\\"', '\\u0022') }},
        SQLALCHEMY_DATABASE_URI=os.environ.get("DATABASE_URL")
        or "sqlite:///" + os.path.join(app.instance_path, "app.sqlite"),
        PASSWORD_HASH_METHOD="scrypt",
        # None: Secure everywhere except in debug and testing (see sessions.py).
        SESSION_COOKIE_SECURE=None,
        # Idle timeout: a session unused this long is refused.
        PERMANENT_SESSION_LIFETIME=timedelta(days=7),
        # Absolute lifetime: however active, a login lasts at most this long.
        SESSION_ABSOLUTE_LIFETIME=timedelta(days=30),
        LOGIN_MAX_FAILURES=5,
        LOGIN_FAILURE_WINDOW=15 * 60,
        # Werkzeug refuses larger requests with 413 before a view reads
        # them; URL-encoded forms have no other limit.
        MAX_CONTENT_LENGTH=1024 * 1024,
        # Production settings, explained in deployment.py.
        TRUSTED_PROXIES=0,
        TRUSTED_HOSTS=None,
        INSTANCE_NAME=None,
        LOG_LEVEL="INFO",
    )
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env()
    if test_config is not None:
        app.config.from_mapping(test_config)
    # Environment variables and config files give seconds.
    for name in ("PERMANENT_SESSION_LIFETIME", "SESSION_ABSOLUTE_LIFETIME"):
        if not isinstance(app.config[name], timedelta):
            app.config[name] = timedelta(seconds=app.config[name])

    os.makedirs(app.instance_path, exist_ok=True)

    from . import db, deployment, headers, session_cli, throttle, users

    try:
        # Flask's own handler writes to the server's error stream (gunicorn's
        # output); INFO shows refused cookies, throttled logins and the like.
        app.logger.setLevel(str(app.config["LOG_LEVEL"]).upper())
        SignedCookieSessionInterface().init_app(app)
        db.init_app(app)
        deployment.init_app(app)
        throttle.init_app(app)
    except (SessionConfigError, db.DatabaseURLError, ValueError) as error:
        # One line an operator can find, before the server's traceback.
        app.logger.critical("Refused to start: %s", error)
        raise
    users.init_app(app)
    headers.init_app(app)
    session_cli.init_app(app)

    from . import auth, errors, health, {% if cookiecutter.teaching_pages %}lab, {% endif %}pages{% if cookiecutter.teaching_pages %}, rotation{% endif %}

    app.register_blueprint(auth.bp)
    app.register_blueprint(errors.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(pages.bp)
{%- if cookiecutter.teaching_pages %}
    app.register_blueprint(lab.bp)
    # A demo that replaces the secret key: it must not exist in production.
    if app.debug:
        app.register_blueprint(rotation.bp)
{%- endif %}
    app.add_url_rule("/", endpoint="index")

    # After the blueprints, so that the user is loaded (and a revoked
    # session ended) before a form's token is checked, and the error page
    # for a bad token knows who is asking.
    csrf.init_app(app)

    return app
