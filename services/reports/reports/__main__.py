import asyncio
import sys
from pathlib import Path

from reports.main import create_app
from reports.readmodels.rebuild import rebuild
from reports.settings import ReportsSettings
from sprpa_shared.ops.cli import service_main

if __name__ == "__main__":
    if sys.argv[1:] == ["rebuild"]:  # empty the read models; the running service replays every stream
        asyncio.run(rebuild(ReportsSettings()))
        sys.exit(0)
    service_main(
        settings_class=ReportsSettings,
        app_factory=create_app,
        migrations_dir=Path(__file__).resolve().parent.parent / "migrations",
    )
