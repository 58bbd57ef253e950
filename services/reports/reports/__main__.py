from pathlib import Path

from reports.main import create_app
from reports.settings import ReportsSettings
from sprpa_shared.cli import service_main

if __name__ == "__main__":
    service_main(
        settings_class=ReportsSettings,
        app_factory=create_app,
        migrations_dir=Path(__file__).resolve().parent.parent / "migrations",
    )
