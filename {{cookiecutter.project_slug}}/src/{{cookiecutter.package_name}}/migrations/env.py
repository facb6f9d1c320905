"""How Alembic reaches the app's database: through Flask-SQLAlchemy's engine."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

config = context.config
# From a terminal, show what each step does. Inside a process that set up
# logging already (a server, the tests), configuring it again here would
# replace its handlers.
if config.config_file_name and not logging.getLogger().handlers:
    fileConfig(config.config_file_name, disable_existing_loggers=False)

db = current_app.extensions["migrate"].db


def skip_empty_autogenerate(context, revision, directives):
    """`flask db migrate` with no change to the models writes no revision."""
    autogenerating = getattr(config.cmd_opts, "autogenerate", False)
    if autogenerating and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        logging.getLogger("alembic.env").info("No changes in schema detected.")


def run_migrations_offline():
    """Write the SQL to standard output (`flask db upgrade --sql`)."""
    context.configure(
        url=db.engine.url, target_metadata=db.metadata, literal_binds=True
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    options = current_app.extensions["migrate"].configure_args
    options.setdefault("process_revision_directives", skip_empty_autogenerate)
    with db.engine.connect() as connection:
        context.configure(connection=connection, target_metadata=db.metadata, **options)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
