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
    lockout_threshold: int = Field(default=5, ge=1, description="failed logins for an account from one address "
                                   "before that address must wait (1 min, doubling)")
    lockout_minutes: int = Field(default=15, ge=1, description="the longest such wait")
    login_failures_per_address: int = Field(default=20, ge=1, description="failed logins from one address within "
                                                                          "the window before it gets 429")
    login_failure_window_minutes: int = Field(default=15, ge=1)
    registry_url: str = Field(default="http://127.0.0.1:8101", description="where the pages reach the registry")
    providers_url: str = Field(default="http://127.0.0.1:8102", description="where the pages reach the providers "
                                                                           "directory")
    referral_url: str = Field(default="http://127.0.0.1:8103", description="where the pages reach the referral "
                                                                          "engine")
    reports_url: str = Field(default="http://127.0.0.1:8104", description="where the pages reach the reports")
    notify_url: str = Field(default="http://127.0.0.1:8105", description="where the pages reach the notifications "
                                                                        "(the bell, the list, the settings)")
    upload_max_bytes: int = Field(default=200 * 1024 * 1024, ge=1024, description="largest survey file the upload "
                                                                                 "page passes on to the registry")
    backend_timeout_seconds: float = Field(default=15.0, gt=0, description="longest a page waits for a service")
    offline_days: int = Field(default=7, ge=1, le=30, description="a cadre's phone that has not reached the "
                              "server this many days wipes its queue of unsent changes and the pages it kept")
    session_idle_minutes: int = Field(default=30, ge=1, description="a signed-in browser idle this long must sign "
                                                                     "in again")
    session_max_hours: int = Field(default=12, ge=1, description="a browser session ends this long after sign-in "
                                                                 "whatever its use")
