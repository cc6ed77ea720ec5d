"""filing contact: the project filing's contact person and phone (personal data)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

``filings.contact_person`` (项目联系人) and ``filings.contact_phone`` (联系电话), empty for
the filings that exist already.  The phone is masked for roles that do not need it
(``xietong.services.privacy``); neither column goes into the search text.

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0007'
down_revision: Union[str, Sequence[str], None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('filings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_person', sa.String(length=50), server_default='', nullable=False))
        batch_op.add_column(sa.Column('contact_phone', sa.String(length=20), server_default='', nullable=False))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('filings', schema=None) as batch_op:
        batch_op.drop_column('contact_phone')
        batch_op.drop_column('contact_person')
