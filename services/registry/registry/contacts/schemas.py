"""A desa's contact person, and what a provider who accepted a referral sees of the routes to the family."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from registry.children.schemas import PHONE, RouteToFamily
from sprpa_shared.text import PlainText


class ContactFunction(StrEnum):
    CADRE = "cadre"
    FACILITATOR = "facilitator"


class VillageContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    function: ContactFunction
    name: PlainText = Field(min_length=2, max_length=200)
    phone: str = Field(pattern=PHONE)


class VillageContactPublic(VillageContactIn):
    village_code: str
    version: int


__all__ = ["ContactFunction", "RouteToFamily", "VillageContactIn", "VillageContactPublic"]
