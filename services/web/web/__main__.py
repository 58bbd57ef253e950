from pathlib import Path

from sprpa_shared.ops.cli import service_main
from web.issuer.cli import COMMANDS
from web.issuer.cli import main as issuer_main
from web.main import create_app
from web.settings import WebSettings

if __name__ == "__main__":
    service_main(
        settings_class=WebSettings,
        app_factory=create_app,
        migrations_dir=Path(__file__).resolve().parent.parent / "migrations",
        extra_commands={name: (help_, issuer_main) for name, help_ in COMMANDS.items()},
    )
