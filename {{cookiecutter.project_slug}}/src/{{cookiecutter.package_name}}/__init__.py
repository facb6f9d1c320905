"""The application factory."""

import os

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from .sessions import SignedCookieSessionInterface

csrf = CSRFProtect()


def create_app(test_config=None):
    """Create and configure the app.

    Settings come from the defaults below, then ``instance/config.py``,
    then ``FLASK_``-prefixed environment variables (``FLASK_SECRET_KEY``
    comes from ``.env``); ``test_config`` overrides them all.
    """
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(
        {#- Quotes in the name become \u0022, not \", so that the formatter
            keeps the double quotes around it. #}
        PROJECT_NAME={{ cookiecutter.project_name | tojson | replace('\\"', '\\u0022') }},
        DATABASE=os.path.join(app.instance_path, "app.sqlite"),
        PASSWORD_HASH_METHOD="scrypt",
        # Production settings, explained in deployment.py.
        TRUSTED_PROXIES=0,
        INSTANCE_NAME=None,
    )
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env()
    if test_config is not None:
        app.config.from_mapping(test_config)

    os.makedirs(app.instance_path, exist_ok=True)

    SignedCookieSessionInterface().init_app(app)
    csrf.init_app(app)

    from . import db, deployment, users

    db.init_app(app)
    deployment.init_app(app)
    users.init_app(app)

    from . import auth, errors, pages

    app.register_blueprint(auth.bp)
    app.register_blueprint(errors.bp)
    app.register_blueprint(pages.bp)
    app.add_url_rule("/", endpoint="index")

    return app
