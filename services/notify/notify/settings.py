"""Settings of the notify service: `SPRPA_NOTIFY_*` environment variables."""

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from sprpa_shared.settings import ProtectingSettings


class NotifySettings(ProtectingSettings):
    model_config = SettingsConfigDict(env_prefix="SPRPA_NOTIFY_", extra="ignore")
    service: ClassVar[str] = "notify"
    default_port: ClassVar[int] = 8105

    database_url: str = "postgresql://postgres@127.0.0.1:5432/sprpa_notify"

    web_url: str = Field(default="http://127.0.0.1:8000", description="where people read the pages: every "
                         "notification links to the page that tells the rest under authorisation")
    smtp_host: str = Field(default="", description="the SMTP server mail is sent through; empty: no email")
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_starttls: bool = Field(default=False, description="upgrade the connection with STARTTLS before "
                                                           "authenticating (required outside dev and test)")
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_timeout_seconds: float = Field(default=10.0, gt=0)
    mail_from: str = Field(default="SPRPA <noreply@sprpa.invalid>", description="the sender of every email")
    delivery_sweep_seconds: float = Field(default=2.0, gt=0, description="how often deliveries held until later "
                                          "(retries, quiet hours, digests) are looked for; new ones go at once")
    reminder_sweep_seconds: float = Field(default=30.0, gt=0, description="how often unanswered offers are "
                                          "checked for their 50% and 80% SLA reminders")
    delivery_max_attempts: int = Field(default=10, ge=1, description="a delivery failing this many times is "
                                       "given up (failed, with its reason)")
    retry_first_seconds: float = Field(default=30.0, gt=0, description="the first retry's wait; each next one "
                                       "doubles it, up to an hour")
    email_per_hour: int = Field(default=20, ge=1, description="most emails one person gets in an hour; more "
                                "wait for the next hour")
    messages_per_hour: int = Field(default=10, ge=1, description="most WhatsApp or SMS messages one person gets "
                                   "in an hour on each; more wait for the next hour")
    gateway_timeout_seconds: float = Field(default=10.0, gt=0, le=60, description="longest the WhatsApp or SMS "
                                           "gateway may take to take a message")
    whatsapp_api_url: str = Field(default="https://graph.facebook.com/v21.0", description="the WhatsApp Business "
                                  "Cloud API")
    whatsapp_phone_number_id: str = Field(default="", description="the business phone number messages come from; "
                                          "empty: no WhatsApp")
    whatsapp_access_token: str = ""
    whatsapp_app_secret: str = Field(default="", description="verifies the delivery receipts Meta posts "
                                     "(X-Hub-Signature-256); empty: receipts are refused")
    whatsapp_verify_token: str = Field(default="", description="the token Meta echoes when the receipt "
                                       "endpoint is subscribed")
    public_url: str = Field(default="", description="where the gateways reach this service from outside, for "
                            "delivery receipts (https://notify.example.go.id); empty: no SMS receipts asked for")
    sms_api_url: str = Field(default="https://api.twilio.com", description="an SMS gateway speaking Twilio's "
                             "Messages API")
    sms_account_sid: str = Field(default="", description="the gateway account; empty: no SMS")
    sms_auth_token: str = ""
    sms_from: str = Field(default="", description="the sender number or alphanumeric sender id")
    webhook_internal_targets: bool | None = Field(default=None, description="whether webhooks may point at "
                                                  "private, loopback or link-local addresses and plain http; "
                                                  "unset: only in dev and test")
    webhook_sweep_seconds: float = Field(default=5.0, gt=0, description="how often webhook deliveries whose "
                                         "retry has come due are looked for (a new one is sent as it is queued)")
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=30, description="longest a receiver may take")
    webhook_retry_days: float = Field(default=3.0, gt=0, description="a delivery is retried with back-off for "
                                      "this long, then failed")
    webhook_disable_after_days: float = Field(default=5.0, gt=0, description="an endpoint failing this long is "
                                              "disabled and its kabupaten's operators told")
    webhook_secret_grace_hours: float = Field(default=24.0, ge=0, description="how long a rotated secret still "
                                              "signs deliveries beside the new one")
