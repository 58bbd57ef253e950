"""Settings of the registry service: `SPRPA_REGISTRY_*` environment variables."""

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from sprpa_shared.settings import ServiceSettings


class RegistrySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SPRPA_REGISTRY_", extra="ignore")
    service: ClassVar[str] = "registry"
    default_port: ClassVar[int] = 8101

    database_url: str = "postgresql://postgres@127.0.0.1:5432/sprpa_registry"
