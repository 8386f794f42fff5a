"""Every survey link opens one form: survey_link.fielding_id becomes NOT NULL.

Links made before 0008 were filled by 0008 from their audience's one fielding; this fills any
left since (the same rule) and refuses, naming them, links that no fielding of their
campaign and audience can explain, rather than guess a form for answers already given.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 16:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    # Only where the audience has exactly one form is the link's form certain.
    op.execute(
        "UPDATE survey_link SET fielding_id = (SELECT MIN(fielding.id) FROM fielding "
        "WHERE fielding.campaign_id = survey_link.campaign_id "
        "AND fielding.audience = survey_link.audience) "
        "WHERE fielding_id IS NULL AND (SELECT COUNT(*) FROM fielding "
        "WHERE fielding.campaign_id = survey_link.campaign_id "
        "AND fielding.audience = survey_link.audience) = 1"
    )
    orphans = (
        op.get_bind()
        .execute(sa.text("SELECT id, code FROM survey_link WHERE fielding_id IS NULL"))
        .all()
    )
    if orphans:
        listed = ", ".join(f"{row.id} ({row.code})" for row in orphans[:20])
        raise RuntimeError(
            "Ссылки без анкеты: их кампания не даёт их группе ровно одну анкету, и какую "
            f"анкету открывает ссылка, не определить. Ссылки: {listed}. Укажите анкету "
            "(survey_link.fielding_id) и повторите rootcause init."
        )
    with op.batch_alter_table("survey_link", schema=None) as batch_op:
        batch_op.alter_column("fielding_id", existing_type=sa.Integer(), nullable=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("survey_link", schema=None) as batch_op:
        batch_op.alter_column("fielding_id", existing_type=sa.Integer(), nullable=True)
