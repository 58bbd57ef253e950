import asyncio
import sys
from pathlib import Path

from referral.directory.handlers import rebuild
from referral.main import create_app
from referral.settings import ReferralSettings
from sprpa_shared.ops.cli import service_main

if __name__ == "__main__":
    if sys.argv[1:] == ["rebuild-directory"]:  # empty the replica; the running service replays the providers' stream
        asyncio.run(rebuild(ReferralSettings()))
        sys.exit(0)
    service_main(
        settings_class=ReferralSettings,
        app_factory=create_app,
        migrations_dir=Path(__file__).resolve().parent.parent / "migrations",
    )
