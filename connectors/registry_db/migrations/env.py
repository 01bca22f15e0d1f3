"""Alembic environment of the registry database.

Run through :func:`connectors.registry_db.upgrade`, which opens the transaction, takes the
migration lock and hands the connection over in ``config.attributes["connection"]``.
Offline (``--sql``) mode renders the DDL for the dialect of ``sqlalchemy.url``.
"""

from __future__ import annotations

from alembic import context

from connectors.registry_db.schema import metadata

config = context.config


def _run() -> None:
    if context.is_offline_mode():
        url = config.get_main_option("sqlalchemy.url")
        if not url:
            raise RuntimeError("offline migrations need sqlalchemy.url in the Alembic config")
        context.configure(url=url, target_metadata=metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError(
            "run the registry migrations through connectors.registry_db.upgrade(url)"
        )
    context.configure(connection=connection, target_metadata=metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


_run()
