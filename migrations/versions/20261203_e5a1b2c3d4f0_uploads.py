"""Uploads: images users uploaded (re-encoded, content-addressed keys), attached later by reviews and others

Revision ID: e5a1b2c3d4f0
Revises: e5a1b2c3d4f5
Create Date: 2026-12-03 06:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e5a1b2c3d4f0'
down_revision = 'e5a1b2c3d4f5'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade():
    op.create_table(
        'uploads',
        sa.Column('id', ID, autoincrement=True, nullable=False),
        sa.Column('owner_id', ID, nullable=False),
        sa.Column('key', sa.String(length=100), nullable=False),
        sa.Column('content_type', sa.String(length=20), nullable=False),
        sa.Column('width', sa.Integer(), nullable=False),
        sa.Column('height', sa.Integer(), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('attached_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "content_type IN ('image/jpeg', 'image/png', 'image/webp')", name=op.f('ck_uploads_content_type')
        ),
        sa.CheckConstraint('width > 0 AND height > 0 AND size > 0', name=op.f('ck_uploads_dimensions')),
        sa.ForeignKeyConstraint(
            ['owner_id'], ['users.id'], name=op.f('fk_uploads_owner_id_users'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_uploads')),
    )
    op.create_index('ix_uploads_owner_id', 'uploads', ['owner_id'], unique=False)
    op.create_index('ix_uploads_key', 'uploads', ['key'], unique=False)
    op.create_index('ix_uploads_created_at', 'uploads', ['created_at'], unique=False)


def downgrade():
    op.drop_index('ix_uploads_created_at', table_name='uploads')
    op.drop_index('ix_uploads_key', table_name='uploads')
    op.drop_index('ix_uploads_owner_id', table_name='uploads')
    op.drop_table('uploads')
