"""site generation: the one-row token every committed write replaces (xietong.generation)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01

The navigation's worklist badge and the dashboards are cached per application under this
token (see ``xietong/generation.py`` for the algorithm).  The first token is random, like
every later one, so that two databases — or one database and a copy restored from an older
backup — never show the same token for different data.
"""
import secrets
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0011'
down_revision: Union[str, Sequence[str], None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    table = op.create_table(
        "site_generation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_site_generation_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_generation")),
    )
    op.bulk_insert(table, [{"id": 1, "token": secrets.randbits(63)}])


def downgrade() -> None:
    op.drop_table("site_generation")
