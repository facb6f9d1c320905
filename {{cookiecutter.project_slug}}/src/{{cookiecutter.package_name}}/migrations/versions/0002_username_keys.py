"""One account per look-alike name: a unique, casefolded username key.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04

Each existing username is NFKC-normalised, and its key (the normalised
name, casefolded) is stored beside it. Two existing accounts whose names
share a key, such as "alice" and "Alice", cannot both keep their names:
the upgrade then stops, names them, and changes nothing, so that a person
decides which account to rename.
"""

import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# The table as this revision knows it, whatever the models say later.
users = sa.table(
    "users",
    sa.column("id", sa.Integer),
    sa.column("username", sa.String),
    sa.column("username_key", sa.String),
)


def upgrade():
    connection = op.get_bind()
    rows = connection.execute(sa.select(users.c.id, users.c.username)).all()
    names_by_key = {}
    for _, username in rows:
        key = unicodedata.normalize("NFKC", username).casefold()
        names_by_key.setdefault(key, []).append(username)
    clashes = [names for names in names_by_key.values() if len(names) > 1]
    if clashes:
        listed = "; ".join(", ".join(map(repr, names)) for names in clashes)
        raise RuntimeError(
            "These usernames differ only in case or width, and one account per"
            f" name is now enforced: {listed}. Rename all but one of each group,"
            " then upgrade again."
        )

    op.add_column("users", sa.Column("username_key", sa.String(192), nullable=True))
    for user_id, username in rows:
        normal = unicodedata.normalize("NFKC", username)
        connection.execute(
            users.update()
            .where(users.c.id == user_id)
            .values(username=normal, username_key=normal.casefold())
        )
    with op.batch_alter_table("users") as batch_op:
        batch_op.alter_column(
            "username_key", existing_type=sa.String(192), nullable=False
        )
        # The key's uniqueness implies the name's.
        batch_op.drop_constraint("uq_users_username", type_="unique")
        batch_op.create_unique_constraint("uq_users_username_key", ["username_key"])


def downgrade():
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_constraint("uq_users_username_key", type_="unique")
        batch_op.create_unique_constraint("uq_users_username", ["username"])
        batch_op.drop_column("username_key")
