"""Channels: each a small adapter with one method, `send`, that raises `DeliveryFailed` with a
reason when the message was not accepted (the caller retries with back-off, then gives up)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class DeliveryFailed(Exception):
    """The channel did not take the message; `str()` is the reason kept on the delivery."""


@dataclass(frozen=True)
class Outgoing:
    to: str
    language: str
    subject: str
    text: str
    html: str
    link: str
    unsubscribe: str


class Channel(Protocol):
    name: str

    async def send(self, message: Outgoing) -> None: ...
