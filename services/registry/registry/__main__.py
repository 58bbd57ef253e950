import asyncio
import json
import sys
from pathlib import Path

from registry.main import create_app
from registry.rekey import rekey
from registry.settings import RegistrySettings
from sprpa_shared.ops.cli import service_main

if __name__ == "__main__":
    if sys.argv[1:] == ["import-worker"]:  # started by the service itself (registry.imports.process)
        from registry.imports.process import main as import_worker_main

        sys.exit(import_worker_main())
    if sys.argv[1:] == ["rekey"]:  # seal protected values with the current key, refresh the NIK blind index
        print(json.dumps(asyncio.run(rekey(RegistrySettings()))))
        sys.exit(0)
    service_main(
        settings_class=RegistrySettings,
        app_factory=create_app,
        migrations_dir=Path(__file__).resolve().parent.parent / "migrations",
    )
