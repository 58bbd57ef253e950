"""Settings of the reports service: `SPRPA_REPORTS_*` environment variables."""

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from sprpa_shared.settings import ServiceSettings


class ReportsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SPRPA_REPORTS_", extra="ignore")
    service: ClassVar[str] = "reports"
    default_port: ClassVar[int] = 8104

    database_url: str = "postgresql://postgres@127.0.0.1:5432/sprpa_reports"

    small_cell_threshold: int = Field(default=5, ge=2, le=100,
                                      description="counts from 1 to this minus 1 are hidden for analysts and "
                                                  "public exports")
    pilot_withdrawn_target: int = Field(default=20, ge=0, description="a new pilot desa's target unless the "
                                                                     "district gives its own")
    pilot_prevented_target: int = Field(default=200, ge=0, description="a new pilot desa's target likewise")
    pilot_mapping_target: int = Field(default=220, ge=0, description="children mapped per pilot desa likewise "
                                                                    "(1,760 over 8 desa in the seed plan)")
    pilot_mou_target: int = Field(default=30, ge=0, description="providers under MOU per kabupaten")
    programme_mou_target: int = Field(default=30, ge=0, description="providers under MOU across the whole "
                                      "programme (seed 001: 30 providers in three kabupaten), for the periodic "
                                      "report of a province or the country")
