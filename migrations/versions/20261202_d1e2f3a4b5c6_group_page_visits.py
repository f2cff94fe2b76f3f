"""Group share pages: daily views and visitors per group, and the day-salted visitor hashes that count them

Revision ID: d1e2f3a4b5c6
Revises: 3a293f3926d8
Create Date: 2026-12-02 20:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'd1e2f3a4b5c6'
down_revision = '3a293f3926d8'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'group_page_days',
        sa.Column('group_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('leader_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('views', sa.Integer(), nullable=False),
        sa.Column('visitors', sa.Integer(), nullable=False),
        sa.CheckConstraint('views >= 0 AND visitors >= 0', name=op.f('ck_group_page_days_counts_nonnegative')),
        sa.ForeignKeyConstraint(
            ['group_id'], ['groups.id'], name=op.f('fk_group_page_days_group_id_groups'), ondelete='CASCADE'
        ),
        sa.ForeignKeyConstraint(
            ['leader_id'], ['leaders.id'], name=op.f('fk_group_page_days_leader_id_leaders'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('group_id', 'day', name=op.f('pk_group_page_days')),
    )
    op.create_index('ix_group_page_days_leader_day', 'group_page_days', ['leader_id', 'day'], unique=False)
    op.create_table(
        'group_page_visitors',
        sa.Column('group_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('visitor_hash', sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ['group_id'], ['groups.id'], name=op.f('fk_group_page_visitors_group_id_groups'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('group_id', 'day', 'visitor_hash', name=op.f('pk_group_page_visitors')),
    )


def downgrade():
    op.drop_table('group_page_visitors')
    op.drop_index('ix_group_page_days_leader_day', table_name='group_page_days')
    op.drop_table('group_page_days')
