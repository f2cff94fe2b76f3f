"""Messaging: conversations (shopper with leader or customer service) and their messages

Revision ID: e5a1b2c3d4f3
Revises: e5a1b2c3d4f0
Create Date: 2026-12-03 06:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e5a1b2c3d4f3"
down_revision = "e5a1b2c3d4f0"  # uploads (message photos are uploads)
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "conversations",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("leader", "cs", name="conversation_kind", native_enum=False, create_constraint=True, length=32),
            nullable=False,
        ),
        sa.Column("shopper_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("leader_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("shopper_read_id", sa.BigInteger(), nullable=False),
        sa.Column("staff_read_id", sa.BigInteger(), nullable=False),
        sa.Column("shopper_notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("staff_notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_message_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(kind = 'leader' AND leader_id IS NOT NULL) OR (kind = 'cs' AND leader_id IS NULL)",
            name=op.f("ck_conversations_leader_matches_kind"),
        ),
        sa.CheckConstraint(
            "shopper_read_id >= 0 AND staff_read_id >= 0", name=op.f("ck_conversations_read_ids_nonnegative")
        ),
        sa.ForeignKeyConstraint(
            ["leader_id"], ["leaders.id"], name=op.f("fk_conversations_leader_id_leaders"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["shopper_id"], ["users.id"], name=op.f("fk_conversations_shopper_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
        sa.UniqueConstraint("shopper_id", "leader_id", name="uq_conversations_shopper_leader"),
    )
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.create_index("ix_conversations_kind_last", ["kind", "last_message_at"], unique=False)
        batch_op.create_index("ix_conversations_leader_last", ["leader_id", "last_message_at"], unique=False)
        batch_op.create_index(
            "uq_conversations_one_cs",
            ["shopper_id"],
            unique=True,
            postgresql_where=sa.text("kind = 'cs'"),
            sqlite_where=sa.text("kind = 'cs'"),
        )

    op.create_table(
        "messages",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("conversation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("sender_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "side",
            sa.Enum("shopper", "staff", name="message_side", native_enum=False, create_constraint=True, length=32),
            nullable=False,
        ),
        sa.Column("body", sa.String(length=1000), nullable=False),
        sa.Column("order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("length(body) <= 1000", name=op.f("ck_messages_body_length")),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_messages_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_messages_order_id_orders"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["sender_id"], ["users.id"], name=op.f("fk_messages_sender_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index("ix_messages_conversation_id", ["conversation_id", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_messages_sender_id"), ["sender_id"], unique=False)

    op.create_table(
        "message_images",
        sa.Column("message_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("upload_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.CheckConstraint("position >= 0 AND position < 9", name=op.f("ck_message_images_position_range")),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_message_images_message_id_messages"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["upload_id"], ["uploads.id"], name=op.f("fk_message_images_upload_id_uploads"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("message_id", "position", name=op.f("pk_message_images")),
        sa.UniqueConstraint("message_id", "upload_id", name="uq_message_images_message_upload"),
    )
    with op.batch_alter_table("message_images", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_message_images_upload_id"), ["upload_id"], unique=False)


def downgrade():
    with op.batch_alter_table("message_images", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_message_images_upload_id"))

    op.drop_table("message_images")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_messages_sender_id"))
        batch_op.drop_index("ix_messages_conversation_id")

    op.drop_table("messages")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_conversations_one_cs", postgresql_where=sa.text("kind = 'cs'"), sqlite_where=sa.text("kind = 'cs'")
        )
        batch_op.drop_index("ix_conversations_leader_last")
        batch_op.drop_index("ix_conversations_kind_last")

    op.drop_table("conversations")
