from pathlib import Path

from registry.main import create_app
from registry.settings import RegistrySettings
from sprpa_shared.cli import service_main

if __name__ == "__main__":
    service_main(
        settings_class=RegistrySettings,
        app_factory=create_app,
        migrations_dir=Path(__file__).resolve().parent.parent / "migrations",
    )
