import asyncio
import json
import sys
from pathlib import Path

from providers import demo
from providers.main import create_app
from providers.settings import ProvidersSettings
from sprpa_shared.clock import SystemClock
from sprpa_shared.db import create_engine, session_factory, transaction
from sprpa_shared.ops.cli import service_main


async def _load_demo() -> int:
    engine = create_engine(ProvidersSettings().sqlalchemy_url, pool_size=1)
    try:
        async with transaction(session_factory(engine)) as session:
            return await demo.load(session, now=SystemClock().now())
    finally:
        await engine.dispose()


if __name__ == "__main__":
    if sys.argv[1:] == ["demo-data"]:
        print(json.dumps({"demo_organizations_created": asyncio.run(_load_demo())}))
        sys.exit(0)
    service_main(
        settings_class=ProvidersSettings,
        app_factory=create_app,
        migrations_dir=Path(__file__).resolve().parent.parent / "migrations",
    )
