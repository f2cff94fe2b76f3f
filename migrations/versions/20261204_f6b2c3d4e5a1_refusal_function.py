"""groupbuy_refuse(reason): a statement that writes several tables at once (checkout's one-line order on
PostgreSQL, in autocommit) refuses as a whole: a refusal raises, so nothing of it is written

Revision ID: f6b2c3d4e5a1
Revises: e5a1b2c3d4f1
Create Date: 2026-12-04 01:40:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'f6b2c3d4e5a1'
down_revision = 'e5a1b2c3d4f1'
branch_labels = None
depends_on = None

# SQLSTATE GB409 and the reason as the message: groupbuy.prebuilt.refusal_of reads them back. SQLite never runs
# such a statement (its checkout is step by step in one transaction), so it needs no function.
REFUSE = """
CREATE FUNCTION groupbuy_refuse(reason text) RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF reason IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'GB409', MESSAGE = reason;
    END IF;
    RETURN true;
END
$$
"""


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(REFUSE)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION groupbuy_refuse(text)")
