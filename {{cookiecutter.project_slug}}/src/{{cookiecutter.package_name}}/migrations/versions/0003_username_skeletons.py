"""One account per name that looks alike: a unique username skeleton.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02

Each existing username gets its skeleton (see the app's lookalikes.py),
which names that look alike share, such as "cop" and Cyrillic "сор".
Existing accounts whose names look alike all stay, and still log in with
their names: the oldest of them holds the skeleton, the others none, and
the upgrade names them in a warning so that a person can look at them.
New names that look like any of them are refused.
"""

import importlib
import logging

import sqlalchemy as sa
from alembic import op
from flask import current_app

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SKELETON_LENGTH = 448

# The columns this revision reads and writes, whatever the models say later.
users = sa.table(
    "users", sa.column("id"), sa.column("username"), sa.column("username_skeleton")
)


def lookalikes():
    """The app's own module, so that the skeletons stored are the ones it
    computes. This folder is copied into each project unchanged, so the
    package's name comes from the app."""
    return importlib.import_module(f"{current_app.import_name}.lookalikes")


def upgrade():
    op.add_column("users", sa.Column("username_skeleton", sa.String(SKELETON_LENGTH)))
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(users.c.id, users.c.username).order_by(users.c.id)
    ).all()
    skeleton_of = lookalikes().username_skeleton
    holders = {}
    look_alikes = []
    for user_id, username in rows:
        skeleton = skeleton_of(username)
        if skeleton in holders:
            look_alikes.append((username, holders[skeleton][1]))
        else:
            holders[skeleton] = (user_id, username)
    if holders:
        connection.execute(
            users.update()
            .where(users.c.id == sa.bindparam("user_id"))
            .values(username_skeleton=sa.bindparam("skeleton")),
            [
                {"user_id": user_id, "skeleton": skeleton}
                for skeleton, (user_id, _) in holders.items()
            ],
        )
    if look_alikes:
        listed = "; ".join(f"{new!r} looks like {old!r}" for new, old in look_alikes)
        logging.getLogger("alembic.migration").warning(
            "These accounts keep their names, though each looks like an older"
            " one: %s. Check that they are not impersonations.",
            listed,
        )
    with op.batch_alter_table("users") as batch_op:
        batch_op.create_unique_constraint(
            "uq_users_username_skeleton", ["username_skeleton"]
        )


def downgrade():
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_constraint("uq_users_username_skeleton", type_="unique")
        batch_op.drop_column("username_skeleton")
