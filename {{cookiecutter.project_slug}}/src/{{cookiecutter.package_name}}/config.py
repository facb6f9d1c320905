"""The app's settings: their defaults, where they are read from, and their checks.

Settings come from the defaults below, then ``instance/config.py``, then
``FLASK_``-prefixed environment variables (read as JSON where they parse
as JSON; ``FLASK_SECRET_KEY`` comes from ``.env``); the factory's
``test_config`` overrides them all. The database is the one
``DATABASE_URL`` names, else an SQLite file in the instance folder, which
``FLASK_INSTANCE_PATH`` can move.

Every setting is checked before the app is built, so that a bad
deployment stops at once with a message that names the setting and the
fix, rather than failing on some later request.
"""

import contextlib
import functools
import logging
import math
import os
import site
import sys
from datetime import timedelta
from pathlib import Path

import click
import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from .sessions import SessionConfigError, SignedCookieSessionInterface
from .sessions.checks import check_config

# What each accepted database scheme becomes. Platforms give ``postgres://``
# or ``postgresql://``; SQLAlchemy refuses the first and would pick psycopg2
# for the second, so both are spelled out for psycopg 3.
DRIVERS = {
    "sqlite": "sqlite",
    "sqlite+pysqlite": "sqlite",
    "postgres": "postgresql+psycopg",
    "postgresql": "postgresql+psycopg",
    "postgresql+psycopg": "postgresql+psycopg",
}


class ConfigError(click.ClickException):
    """A setting the app cannot run with. The message names it and the fix.

    A ``ClickException``, so that ``flask`` commands print it as one
    ``Error:`` line rather than a traceback.
    """


def instance_path():
    """The instance folder that ``FLASK_INSTANCE_PATH`` names, or None for Flask's.

    Flask's own is ``src/instance`` in a checkout, but inside the virtual
    environment (``var/<package>-instance``) for an installed app.
    """
    path = os.environ.get("FLASK_INSTANCE_PATH")
    if not path:
        return None
    # Relative to what? A service's working directory is easily forgotten.
    if not os.path.isabs(path):
        raise ConfigError(
            f"FLASK_INSTANCE_PATH must be an absolute path, not {path!r}."
        )
    return path


def defaults(instance_path):
    return {
        {#- Quotes in the name become \u0022, not \", so that the formatter
            keeps the double quotes around it. #}
        "PROJECT_NAME": {{ cookiecutter.project_name | tojson | replace('\\"', '\\u0022') }},
        "SQLALCHEMY_DATABASE_URI": os.environ.get("DATABASE_URL")
        or "sqlite:///" + os.path.join(instance_path, "app.sqlite"),
        "PASSWORD_HASH_METHOD": "scrypt",
        # None: Secure except in debug and testing (see sessions/interface.py).
        "SESSION_COOKIE_SECURE": None,
        # Idle timeout: a session unused this long is refused.
        "PERMANENT_SESSION_LIFETIME": timedelta(days=7),
        # Absolute lifetime: however active, a login lasts at most this long.
        "SESSION_ABSOLUTE_LIFETIME": timedelta(days=30),
        # Failed logins per window from one address (an IPv6 /64), and
        # from all addresses together: see throttle.py.
        "LOGIN_MAX_FAILURES": 5,
        "LOGIN_ACCOUNT_MAX_FAILURES": 30,
        "LOGIN_FAILURE_WINDOW": 15 * 60,
        # A browser that logged in keeps its own allowance this long after
        # its last login: see devices.py.
        "DEVICE_COOKIE_LIFETIME": timedelta(days=365),
        # Signed links in mails (see tokens.py): a reset link must be used
        # soon; a confirmation may wait for the owner to read their mail.
        "RESET_LINK_LIFETIME": timedelta(hours=1),
        "CONFIRMATION_LINK_LIFETIME": timedelta(days=3),
        # Mails to one address per LOGIN_FAILURE_WINDOW, from everyone.
        "MAIL_MAX_PER_WINDOW": 5,
        # Flask-Mail's settings; MAIL_PORT, MAIL_USE_TLS, MAIL_USE_SSL,
        # MAIL_USERNAME and MAIL_PASSWORD keep its defaults (25, no TLS, no
        # login). No server: mails go to the terminal, in debug only.
        "MAIL_SERVER": None,
        "MAIL_DEFAULT_SENDER": None,
        # Werkzeug refuses larger requests with 413 before a view reads
        # them; URL-encoded forms have no other limit.
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        # Production settings, explained in deployment.py.
        "TRUSTED_PROXIES": 0,
        "TRUSTED_HOSTS": None,
        "INSTANCE_NAME": None,
        "LOG_LEVEL": "INFO",
    }


def load(app, test_config=None):
    """Read the settings into ``app.config`` and check them, or raise ConfigError."""
    app.config.from_mapping(defaults(app.instance_path))
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env()
    if test_config is not None:
        app.config.from_mapping(test_config)
    with refusals_logged(app):
        check(app)


@contextlib.contextmanager
def refusals_logged(app):
    """Log a ConfigError raised inside as one CRITICAL line, and let it go on.

    Under a ``flask`` command, click prints the message as it is. Under
    gunicorn the log line is the one to look for.
    """
    try:
        yield
    except ConfigError as error:
        if click.get_current_context(silent=True) is None:
            app.logger.critical("Refused to start: %s", error.message)
        raise


def check(app):
    """Check every setting in turn, making each usable value its final type."""
    config = app.config
    for name in (
        "PERMANENT_SESSION_LIFETIME",
        "SESSION_ABSOLUTE_LIFETIME",
        "DEVICE_COOKIE_LIFETIME",
        "RESET_LINK_LIFETIME",
        "CONFIRMATION_LINK_LIFETIME",
    ):
        config[name] = lifetime(name, config[name])
    config["SQLALCHEMY_DATABASE_URI"] = engine_url(config["SQLALCHEMY_DATABASE_URI"])
    check_database_location(app, config["SQLALCHEMY_DATABASE_URI"])
    config["LOG_LEVEL"] = log_level(config["LOG_LEVEL"])
    check_password_hash_method(config["PASSWORD_HASH_METHOD"])
    check_login_throttle(
        config["LOGIN_MAX_FAILURES"],
        config["LOGIN_ACCOUNT_MAX_FAILURES"],
        config["MAIL_MAX_PER_WINDOW"],
        config["LOGIN_FAILURE_WINDOW"],
    )
    check_mail(config)
    check_max_content_length(config["MAX_CONTENT_LENGTH"])
    check_engine_options(config.get("SQLALCHEMY_ENGINE_OPTIONS", {}))
    check_proxies(config["TRUSTED_PROXIES"], config["TRUSTED_HOSTS"])
    check_server_mode(app)
    # The session package stands alone, with its own checks and its own error.
    try:
        check_config(app, SignedCookieSessionInterface())
    except SessionConfigError as error:
        raise ConfigError(str(error)) from None
    check_needed_to_serve(app)


def production_server():
    """The production server this process runs under, such as ``gunicorn/23.0.0``.

    None under a ``flask`` command, which either prepares a checkout
    (``init-db``, ``create-user``) or serves with Werkzeug's development
    server (``run``), and None in tests, which build the app themselves.
    gunicorn names itself in the process's ``SERVER_SOFTWARE`` before it
    loads the app, as CGI servers do.
    """
    if click.get_current_context(silent=True) is not None:
        return None
    return os.environ.get("SERVER_SOFTWARE") or None


def serves_requests():
    """Whether this process is to serve requests, not to prepare a checkout.

    A ``flask`` command other than ``run`` (``init-db``, ``create-user``,
    ``db upgrade``, ``session``, ``shell``) prepares or inspects, and
    serves no one. ``flask run`` serves, and so does any process that
    builds the app outside a ``flask`` command: gunicorn, another WSGI
    server, a script. What cannot be told apart counts as serving.
    """
    context = click.get_current_context(silent=True)
    return context is None or context.command.name == "run"


# What a site cannot go without, though debug and testing can, and the
# flask commands that prepare a checkout, which serve no one and send nothing.
NEEDED_TO_SERVE = {
    # Without it the app answers any Host header and builds absolute URLs
    # from it, such as Werkzeug's redirect of /auth//login: a request for
    # evil.example is sent to evil.example, and a cache in front may keep
    # that answer for everyone. Django requires ALLOWED_HOSTS for this.
    "TRUSTED_HOSTS": (
        "TRUSTED_HOSTS is not set, so the app would answer requests for any"
        " host and build its redirects from it. Set FLASK_TRUSTED_HOSTS to"
        ' the names the site answers to, such as ["example.com"]'
    ),
    # Without it mails go to the terminal: right for a developer, lost on
    # a site, where no one would get a reset link.
    "MAIL_SERVER": (
        "MAIL_SERVER is not set, so the app could not send its password"
        " resets and confirmations. Set FLASK_MAIL_SERVER and"
        " FLASK_MAIL_DEFAULT_SENDER (and FLASK_MAIL_PORT, FLASK_MAIL_USE_TLS,"
        " FLASK_MAIL_USERNAME, FLASK_MAIL_PASSWORD as the server needs)"
    ),
}


def check_needed_to_serve(app):
    if app.debug or app.testing or not serves_requests():
        return
    for name, problem in NEEDED_TO_SERVE.items():
        if app.config[name] is None:
            raise ConfigError(f"{problem}; flask commands other than run need none.")


def check_mail(config):
    server = config["MAIL_SERVER"]
    if server is None:
        return
    if not isinstance(server, str) or not server:
        raise ConfigError(f"MAIL_SERVER must be a host name, not {server!r}.")
    sender = config["MAIL_DEFAULT_SENDER"]
    if not isinstance(sender, str) or not sender:
        raise ConfigError(
            "MAIL_DEFAULT_SENDER must be the address mails come from, such as"
            f" 'Site <no-reply@example.com>', not {sender!r}."
        )
    port = config.get("MAIL_PORT", 25)
    if not is_whole_number(port) or not 1 <= port <= 65535:
        raise ConfigError(f"MAIL_PORT must be a port number, not {port!r}.")
    for name in ("MAIL_USE_TLS", "MAIL_USE_SSL"):
        if not isinstance(config.get(name, False), bool):
            raise ConfigError(f"{name} must be true or false, not {config[name]!r}.")
    if config.get("MAIL_USE_TLS") and config.get("MAIL_USE_SSL"):
        raise ConfigError(
            "MAIL_USE_TLS and MAIL_USE_SSL are both on: use SSL for port 465,"
            " TLS (STARTTLS) for port 587, not both."
        )


def check_server_mode(app):
    # Debug and testing relax the start-up checks (short keys, a cookie
    # without Secure) and add the debug-only key rotation, which replaces
    # the process's key: meant for ``flask run`` and tests, never a site.
    server = production_server()
    if server is not None and (app.debug or app.testing):
        mode = "DEBUG" if app.debug else "TESTING"
        raise ConfigError(
            f"{mode} is on under {server}, a production server, where it would"
            " relax the session checks and add the key rotation demo. Unset"
            f" FLASK_{mode} and {mode} in instance/config.py; for development,"
            " use flask run --debug."
        )


def is_whole_number(value):
    # bool is an int to Python, but True is no count of anything.
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value):
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too large for a float
        return False


def lifetime(name, value):
    """A lifetime as a timedelta; the environment and config files give seconds."""
    if isinstance(value, timedelta) and value > timedelta(0):
        return value
    if is_number(value) and value > 0:
        try:
            return timedelta(seconds=value)
        except OverflowError:
            pass  # beyond timedelta's 999,999,999 days: refused below
    raise ConfigError(f"{name} must be a number of seconds above 0, not {value!r}.")


def engine_url(url):
    """``url`` with the driver this app uses for its scheme."""
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError:
        raise ConfigError(
            "DATABASE_URL is not a database URL. Use postgresql://user:password"
            "@host/name, or leave it unset for the SQLite file in the instance folder."
        ) from None
    driver = DRIVERS.get(parsed.drivername)
    if driver is None:
        raise ConfigError(
            f"DATABASE_URL uses {parsed.drivername!r}, which this app does not"
            " support. Use a postgresql:// URL, or leave it unset for SQLite."
        )
    parsed = parsed.set(drivername=driver)
    try:
        parsed.get_dialect().import_dbapi()
    except ImportError:
        raise ConfigError(
            f"DATABASE_URL names {driver}, whose driver is not installed. Install"
            " the project's postgres extra: pip install '.[postgres]'."
        ) from None
    return parsed


def installation_folders():
    """Where pip installs: every site-packages, and the virtual environment."""
    folders = set(site.getsitepackages())
    if sys.prefix != sys.base_prefix:
        folders.add(sys.prefix)
    return [Path(folder).resolve() for folder in folders]


def check_database_location(app, url):
    # Debug and tests may keep their data anywhere; a served app must not
    # keep it beside its installed code, which reinstalls replace.
    if app.debug or app.testing or url.drivername != "sqlite":
        return
    if url.database in (None, "", ":memory:"):
        return
    # A relative path is relative to the working directory, as for SQLite.
    path = Path(url.database).resolve()
    for folder in installation_folders():
        if path.is_relative_to(folder):
            raise ConfigError(
                f"The SQLite database {path} is inside {folder}, with the installed"
                " code, where a reinstall may delete it. Set DATABASE_URL, or"
                " FLASK_INSTANCE_PATH to a folder outside it; the instance folder"
                f" is now {app.instance_path}."
            )


def log_level(name):
    levels = logging.getLevelNamesMapping()
    if not isinstance(name, str) or name.upper() not in levels:
        raise ConfigError(
            f"LOG_LEVEL must be the name of a level, such as INFO or WARNING,"
            f" not {name!r}."
        )
    return name.upper()


def check_password_hash_method(method):
    try:
        hash_once(method)
    except (ValueError, TypeError, AttributeError):
        raise ConfigError(
            f"PASSWORD_HASH_METHOD must be a method werkzeug hashes with, such as"
            f" 'scrypt' or 'pbkdf2:sha256', not {method!r}."
        ) from None


@functools.lru_cache(maxsize=8)
def hash_once(method):
    """Hash an empty password with ``method``, once per process.

    werkzeug reads the method only when it hashes, at the first login;
    one hash finds a bad method at start-up instead. A good method's hash
    costs what a login's does (scrypt's is tens of milliseconds), so it is
    done once, not for every app the process builds.
    """
    generate_password_hash("", method)


def check_login_throttle(limit, account_limit, mail_limit, window):
    for name, value in (
        ("LOGIN_MAX_FAILURES", limit),
        ("LOGIN_ACCOUNT_MAX_FAILURES", account_limit),
        ("MAIL_MAX_PER_WINDOW", mail_limit),
    ):
        if not is_whole_number(value) or value < 1:
            raise ConfigError(f"{name} must be a whole number from 1, not {value!r}.")
    if not is_number(window) or window <= 0:
        raise ConfigError(
            f"LOGIN_FAILURE_WINDOW must be a number of seconds, not {window!r}."
        )


def check_max_content_length(limit):
    if limit is not None and (not is_whole_number(limit) or limit < 1):
        raise ConfigError(
            f"MAX_CONTENT_LENGTH must be a number of bytes, or None for no limit,"
            f" not {limit!r}."
        )


def check_engine_options(options):
    if not isinstance(options, dict):
        raise ConfigError(
            "SQLALCHEMY_ENGINE_OPTIONS must be a JSON object of engine settings,"
            ' such as {"pool_size": 2},'
            f" not {options!r}."
        )


def check_proxies(proxies, hosts):
    if not is_whole_number(proxies) or proxies < 0:
        raise ConfigError(
            f"TRUSTED_PROXIES must be the number of proxies in front of the app"
            f" (0 for none), not {proxies!r}."
        )
    # Flask would take each character of a plain string as a host name.
    if hosts is not None and (
        not isinstance(hosts, list) or not all(isinstance(h, str) for h in hosts)
    ):
        raise ConfigError(
            'TRUSTED_HOSTS must be a list of host names, such as ["example.com"],'
            f" not {hosts!r}."
        )
