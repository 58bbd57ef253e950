"""Optimistic concurrency for updates: the ETag is the row's version, updates need If-Match.

Two operators editing the same record never silently overwrite each other: the second one's
If-Match no longer matches and gets 412 with the current ETag; an update without If-Match 428.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Header

from sprpa_shared.errors import PreconditionFailed, PreconditionRequired

IfMatch = Annotated[str | None, Header(alias="If-Match", description="the ETag of the version you read")]


def etag(version: int) -> str:
    return f'"{version}"'


def require_match(if_match: str | None, version: int, *, what: str) -> None:
    """Checked under the row lock, so the version cannot move between the check and the write."""
    if if_match is None:
        raise PreconditionRequired(f"send If-Match with the ETag of the {what} you are changing")
    if if_match.strip() == "*":
        return  # RFC 9110: matches any current representation (the caller found the row, or got a 404)
    if etag(version) not in [tag.strip() for tag in if_match.split(",")]:
        raise PreconditionFailed(f"the {what} changed since you read it; reload it and apply your change again",
                                 current_etag=etag(version))
