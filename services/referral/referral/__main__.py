from pathlib import Path

from referral.main import create_app
from referral.settings import ReferralSettings
from sprpa_shared.cli import service_main

if __name__ == "__main__":
    service_main(
        settings_class=ReferralSettings,
        app_factory=create_app,
        migrations_dir=Path(__file__).resolve().parent.parent / "migrations",
    )
