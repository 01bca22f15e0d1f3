"""The root settings model, :class:`Settings`: every table of :mod:`core.settings.tables`,
the top-level keys and the derived paths, read from keyword arguments, ``SIGAP_...``
environment variables and the TOML file named by ``_TOML_PATH`` (set by
:func:`core.settings.loading.load_settings`), in that order of precedence.
"""

from __future__ import annotations

from contextvars import ContextVar
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from core.settings.tables import (
    DatabaseSettings,
    LateDeliverySettings,
    LinkSettings,
    RegistrySettings,
    ReportSettings,
    RuleSettings,
    ScaleSettings,
    SourcesSettings,
    ValidationSettings,
)

_TOML_PATH: ContextVar[Path | None] = ContextVar("sigap_toml_path", default=None)


class Settings(BaseSettings):
    """All settings of SIGAP Registry."""

    model_config = SettingsConfigDict(
        env_prefix="SIGAP_", env_nested_delimiter="__", extra="forbid", validate_default=True
    )

    data_dir: Path = Field(
        Path("data"), description="working folder: downloads, baselines, rejects, GX docs, SQLite"
    )
    outbox_dir: Path | None = Field(
        None, description="where published files go (default: data_dir/outbox)"
    )
    mode: Literal["embedded", "server"] = Field(
        "embedded",
        description="`embedded`: the monthly flow runs re-verification itself; `server`: an event triggers its deployment",
    )
    sources: SourcesSettings = Field(default_factory=SourcesSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    registry: RegistrySettings = Field(default_factory=RegistrySettings)
    rules: RuleSettings = Field(default_factory=RuleSettings)
    validation: ValidationSettings = Field(default_factory=ValidationSettings)
    report: ReportSettings = Field(default_factory=ReportSettings)
    scale: ScaleSettings = Field(default_factory=ScaleSettings)
    links: LinkSettings = Field(default_factory=LinkSettings)
    late_deliveries: LateDeliverySettings = Field(default_factory=LateDeliverySettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        path = _TOML_PATH.get()
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)

    # derived paths -------------------------------------------------------------------
    @property
    def outbox(self) -> Path:
        return self.outbox_dir or self.data_dir / "outbox"

    @property
    def database_url(self) -> str:
        if self.database.url is not None:
            return self.database.url.get_secret_value()
        return f"sqlite:///{(self.data_dir / 'registry.sqlite').resolve()}"
