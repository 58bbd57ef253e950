"""A local SMTP server that keeps what it receives: the mail of `make run` and of the tests.

    python -m sprpa_shared.ops.mailsink [--port 8025] [--dir .sprpa/mail]

Each message is written to the folder as `<time>-<n>.eml` (open it with any mail reader) and kept
in memory for the tests to read. It is a sink: nothing is relayed anywhere.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import threading
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller

from sprpa_shared.ops.embedded import free_port


class _Keep:
    def __init__(self, sink: MailSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        self.sink.keep(envelope.content, envelope.rcpt_tos)
        return "250 Message accepted for delivery"


class MailSink:
    def __init__(self, port: int = 0, folder: Path | None = None, host: str = "127.0.0.1") -> None:
        self.host, self.port, self.folder = host, port or free_port(), folder
        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    def start(self) -> MailSink:
        """Start listening (again, after `stop`: on the same port, keeping what was received)."""
        if self.folder:
            self.folder.mkdir(parents=True, exist_ok=True)
        self._controller = Controller(_Keep(self), hostname=self.host, port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def keep(self, content: bytes, recipients: list[str]) -> None:
        message = email.message_from_bytes(content, policy=email.policy.default)
        with self._lock:
            self.messages.append(message)
            count = len(self.messages)
        if self.folder:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
            (self.folder / f"{stamp}-{count:05d}.eml").write_bytes(content)

    def to(self, address: str) -> list[EmailMessage]:
        """The messages received for `address`, oldest first."""
        with self._lock:
            return [message for message in self.messages if address in str(message["To"])]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m sprpa_shared.ops.mailsink")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--dir", type=Path, default=Path(".sprpa/mail"))
    args = parser.parse_args()
    sink = MailSink(args.port, args.dir).start()
    print(f"SMTP sink on 127.0.0.1:{sink.port}, mail kept in {args.dir}/", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        sink.stop()


if __name__ == "__main__":
    main()
