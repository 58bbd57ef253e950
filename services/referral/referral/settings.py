"""Settings of the referral service: `SPRPA_REFERRAL_*` environment variables."""

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from sprpa_shared.settings import ServiceSettings


class ReferralSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SPRPA_REFERRAL_", extra="ignore")
    service: ClassVar[str] = "referral"
    default_port: ClassVar[int] = 8103

    database_url: str = "postgresql://postgres@127.0.0.1:5432/sprpa_referral"
