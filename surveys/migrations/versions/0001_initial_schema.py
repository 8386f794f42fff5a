"""Initial schema: the core model of DESIGN.md.

Revision ID: 0001
Revises:
Create Date: 2026-11-23 19:04:02.484132

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "district",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("region", sa.String(length=300), server_default="", nullable=False),
        sa.Column(
            "settings",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_district")),
        sa.UniqueConstraint("name", name=op.f("uq_district_name")),
    )
    op.create_table(
        "instrument",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=48), nullable=False),
        sa.Column("audience", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("builtin", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "audience IN ('student', 'parent', 'teacher', 'specialist', 'administration')",
            name=op.f("ck_instrument_audience_allowed"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instrument")),
        sa.UniqueConstraint("code", name=op.f("uq_instrument_code")),
    )
    op.create_table(
        "campaign",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("period", sa.String(length=32), server_default="", nullable=False),
        sa.Column("opens_on", sa.Date(), nullable=False),
        sa.Column("closes_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="draft", nullable=False),
        sa.Column("anonymous", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("min_group_size", sa.Integer(), server_default="5", nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'open', 'closed')", name=op.f("ck_campaign_status_allowed")
        ),
        sa.CheckConstraint("closes_on >= opens_on", name=op.f("ck_campaign_dates_ordered")),
        sa.CheckConstraint("min_group_size >= 1", name=op.f("ck_campaign_min_group_size_positive")),
        sa.ForeignKeyConstraint(
            ["district_id"], ["district.id"], name=op.f("fk_campaign_district_id_district")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign")),
    )
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_campaign_district_id"), ["district_id"], unique=False)

    op.create_table(
        "instrument_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instrument_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="draft", nullable=False),
        sa.Column(
            "definition",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("checksum", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('draft', 'published')", name=op.f("ck_instrument_version_status_allowed")
        ),
        sa.ForeignKeyConstraint(
            ["instrument_id"],
            ["instrument.id"],
            name=op.f("fk_instrument_version_instrument_id_instrument"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instrument_version")),
        sa.UniqueConstraint(
            "instrument_id", "version", name=op.f("uq_instrument_version_instrument_id_version")
        ),
    )
    op.create_table(
        "school",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=100), server_default="", nullable=False),
        sa.Column("locality", sa.String(length=8), server_default="urban", nullable=False),
        sa.Column("low_results", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("adverse_conditions", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("enrolment_primary", sa.Integer(), server_default="0", nullable=False),
        sa.Column("enrolment_basic", sa.Integer(), server_default="0", nullable=False),
        sa.Column("enrolment_secondary", sa.Integer(), server_default="0", nullable=False),
        sa.Column("teachers", sa.Integer(), server_default="0", nullable=False),
        sa.CheckConstraint(
            "locality IN ('urban', 'rural')", name=op.f("ck_school_locality_allowed")
        ),
        sa.ForeignKeyConstraint(
            ["district_id"], ["district.id"], name=op.f("fk_school_district_id_district")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_school")),
        sa.UniqueConstraint("code", name=op.f("uq_school_code")),
    )
    with op.batch_alter_table("school", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_school_district_id"), ["district_id"], unique=False)

    op.create_table(
        "assessment_result",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("assessment", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=100), nullable=False),
        sa.Column("grade", sa.Integer(), nullable=False),
        sa.Column("participants", sa.Integer(), nullable=False),
        sa.Column("mean_score", sa.Double(), nullable=True),
        sa.Column("share_failing", sa.Double(), nullable=True),
        sa.CheckConstraint(
            "participants >= 0", name=op.f("ck_assessment_result_participants_non_negative")
        ),
        sa.CheckConstraint(
            "share_failing >= 0 AND share_failing <= 1",
            name=op.f("ck_assessment_result_share_failing_range"),
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.id"], name=op.f("fk_assessment_result_school_id_school")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_result")),
        sa.UniqueConstraint(
            "school_id",
            "year",
            "assessment",
            "subject",
            "grade",
            name=op.f("uq_assessment_result_school_id_year_assessment_subject_grade"),
        ),
    )
    with op.batch_alter_table("assessment_result", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assessment_result_school_id"), ["school_id"], unique=False
        )

    op.create_table(
        "campaign_school",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.id"], name=op.f("fk_campaign_school_campaign_id_campaign")
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.id"], name=op.f("fk_campaign_school_school_id_school")
        ),
        sa.PrimaryKeyConstraint("campaign_id", "school_id", name=op.f("pk_campaign_school")),
    )
    op.create_table(
        "fielding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("audience", sa.String(length=16), nullable=False),
        sa.Column("instrument_version_id", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "audience IN ('student', 'parent', 'teacher', 'specialist', 'administration')",
            name=op.f("ck_fielding_audience_allowed"),
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.id"], name=op.f("fk_fielding_campaign_id_campaign")
        ),
        sa.ForeignKeyConstraint(
            ["instrument_version_id"],
            ["instrument_version.id"],
            name=op.f("fk_fielding_instrument_version_id_instrument_version"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fielding")),
        sa.UniqueConstraint(
            "campaign_id", "audience", name=op.f("uq_fielding_campaign_id_audience")
        ),
    )
    op.create_table(
        "survey_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("audience", sa.String(length=16), nullable=False),
        sa.Column("class_name", sa.String(length=16), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "audience IN ('student', 'parent', 'teacher', 'specialist', 'administration')",
            name=op.f("ck_survey_link_audience_allowed"),
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.id"], name=op.f("fk_survey_link_campaign_id_campaign")
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.id"], name=op.f("fk_survey_link_school_id_school")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_link")),
        sa.UniqueConstraint("code", name=op.f("uq_survey_link_code")),
    )
    with op.batch_alter_table("survey_link", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_survey_link_campaign_id"), ["campaign_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_survey_link_school_id"), ["school_id"], unique=False)

    op.create_table(
        "user_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("login", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.String(length=300), nullable=False),
        sa.Column("full_name", sa.String(length=300), server_default="", nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=True),
        sa.Column("school_id", sa.Integer(), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "role IN ('admin', 'coordinator', 'psychologist', 'deputy')",
            name=op.f("ck_user_account_role_allowed"),
        ),
        sa.ForeignKeyConstraint(
            ["district_id"], ["district.id"], name=op.f("fk_user_account_district_id_district")
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.id"], name=op.f("fk_user_account_school_id_school")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_account")),
        sa.UniqueConstraint("login", name=op.f("uq_user_account_login")),
    )
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=200), server_default="", nullable=False),
        sa.Column(
            "details",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_audit_event_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    op.create_table(
        "personal_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("used_on", sa.Date(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["link_id"], ["survey_link.id"], name=op.f("fk_personal_token_link_id_survey_link")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_personal_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_personal_token_token_hash")),
    )
    with op.batch_alter_table("personal_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_personal_token_link_id"), ["link_id"], unique=False)

    op.create_table(
        "response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.String(length=36), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=True),
        sa.Column("audience", sa.String(length=16), nullable=False),
        sa.Column("class_name", sa.String(length=16), nullable=True),
        sa.Column("instrument_version_id", sa.Integer(), nullable=False),
        sa.Column(
            "answers",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=16), server_default="complete", nullable=False),
        sa.Column("submitted_on", sa.Date(), nullable=False),
        sa.Column("duration_seconds", sa.Integer(), nullable=True),
        sa.Column(
            "flags",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            server_default=sa.text("'[]'"),
            nullable=False,
        ),
        sa.Column("source", sa.String(length=16), server_default="web", nullable=False),
        sa.CheckConstraint(
            "audience IN ('student', 'parent', 'teacher', 'specialist', 'administration')",
            name=op.f("ck_response_audience_allowed"),
        ),
        sa.CheckConstraint(
            "status IN ('complete', 'partial')", name=op.f("ck_response_status_allowed")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.id"], name=op.f("fk_response_campaign_id_campaign")
        ),
        sa.ForeignKeyConstraint(
            ["instrument_version_id"],
            ["instrument_version.id"],
            name=op.f("fk_response_instrument_version_id_instrument_version"),
        ),
        sa.ForeignKeyConstraint(
            ["link_id"], ["survey_link.id"], name=op.f("fk_response_link_id_survey_link")
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.id"], name=op.f("fk_response_school_id_school")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_response")),
        sa.UniqueConstraint("submission_id", name=op.f("uq_response_submission_id")),
    )
    with op.batch_alter_table("response", schema=None) as batch_op:
        batch_op.create_index(
            "ix_response_campaign_school_audience",
            ["campaign_id", "school_id", "audience"],
            unique=False,
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("response", schema=None) as batch_op:
        batch_op.drop_index("ix_response_campaign_school_audience")

    op.drop_table("response")
    with op.batch_alter_table("personal_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_personal_token_link_id"))

    op.drop_table("personal_token")
    op.drop_table("audit_event")
    op.drop_table("user_account")
    with op.batch_alter_table("survey_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_link_school_id"))
        batch_op.drop_index(batch_op.f("ix_survey_link_campaign_id"))

    op.drop_table("survey_link")
    op.drop_table("fielding")
    op.drop_table("campaign_school")
    with op.batch_alter_table("assessment_result", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessment_result_school_id"))

    op.drop_table("assessment_result")
    with op.batch_alter_table("school", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_school_district_id"))

    op.drop_table("school")
    op.drop_table("instrument_version")
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaign_district_id"))

    op.drop_table("campaign")
    op.drop_table("instrument")
    op.drop_table("district")
