"""Settings of the registry service: `SPRPA_REGISTRY_*` environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from sprpa_shared.settings import ProtectingSettings


class RegistrySettings(ProtectingSettings):
    model_config = SettingsConfigDict(env_prefix="SPRPA_REGISTRY_", extra="ignore")
    service: ClassVar[str] = "registry"
    default_port: ClassVar[int] = 8101

    database_url: str = "postgresql://postgres@127.0.0.1:5432/sprpa_registry"
    import_spool_dir: Path = Path(".sprpa/imports")
    import_max_bytes: int = Field(default=500 * 1024 * 1024, ge=1024)
    import_batch_rows: int = Field(default=2000, ge=1, le=100_000)
    import_worker: Literal["process", "thread"] = Field(
        default="process", description="process: imports are parsed and validated in a child process of the "
        "service's own, so the API keeps its answers during an import; thread: in the service's process")
    import_worker_niceness: int = Field(
        default=19, ge=0, le=19, description="how much the import worker process yields the processor to the API "
        "(nice): 0 imports fastest, 19 disturbs the API least")

    retention_years: int = Field(default=5, ge=1, le=100, description="years after a case is closed (and "
                                                                      "untouched) before the child's personal data "
                                                                      "is erased")
    retention_sweep_seconds: float = Field(default=3600, gt=0, description="how often expired records are looked for")
    visits_due_sweep_seconds: float = Field(default=900, gt=0, description="how often the job looks for desa not yet "
                                            "sent this week's visits-due summary (from Monday 07:00 local)")
    roadmap_free_months: int = Field(default=6, ge=1, le=36, description="months a desa must go with no child "
                                     "labourer left without remediation for that roadmap milestone")

