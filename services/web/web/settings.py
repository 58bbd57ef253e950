"""Settings of the web service and local issuer: `SPRPA_WEB_*` environment variables."""

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from sprpa_shared.settings import ServiceSettings


class WebSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SPRPA_WEB_", extra="ignore")
    service: ClassVar[str] = "web"
    default_port: ClassVar[int] = 8000

    database_url: str = "postgresql://postgres@127.0.0.1:5432/sprpa_web"
    access_token_ttl_minutes: int = Field(default=15, ge=1, le=60)
    lockout_threshold: int = Field(default=5, ge=1)
    lockout_minutes: int = Field(default=15, ge=1)
    login_failures_per_address: int = Field(default=20, ge=1, description="failed logins from one address within "
                                                                          "the window before it gets 429")
    login_failure_window_minutes: int = Field(default=15, ge=1)
