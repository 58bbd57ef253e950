"""Settings: one `ServiceSettings` subclass per service, read from `SPRPA_<SERVICE>_*` variables."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from sprpa_shared.events.access import connect_options
from sprpa_shared.events.streams import ConsumerSpec
from sprpa_shared.protect import Protector

PLACEHOLDER_SECRETS = {"", "change-me", "changeme", "secret", "dev", "dev-secret", "password"}

Environment = Literal["dev", "test", "production"]


class ServiceSettings(BaseSettings):
    """What every service is configured with. Subclasses set `service` and the env prefix."""

    model_config = SettingsConfigDict(env_prefix="SPRPA_", extra="ignore")
    service: ClassVar[str] = "service"
    default_port: ClassVar[int] = 8100

    environment: Environment = "dev"
    host: str = "127.0.0.1"
    port: int = 0
    database_url: str = "postgresql://postgres@127.0.0.1:5432/sprpa"
    database_pool_size: int = Field(default=10, ge=1, le=200)
    database_statement_timeout_seconds: float = Field(default=60.0, gt=0, description="longest a statement may run")
    nats_url: str = "nats://127.0.0.1:4222"
    nats_seed_file: str = Field(default="", description="the service's NKey seed file: NATS refuses anonymous "
                                                        "clients (required outside dev and test)")
    nats_tls_ca_file: str = Field(default="", description="CA bundle that signed NATS's certificate: connect "
                                                          "over TLS (tls:// URLs)")
    stream_replicas: int = Field(default=1, ge=1, le=5)
    oidc_issuer: str = "http://127.0.0.1:8000"
    oidc_audience: str = "sprpa"
    jwks_url: str = ""
    revocations_url: str = Field(default="", description="the issuer's list of revoked tokens (deactivated people, "
                                 "revoked clients); empty: the issuer's /api/v1/auth/revocations")
    log_level: str = "INFO"
    trace_requests: bool | None = Field(default=None, description="a server span per HTTP request; unset: only "
                                        "when traces are exported (OTEL_EXPORTER_OTLP_ENDPOINT)")
    trace_sql: bool | None = Field(default=None, description="a span per SQL statement; unset: only when traces "
                                                             "are exported (OTEL_EXPORTER_OTLP_ENDPOINT)")
    secret_key: str = "change-me"
    sync_settle_seconds: float = Field(default=10.0, ge=0, le=600, description="lists read with "
                                       "updated_since show a change this many seconds after it was made, so "
                                       "that a transaction committing late is never skipped by a poller")
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024, description="largest request body outside uploads")
    consumer_ack_wait_seconds: float = Field(default=30.0, gt=0)
    consumer_max_deliver: int = Field(default=5, ge=1)
    consumer_backoff_seconds: list[float] = Field(default_factory=lambda: [1.0, 5.0, 30.0, 120.0])
    audit_seal_seconds: float = Field(default=5.0, gt=0, description="how often new audit rows are sealed "
                                                                      "into the hash chain")
    audit_keys: str = Field(default="", description="keys the audit log is sealed with (HMAC), kept out of the "
                                                    "database: JSON {\"key id\": \"base64 of 32 bytes\"}; "
                                                    "required in production by services with an audit log; "
                                                    "empty derives one from SECRET_KEY (dev and test only)")
    audit_key_current: str = Field(default="", description="the key id new seals are made with")

    @model_validator(mode="after")
    def _defaults_and_secrets(self) -> ServiceSettings:
        if self.port == 0:
            self.port = self.default_port
        if not self.jwks_url:
            self.jwks_url = self.oidc_issuer.rstrip("/") + "/.well-known/jwks.json"
        if not self.revocations_url:
            self.revocations_url = self.oidc_issuer.rstrip("/") + "/api/v1/auth/revocations"
        if self.environment == "production" and self.secret_key.strip().lower() in PLACEHOLDER_SECRETS:
            raise ValueError(
                f"{self.model_config.get('env_prefix')}SECRET_KEY is a placeholder; "
                "set a real secret outside dev and test"
            )
        if self.environment == "production" and not self.nats_seed_file:
            raise ValueError(
                f"{self.model_config.get('env_prefix')}NATS_SEED_FILE is not set; NATS takes no anonymous "
                "clients: give the service its NKey seed (python -m sprpa_shared.events.access keys)"
            )
        return self

    def audit_keyring(self):
        from sprpa_shared.audit import Keyring  # the audit module imports the platform's web parts

        return Keyring.from_config(audit_keys=self.audit_keys, audit_key_current=self.audit_key_current,
                                   secret_key=self.secret_key)

    def nats_options(self) -> dict:
        """How this service connects to NATS: its own user, its own inbox, TLS when configured."""
        return connect_options(self.service, seed_file=self.nats_seed_file, tls_ca_file=self.nats_tls_ca_file)

    def consumer(self, *, name: str, stream: str, subjects: list[str]) -> ConsumerSpec:
        """A durable consumer of this service with the configured delivery limits."""
        return ConsumerSpec(
            durable=f"{self.service}-{name}",
            stream=stream,
            filter_subjects=tuple(subjects),
            ack_wait=self.consumer_ack_wait_seconds,
            max_deliver=self.consumer_max_deliver,
            backoff=tuple(self.consumer_backoff_seconds),
        )

    @property
    def asyncpg_url(self) -> str:
        """The database URL as asyncpg wants it (no SQLAlchemy driver suffix)."""
        return self.database_url.replace("postgresql+asyncpg://", "postgresql://", 1)

    @property
    def sqlalchemy_url(self) -> str:
        return self.asyncpg_url.replace("postgresql://", "postgresql+asyncpg://", 1)


class ProtectingSettings(ServiceSettings):
    """A service that keeps free text or identifiers about people encrypted (`sprpa_shared.protect`)."""

    data_keys: str = Field(default="", description="keys that encrypt names, NIK and notes: JSON {\"key id\": "
                                                   "\"base64 of 32 bytes\"}; empty derives one from SECRET_KEY "
                                                   "(dev and test only)")
    data_key_current: str = Field(default="", description="the key id new values are encrypted with")
    blind_index_key: str = Field(default="", description="base64 key (32+ bytes) of the NIK blind index; never "
                                                         "rotated without `python -m registry rekey`")

    @model_validator(mode="after")
    def _keys(self) -> ProtectingSettings:
        prefix = self.model_config.get("env_prefix")
        if self.environment == "production" and not (self.data_keys and self.blind_index_key):
            raise ValueError(f"{prefix}DATA_KEYS and {prefix}BLIND_INDEX_KEY must be set in production")
        self.protector()  # a malformed key is a start-up error, not a failure at the first value
        return self

    def protector(self) -> Protector:
        return Protector.from_config(data_keys=self.data_keys, data_key_current=self.data_key_current,
                                     blind_index_key=self.blind_index_key, secret_key=self.secret_key)
