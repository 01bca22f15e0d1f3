"""Typed settings: a TOML file plus ``SIGAP_...`` environment overrides.

Precedence (highest first): keyword arguments, environment variables
(``SIGAP_DATABASE__URL``, ``SIGAP_RULES__QUOTA``, ``SIGAP_SOURCES__DUKCAPIL__HOST`` ...),
the TOML file (``--config``, else ``$SIGAP_CONFIG``, else ``./sigap.toml`` when present),
then the defaults of the tables. Nothing is read at import time: call ``load_settings``.

Nothing is silently ignored: an unknown key in any table of the file, and any ``SIGAP_...``
environment variable that names no setting (except ``SIGAP_CONFIG``, ``SIGAP_HOME`` and the
variables of ``infra/server.sh``, which are not settings: :data:`NOT_SETTINGS`), is an error naming the key and the closest
valid one; values are range-checked. ``load_settings`` reports every problem at once in
one :class:`~core.errors.ConfigError`.

Every field has a description: ``sigap settings table`` renders the README's table from
them.

The parts: :mod:`~core.settings.tables` (the tables, their defaults and checks),
:mod:`~core.settings.model` (the root :class:`Settings`), :mod:`~core.settings.schema`
(walking the tables' keys and types), :mod:`~core.settings.loading` (:func:`load_settings`
and its problems) and :mod:`~core.settings.rendering` (:func:`to_toml` and the settings
table).
"""

from __future__ import annotations

from core.settings.loading import ENV_PREFIX, NOT_SETTINGS, load_settings
from core.settings.model import Settings
from core.settings.rendering import settings_markdown_table, to_toml
from core.settings.tables import (
    DatabaseSettings,
    LateDeliverySettings,
    LinkSettings,
    RegistrySettings,
    ReportSettings,
    RuleSettings,
    ScaleSettings,
    SftpEndpoint,
    SourceName,
    SourcesSettings,
    ValidationSettings,
)

__all__ = [
    "ENV_PREFIX",
    "NOT_SETTINGS",
    "DatabaseSettings",
    "LateDeliverySettings",
    "LinkSettings",
    "RegistrySettings",
    "ReportSettings",
    "RuleSettings",
    "ScaleSettings",
    "Settings",
    "SftpEndpoint",
    "SourceName",
    "SourcesSettings",
    "ValidationSettings",
    "load_settings",
    "settings_markdown_table",
    "to_toml",
]
