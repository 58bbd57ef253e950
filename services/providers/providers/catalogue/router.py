"""The remediation service catalogue, with English and Indonesian labels."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from sprpa_contracts.catalogue import CATALOGUE
from sprpa_shared.dependencies import PrincipalDep, needs
from sprpa_shared.pagination import Page

router = APIRouter(prefix="/api/v1/service-categories", tags=["catalogue"])


class ServiceCategory(BaseModel):
    code: str
    group: str
    label_en: str
    label_id: str


class ServiceCategories(Page[ServiceCategory]):
    pass


@router.get("", dependencies=[needs("providers:read")],
            response_model=ServiceCategories, summary="Every catalogue code with its labels (all on one page)")
async def service_categories(_: PrincipalDep) -> ServiceCategories:
    return ServiceCategories(items=[ServiceCategory(code=code, group=code.split(".")[0], label_en=en, label_id=id_)
                                    for code, (en, id_) in CATALOGUE.items()])
