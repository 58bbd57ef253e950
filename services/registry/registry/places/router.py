"""Official places: browse province -> regency -> district -> village, and resolve names."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from registry.places import repository
from registry.places.names import AMBIGUITY_MARGIN, is_ambiguous, rank
from sprpa_shared.dependencies import PrincipalDep, SessionDep, needs
from sprpa_shared.errors import NotFound, ValidationFailed
from sprpa_shared.pagination import Page

router = APIRouter(prefix="/api/v1/regions", tags=["regions"])
CODE = r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$"


class Region(BaseModel):
    code: str
    level: Literal["province", "regency", "district", "village"]
    parent_code: str | None
    name: str


class Regions(Page[Region]):
    pass


class RegionDetail(Region):
    parents: list[Region]
    children: list[Region]


class ResolvedPlace(BaseModel):
    code: str
    name: str
    score: float
    parents: list[str]


class Resolution(BaseModel):
    query: str
    match: Literal["one", "several", "none"] = Field(description="one: `best` is the place; several: name a "
                                                                 "parent (\"Desa, Kecamatan\") to choose; none: "
                                                                 "no official place has a name like it")
    detail: str = Field(description="the answer in a sentence")
    ambiguous: bool = Field(description="same as match == several")
    best: str | None
    candidates: list[ResolvedPlace]


def _region(row: dict) -> Region:
    return Region(code=row["code"], level=repository.LEVELS[row["level"]],
                  parent_code=row.get("parent_code"), name=row["name"])


@router.get("", dependencies=[needs("registry:read")],
            summary="Provinces, or the places directly under `parent` (all on one page)", response_model=Regions)
async def browse(
    session: SessionDep, _: PrincipalDep, parent: Annotated[str | None, Query(pattern=CODE)] = None
) -> Regions:
    if parent and not await repository.exists(session, parent):
        raise NotFound(f"no place with code {parent}")
    return Regions(items=[_region(row) for row in await repository.children_of(session, parent)])


@router.get("/resolve", dependencies=[needs("registry:read")],
            summary="Official places matching a name as written in the field: `Pandanwangi`, or with its parents "
                    "after commas, nearest first: `Pandanwangi, Jerowaru` (desa, kecamatan), `Jerowaru, Lombok "
                    "Timur`", response_model=Resolution)
async def resolve(
    session: SessionDep,
    _: PrincipalDep,
    name: Annotated[str, Query(min_length=2, max_length=200, description="the place's name, optionally followed "
                                                                      "by its parents' names after commas")],
    level: Literal["province", "regency", "district", "village"] = "village",
    district: Annotated[str | None, Query(max_length=100, description="kecamatan name")] = None,
    regency: Annotated[str | None, Query(max_length=100, description="kabupaten/kota name")] = None,
    province: Annotated[str | None, Query(max_length=100)] = None,
    within: Annotated[str | None, Query(pattern=CODE, description="only places inside this code")] = None,
    limit: Annotated[int, Query(ge=1, le=20)] = 5,
) -> Resolution:
    depth = repository.LEVEL_OF[level]
    place, *written_parents = [part.strip() for part in name.split(",") if part.strip()] or [name.strip()]
    named = {4: (district, regency, province), 3: (regency, province), 2: (province,), 1: ()}[depth]
    if len(written_parents) > len(named):
        raise ValidationFailed(f"a {level} has at most {len(named)} parents to name after it", field="name")
    given = tuple(explicit or written for explicit, written in
                  zip(named, [*written_parents, *[None] * len(named)], strict=False))
    found = await repository.candidates(session, place, level=depth, within=within) if len(place) >= 2 else []
    ranked = rank(place, found, parents=given)
    ambiguous = is_ambiguous(ranked)
    match = "none" if not ranked else "several" if ambiguous else "one"
    detail = {"none": f"no official {level} is named like {place!r}" + (" there" if any(given) else ""),
              "several": f"{len([r for r in ranked if ranked[0].score - r.score <= AMBIGUITY_MARGIN])} places "
                         f"are named like {place!r}: name its parent after a comma to choose",
              "one": f"{ranked[0].candidate.name} ({ranked[0].candidate.code})" if ranked else ""}[match]
    return Resolution(
        query=name,
        match=match,
        detail=detail,
        ambiguous=ambiguous,
        best=None if ambiguous or not ranked else ranked[0].candidate.code,
        candidates=[
            ResolvedPlace(code=item.candidate.code, name=item.candidate.name, score=item.score,
                          parents=list(item.candidate.parent_names))
            for item in ranked[:limit]
        ],
    )


@router.get("/{code}", dependencies=[needs("registry:read")],
            summary="One place with its parents and the places under it", response_model=RegionDetail)
async def detail(code: Annotated[str, Path(pattern=CODE)], session: SessionDep, _: PrincipalDep) -> RegionDetail:
    row = await repository.get(session, code)
    if row is None:
        raise NotFound(f"no place with code {code}")
    parents = [_region({**parent, "parent_code": None}) for parent in (await repository.lineage(session, code))[1:]]
    return RegionDetail(**_region(row).model_dump(), parents=parents,
                        children=[_region(child) for child in await repository.children_of(session, code)])
