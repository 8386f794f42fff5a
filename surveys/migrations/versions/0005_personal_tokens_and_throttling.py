"""Token links, resumable personal tokens, and a throttle table shared by all workers.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 20:14:43.945929

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "throttle",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hits", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("key", "window_start", name=op.f("pk_throttle")),
    )
    with op.batch_alter_table("personal_token", schema=None) as batch_op:
        batch_op.add_column(sa.Column("resume_submission_id", sa.String(length=36), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_personal_token_resume_submission_id"),
            ["resume_submission_id"],
            unique=False,
        )

    with op.batch_alter_table("survey_link", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("requires_token", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("survey_link", schema=None) as batch_op:
        batch_op.drop_column("requires_token")

    with op.batch_alter_table("personal_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_personal_token_resume_submission_id"))
        batch_op.drop_column("resume_submission_id")

    op.drop_table("throttle")
