"""merge payments and jobs

Revision ID: a05b6c7d8e95
Revises: 8e3f4a5b6c73, 9f4a5b6c7d84
Create Date: 2026-11-25 03:42:13.661069

"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = 'a05b6c7d8e95'
down_revision = ('8e3f4a5b6c73', '9f4a5b6c7d84')
branch_labels = None
depends_on = None

def upgrade():
    pass

def downgrade():
    pass
