"""Settings of the providers service: `SPRPA_PROVIDERS_*` environment variables."""

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from sprpa_shared.settings import ServiceSettings


class ProvidersSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SPRPA_PROVIDERS_", extra="ignore")
    service: ClassVar[str] = "providers"
    default_port: ClassVar[int] = 8102

    database_url: str = "postgresql://postgres@127.0.0.1:5432/sprpa_providers"
    mou_sweep_seconds: float = Field(default=300, gt=0, description="how often MOU expiry notices are checked")
