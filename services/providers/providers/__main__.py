from pathlib import Path

from providers.main import create_app
from providers.settings import ProvidersSettings
from sprpa_shared.cli import service_main

if __name__ == "__main__":
    service_main(
        settings_class=ProvidersSettings,
        app_factory=create_app,
        migrations_dir=Path(__file__).resolve().parent.parent / "migrations",
    )
