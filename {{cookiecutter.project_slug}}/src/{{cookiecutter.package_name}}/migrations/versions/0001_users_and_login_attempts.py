"""Users and login attempts.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "login_attempts",
        sa.Column("username_digest", sa.LargeBinary(length=32), nullable=False),
        sa.Column("address", sa.String(length=45), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("window_started_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint(
            "username_digest", "address", name=op.f("pk_login_attempts")
        ),
    )
    op.create_index(
        op.f("ix_login_attempts_window_started_at"),
        "login_attempts",
        ["window_started_at"],
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("password", sa.String(length=255), nullable=False),
        sa.Column("epoch", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )


def downgrade():
    op.drop_table("users")
    op.drop_index(
        op.f("ix_login_attempts_window_started_at"), table_name="login_attempts"
    )
    op.drop_table("login_attempts")
