"""Settings of the registry service: `SPRPA_REGISTRY_*` environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from sprpa_shared.protect import Protector
from sprpa_shared.settings import ServiceSettings


class RegistrySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SPRPA_REGISTRY_", extra="ignore")
    service: ClassVar[str] = "registry"
    default_port: ClassVar[int] = 8101

    database_url: str = "postgresql://postgres@127.0.0.1:5432/sprpa_registry"
    import_spool_dir: Path = Path(".sprpa/imports")
    import_max_bytes: int = Field(default=500 * 1024 * 1024, ge=1024)
    import_batch_rows: int = Field(default=2000, ge=1, le=100_000)
    data_keys: str = Field(default="", description="keys that encrypt names, NIK and notes: JSON {\"key id\": "
                                                   "\"base64 of 32 bytes\"}; empty derives one from SECRET_KEY "
                                                   "(dev and test only)")
    data_key_current: str = Field(default="", description="the key id new values are encrypted with")
    blind_index_key: str = Field(default="", description="base64 key (32+ bytes) of the NIK blind index; never "
                                                         "rotated without `python -m registry rekey`")

    retention_years: int = Field(default=5, ge=1, le=100, description="years after a case is closed (and "
                                                                      "untouched) before the child's personal data "
                                                                      "is erased")
    retention_sweep_seconds: float = Field(default=3600, gt=0, description="how often expired records are looked for")

    @model_validator(mode="after")
    def _keys(self) -> RegistrySettings:
        if self.environment == "production" and not (self.data_keys and self.blind_index_key):
            raise ValueError("SPRPA_REGISTRY_DATA_KEYS and SPRPA_REGISTRY_BLIND_INDEX_KEY must be set in production")
        self.protector()  # a malformed key is a start-up error, not a failure at the first child
        return self

    def protector(self) -> Protector:
        return Protector.from_config(data_keys=self.data_keys, data_key_current=self.data_key_current,
                                     blind_index_key=self.blind_index_key, secret_key=self.secret_key)
