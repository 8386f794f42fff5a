"""Instrument drafts: the edited source text and who created a version.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 19:35:14.317709

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("instrument_version", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_text", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("created_by", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_instrument_version_created_by_user_account"),
            "user_account",
            ["created_by"],
            ["id"],
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("instrument_version", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_instrument_version_created_by_user_account"), type_="foreignkey"
        )
        batch_op.drop_column("created_by")
        batch_op.drop_column("source_text")
