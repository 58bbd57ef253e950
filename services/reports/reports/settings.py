"""Settings of the reports service: `SPRPA_REPORTS_*` environment variables."""

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from sprpa_shared.settings import ServiceSettings


class ReportsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SPRPA_REPORTS_", extra="ignore")
    service: ClassVar[str] = "reports"
    default_port: ClassVar[int] = 8104

    database_url: str = "postgresql://postgres@127.0.0.1:5432/sprpa_reports"
