"""Settings of the referral service: `SPRPA_REFERRAL_*` environment variables."""

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from sprpa_shared.settings import ProtectingSettings


class ReferralSettings(ProtectingSettings):
    """Its free text (reason texts, timeline notes) is encrypted with its own DATA_KEYS."""

    model_config = SettingsConfigDict(env_prefix="SPRPA_REFERRAL_", extra="ignore")
    service: ClassVar[str] = "referral"
    default_port: ClassVar[int] = 8103

    database_url: str = "postgresql://postgres@127.0.0.1:5432/sprpa_referral"

    # What a kabupaten gets until its operator sets its own (PUT /api/v1/settings/{regency_code}).
    default_parallel_offers: int = Field(default=2, ge=1, le=10, description="offers out at once per need")
    default_sla_hours: int = Field(default=48, ge=1, le=720, description="hours a provider has to answer an offer")
    default_weekends_count: bool = Field(default=False, description="whether Saturday and Sunday count toward the SLA")

    sla_sweep_seconds: float = Field(default=30.0, gt=0, description="how often the SLA sweeper looks for due offers")
    sla_sweep_batch: int = Field(default=200, ge=1, description="needs one sweeper transaction claims at most")
