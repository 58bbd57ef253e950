"""What a transfer looks like over the API."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from registry.children.schemas import VILLAGE_CODE
from registry.transfers.models import TransferStatus
from sprpa_shared.pagination import Page

REGENCY_CODE = r"^\d{2}\.\d{2}$"


class TransferReason(StrEnum):
    FAMILY_MOVED = "family_moved"
    CHILD_MOVED = "child_moved"  # without the family: work, relatives, a boarding school
    OTHER = "other"


class TransferDeclineReason(StrEnum):
    NOT_IN_OUR_AREA = "not_in_our_area"
    FAMILY_NOT_FOUND = "family_not_found"
    ALREADY_REGISTERED = "already_registered"  # then the two records are merged instead
    OTHER = "other"


class TransferProposal(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to_regency_code: str = Field(pattern=REGENCY_CODE, description="the kabupaten/kota the child moved to")
    to_village_code: str | None = Field(default=None, pattern=VILLAGE_CODE,
                                        description="the new desa, if known (the receiving operator confirms it)")
    reason: TransferReason


class TransferAcceptance(BaseModel):
    model_config = ConfigDict(extra="forbid")

    village_code: str | None = Field(default=None, pattern=VILLAGE_CODE,
                                     description="the child's desa in your kabupaten; the proposed one if omitted")


class TransferDecline(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: TransferDeclineReason


class TransferChild(BaseModel):
    """What the receiving kabupaten sees of the child before it accepts: nothing that names them."""

    sex: str
    age: int
    classification: str
    case_status: str


class TransferPublic(BaseModel):
    id: uuid.UUID
    child_id: uuid.UUID
    status: TransferStatus
    reason: TransferReason
    from_village_code: str
    from_regency_code: str
    to_regency_code: str
    to_village_code: str | None
    proposed_at: datetime
    decided_at: datetime | None
    decline_reason: TransferDeclineReason | None
    household_moved: bool | None
    version: int
    child: TransferChild | None = Field(default=None, description="while proposed: the child in codes, for the "
                                        "receiving operators' decision")


class TransferPage(Page[TransferPublic]):
    pass
