"""Alembic migrations of the registry database (package data; run them with
``connectors.registry_db.upgrade(url)``, no ``alembic.ini`` needed)."""
