"""Channels: each a small adapter with one method, `send`, that answers the gateway's id of the
message (None where the channel has none) and raises `DeliveryFailed` with a reason when the message
was not accepted (the caller retries with back-off, then gives up). A reason never holds an address."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class DeliveryFailed(Exception):
    """The channel did not take the message; `str()` is the reason kept on the delivery."""


@dataclass(frozen=True)
class Outgoing:
    """One message in every channel's shape: the email's subject, text and HTML; the WhatsApp
    template's name and parameters; the SMS's short text."""

    to: str
    language: str
    subject: str
    text: str
    html: str
    link: str
    unsubscribe: str
    template: str = ""
    parameters: tuple[str, ...] = ()
    short: str = ""


class Channel(Protocol):
    name: str

    async def send(self, message: Outgoing) -> str | None: ...
