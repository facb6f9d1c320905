"""An e-mail address on each account, and ids that are never given out again.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03

Existing accounts get no address, and keep working without one: their
owners can add one from the account page. The confirmed address is
unique by its casefolded normal form (``email_key``); an address that
awaits confirmation is not unique, since anyone may type any address.

On SQLite the table is rebuilt with AUTOINCREMENT, without which SQLite
hands the largest id out again after a delete, and an old cookie of the
deleted account would sign in as the new one. PostgreSQL's sequence
never goes back, so there the columns are only added.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

EMAIL_LENGTH = 254
EMAIL_KEY_LENGTH = 3 * EMAIL_LENGTH


def rebuilt_on_sqlite(autoincrement):
    """The users table's batch: rebuilt on SQLite, with or without
    AUTOINCREMENT, and altered in place elsewhere."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    return op.batch_alter_table(
        "users",
        recreate="always" if sqlite else "auto",
        table_kwargs={"sqlite_autoincrement": autoincrement},
    )


def upgrade():
    with rebuilt_on_sqlite(autoincrement=True) as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(EMAIL_LENGTH)))
        batch_op.add_column(sa.Column("email_key", sa.String(EMAIL_KEY_LENGTH)))
        batch_op.add_column(sa.Column("email_confirmed_at", sa.Integer()))
        batch_op.add_column(sa.Column("pending_email", sa.String(EMAIL_LENGTH)))
        batch_op.create_unique_constraint("uq_users_email_key", ["email_key"])


def downgrade():
    with rebuilt_on_sqlite(autoincrement=False) as batch_op:
        batch_op.drop_constraint("uq_users_email_key", type_="unique")
        batch_op.drop_column("pending_email")
        batch_op.drop_column("email_confirmed_at")
        batch_op.drop_column("email_key")
        batch_op.drop_column("email")
