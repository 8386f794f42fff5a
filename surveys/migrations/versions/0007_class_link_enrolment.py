"""Survey links: the number expected to answer through a class link (its response rate).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 05:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("survey_link", schema=None) as batch_op:
        batch_op.add_column(sa.Column("enrolment", sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_survey_link_enrolment_positive"), "enrolment IS NULL OR enrolment > 0"
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("survey_link", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_survey_link_enrolment_positive"), type_="check")
        batch_op.drop_column("enrolment")
