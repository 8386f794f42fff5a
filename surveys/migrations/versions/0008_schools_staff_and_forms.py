"""Schools as a district describes them (short name, levels, enrolment per grade,
specialists, deactivation), staff accounts' positions, session versions and set-password
links, several forms per audience in a campaign (a link per form), audit log indexes.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 15:10:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "password_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["user_account.id"],
            name=op.f("fk_password_token_created_by_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_password_token_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_password_token_token_hash")),
    )
    with op.batch_alter_table("password_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_password_token_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_event_action"), ["action"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_event_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_event_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("fielding", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_fielding_campaign_id_audience"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_fielding_campaign_id_instrument_version_id"),
            ["campaign_id", "instrument_version_id"],
        )

    with op.batch_alter_table("school", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("short_name", sa.String(length=150), server_default="", nullable=False)
        )
        for level in ("primary", "basic", "secondary"):
            batch_op.add_column(
                sa.Column(
                    f"teaches_{level}", sa.Boolean(), server_default=sa.true(), nullable=False
                )
            )
        batch_op.add_column(
            sa.Column("enrolment_by_grade", JSON, server_default=sa.text("'{}'"), nullable=False)
        )
        for specialist in ("psychologist", "speech_specialist", "social_pedagogue"):
            batch_op.add_column(
                sa.Column(
                    f"has_{specialist}", sa.Boolean(), server_default=sa.false(), nullable=False
                )
            )
        batch_op.add_column(
            sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False)
        )

    with op.batch_alter_table("survey_link", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fielding_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_survey_link_fielding_id"), ["fielding_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_survey_link_fielding_id_fielding"), "fielding", ["fielding_id"], ["id"]
        )
    # Until now a campaign fielded one form per audience: each link opens that one.
    op.execute(
        "UPDATE survey_link SET fielding_id = (SELECT fielding.id FROM fielding "
        "WHERE fielding.campaign_id = survey_link.campaign_id "
        "AND fielding.audience = survey_link.audience)"
    )

    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("position", sa.String(length=200), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("session_version", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    """Downgrade schema (a campaign with several forms for one audience cannot go back)."""
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("session_version")
        batch_op.drop_column("position")

    with op.batch_alter_table("survey_link", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_survey_link_fielding_id_fielding"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_survey_link_fielding_id"))
        batch_op.drop_column("fielding_id")

    with op.batch_alter_table("school", schema=None) as batch_op:
        for column in (
            "is_active",
            "has_social_pedagogue",
            "has_speech_specialist",
            "has_psychologist",
            "enrolment_by_grade",
            "teaches_secondary",
            "teaches_basic",
            "teaches_primary",
            "short_name",
        ):
            batch_op.drop_column(column)

    with op.batch_alter_table("fielding", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("uq_fielding_campaign_id_instrument_version_id"), type_="unique"
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_fielding_campaign_id_audience"), ["campaign_id", "audience"]
        )

    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_user_id"))
        batch_op.drop_index(batch_op.f("ix_audit_event_at"))
        batch_op.drop_index(batch_op.f("ix_audit_event_action"))

    op.drop_table("password_token")
