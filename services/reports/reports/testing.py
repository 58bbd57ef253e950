"""A seeded, realistic event history for tests and the benchmark: children registered across
four desa of Jember (and one elsewhere), moving through the case lifecycle, referred to two
providers, some needs left as gaps. `expected_*` compute the reports' figures independently."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sprpa_contracts import events as ev

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
VILLAGES = ["35.09.11.2007", "35.09.11.2006", "35.09.12.2001", "35.09.01.2003"]
ELSEWHERE = "52.03.20.2006"
PATHS = [["identified"], ["identified", "assessed"], ["identified", "assessed", "flagged", "referred"],
         ["identified", "assessed", "flagged", "referred", "in_remediation", "withdrawn"],
         ["identified", "assessed", "flagged", "referred", "in_remediation", "prevented"]]
CATEGORIES = ["education.equivalency", "psychosocial.counselling", "skills.vocational_course",
              "skills.apprenticeship"]
ORGS = [uuid.UUID(int=101), uuid.UUID(int=102)]
COURSES = {uuid.UUID(int=201): "welding", uuid.UUID(int=202): "sewing"}  # vocational offerings and their course


@dataclass
class Child:
    id: uuid.UUID
    village: str
    sex: str
    birth_year: int
    mapping: list[str]
    classification: str
    path: list[str]
    registered: datetime
    merged: bool = False
    referrals: list[dict] = field(default_factory=list)


@dataclass
class History:
    children: list[Child]
    events: list[tuple[ev.EventData, datetime]]
    gaps: list[tuple[str, str, str]]  # (category, village, reason)
    mou_providers: int = 1  # organisations with an MOU in force in 35.09 at NOW: the first; the second's lapsed


def history(seed: int = 7, count: int = 120) -> History:
    rng = random.Random(seed)
    events: list[tuple[ev.EventData, datetime]] = []
    for org, name in zip(ORGS, ("PKBM Tunas Harapan", "LPA Jember"), strict=True):
        events.append((ev.OrganizationUpserted(organization_id=org, regency_code="35.09", organization_name=name,
                                               kind="ngo", backbone_for=[], version=1), NOW - timedelta(days=90)))
    for org, valid_until in zip(ORGS, (date(2027, 6, 30), date(2026, 6, 30)), strict=True):
        events.append((ev.MouChanged(mou_id=uuid.uuid5(org, "mou"), organization_id=org, regency_code="35.09",
                                     signed_date=date(2026, 1, 5), valid_from=date(2026, 1, 10),
                                     valid_until=valid_until, terminated_on=None, service_categories=CATEGORIES[:2],
                                     status="active",
                                     as_of=date(2026, 1, 10)), NOW - timedelta(days=90)))
    for offering, course in COURSES.items():
        events.append((ev.OfferingChanged(offering_id=offering, organization_id=ORGS[0], regency_code="35.09",
                                          category="skills.vocational_course", service_area=[], min_age=15,
                                          max_age=17, sexes=[], capacity=20, course_type=course, version=1),
                       NOW - timedelta(days=90)))
    children, gaps = [], []
    for index in range(count + 1):
        # one kecamatan has only a few children: the small cells suppression must hide
        village = ELSEWHERE if index == count else rng.choices(VILLAGES, weights=(10, 10, 10, 1))[0]
        child = Child(uuid.uuid4(), village, rng.choice(["female", "male"]), rng.randint(2007, 2019),
                      sorted(rng.sample(["child_labour", "at_risk", "orphan"], k=rng.randint(1, 2))),
                      rng.choice(["child_labour", "worst_form", "at_risk", "permissible_work"]),
                      rng.choice(PATHS), NOW - timedelta(days=rng.randint(20, 80), minutes=index))
        children.append(child)
        events.append((ev.ChildRegistered(child_id=child.id, village_code=village, sex=child.sex,
                                          birth_year=child.birth_year, mapping_categories=child.mapping,
                                          classification=child.classification, school_status="out_of_school",
                                          living_arrangement="with_family"), child.registered))
        at = child.registered
        previous = None
        for status in child.path:
            at += timedelta(days=1)
            events.append((ev.CaseStatusChanged(child_id=child.id, village_code=village, from_status=previous,
                                                to_status=status), at))
            previous = status
        if "flagged" in child.path:
            needs = rng.sample(CATEGORIES, k=rng.randint(1, 3))
            age = min(17, NOW.year - child.birth_year)
            flag = ev.CaseFlagged(child_id=child.id, village_code=village, age=age, sex=child.sex,
                                  classification=child.classification, needs=needs, consent_id=uuid.uuid4(),
                                  consent_scope=["share_with_mou_providers"])
            events.append((flag, child.registered + timedelta(days=2, hours=12)))
            for category in needs:
                events += _referral(rng, child, category, child.registered + timedelta(days=3), gaps)
    # One withdrawn child is found working again (a relapse: back to assessed).
    relapsed = next(c for c in children[2:] if c.path[-1] == "withdrawn" and c.village == "35.09.11.2007")
    relapsed.path = [*relapsed.path, "assessed"]
    events.append((ev.CaseStatusChanged(child_id=relapsed.id, village_code=relapsed.village, from_status="withdrawn",
                                        to_status="assessed"), NOW - timedelta(days=2)))
    merged = children[0]
    merged.merged = True
    events.append((ev.ChildMerged(child_id=children[1].id, merged_id=merged.id, village_code=children[1].village,
                                  merged_village_code=merged.village), NOW - timedelta(days=1)))
    return History(children, events, gaps)


def _referral(rng, child: Child, category: str, at: datetime, gaps: list) -> list:
    need, case, referral = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    org = rng.choice(ORGS)
    ending = rng.choice(["offered", "accepted", "declined", "expired", "completed", "gap"])
    offering = rng.choice(list(COURSES)) if category == "skills.vocational_course" else None
    common = dict(referral_id=referral, child_id=child.id, case_id=case, need_id=need, village_code=child.village,
                  need=category, organization_id=org, service_id=offering, on=at.date())
    out = [(ev.ReferralStatusChanged(status="offered", **common), at)]
    record = {"category": category, "org": org, "need": need, "offered": at, "status": "offered",
              "course": COURSES.get(offering)}
    if ending == "gap":
        gaps.append((category, child.village, "exhausted"))
        out.append((ev.ReferralStatusChanged(status="expired", **common), at + timedelta(hours=48)))
        out.append((ev.GapRecorded(gap_id=uuid.uuid4(), case_id=case, need_id=need, child_id=child.id,
                                   village_code=child.village, need=category, reason="exhausted",
                                   on=(at + timedelta(hours=48)).date()), at + timedelta(hours=48)))
        record["status"] = "expired"
    elif ending in ("declined", "expired"):
        out.append((ev.ReferralStatusChanged(status=ending, reason="no_capacity" if ending == "declined" else None,
                                             **common), at + timedelta(hours=rng.randint(1, 48))))
        record["status"] = ending
    elif ending in ("accepted", "completed"):
        hours = rng.randint(1, 40)
        out.append((ev.ReferralStatusChanged(status="accepted", **common), at + timedelta(hours=hours)))
        record.update(status="accepted", accepted_hours=hours)
        if ending == "completed":
            done = hours + rng.randint(24, 400)
            out.append((ev.ReferralStatusChanged(status="in_service", **common), at + timedelta(hours=hours + 1)))
            out.append((ev.ReferralStatusChanged(status="completed", outcome="service_delivered", **common),
                        at + timedelta(hours=done)))
            record.update(status="completed", completed_hours=done)
    child.referrals.append(record)
    return [(e.model_copy(update={"on": t.date()}) if isinstance(e, ev.ReferralStatusChanged) else e, t)
            for e, t in out]  # each change dated the day it came


def counted(h: History, place: str = "35.09") -> list[Child]:
    return [c for c in h.children if not c.merged and (c.village == place or c.village.startswith(place + "."))]
