"""Settings of the registry service: `SPRPA_REGISTRY_*` environment variables."""

from pathlib import Path
from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from sprpa_shared.settings import ServiceSettings


class RegistrySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SPRPA_REGISTRY_", extra="ignore")
    service: ClassVar[str] = "registry"
    default_port: ClassVar[int] = 8101

    database_url: str = "postgresql://postgres@127.0.0.1:5432/sprpa_registry"
    import_spool_dir: Path = Path(".sprpa/imports")
    import_max_bytes: int = Field(default=500 * 1024 * 1024, ge=1024)
    import_batch_rows: int = Field(default=5000, ge=1, le=100_000)
