"""Frozen benchmark waves as the reference of z-scores, and the previous wave of a campaign.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 10:02:11.417305

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "benchmark",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("source_campaign_id", sa.Integer(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column(
            "stats",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["user_account.id"], name=op.f("fk_benchmark_created_by_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["district_id"], ["district.id"], name=op.f("fk_benchmark_district_id_district")
        ),
        sa.ForeignKeyConstraint(
            ["source_campaign_id"],
            ["campaign.id"],
            name=op.f("fk_benchmark_source_campaign_id_campaign"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_benchmark")),
    )
    with op.batch_alter_table("benchmark", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_benchmark_district_id"), ["district_id"], unique=False)

    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.add_column(sa.Column("benchmark_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("previous_campaign_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_campaign_benchmark_id_benchmark"),
            "benchmark",
            ["benchmark_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_campaign_previous_campaign_id_campaign"),
            "campaign",
            ["previous_campaign_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_campaign_previous_campaign_id_campaign"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_campaign_benchmark_id_benchmark"), type_="foreignkey"
        )
        batch_op.drop_column("previous_campaign_id")
        batch_op.drop_column("benchmark_id")

    with op.batch_alter_table("benchmark", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_benchmark_district_id"))

    op.drop_table("benchmark")
