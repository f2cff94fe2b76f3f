"""Alembic environment for Flask-Migrate: our metadata, db.engine, and an injectable connection."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

import groupbuy.models  # noqa: F401 - registers every table on the metadata
from groupbuy.db import UTCDateTime

config = context.config
if config.config_file_name and not config.attributes.get("connection"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

migrate_ext = current_app.extensions["migrate"]
target_metadata = migrate_ext.db.metadata


def render_item(type_, obj, autogen_context):
    """Write our UTC type as plain DateTime(timezone=True): migrations must not import app code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(**kwargs):
    options = dict(migrate_ext.configure_args)
    options.setdefault("render_item", render_item)
    options.update(kwargs)
    context.configure(target_metadata=target_metadata, **options)


def run_migrations_offline():
    _configure(url=str(migrate_ext.db.engine.url), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    def skip_empty(ctx, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            logger.info("No changes in schema detected.")

    injected = config.attributes.get("connection")
    if injected is not None:
        _configure(connection=injected, process_revision_directives=skip_empty)
        with context.begin_transaction():
            context.run_migrations()
        return
    with migrate_ext.db.engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch mode rebuilds tables (create copy, drop old); with foreign keys on, dropping the old
            # table would cascade-delete child rows. The PRAGMA only works outside a transaction.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        try:
            _configure(connection=connection, process_revision_directives=skip_empty)
            with context.begin_transaction():
                context.run_migrations()
        finally:
            if sqlite:
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
