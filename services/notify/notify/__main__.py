from pathlib import Path

from notify.main import create_app
from notify.settings import NotifySettings
from sprpa_shared.ops.cli import service_main

if __name__ == "__main__":
    service_main(
        settings_class=NotifySettings,
        app_factory=create_app,
        migrations_dir=Path(__file__).resolve().parent.parent / "migrations",
    )
