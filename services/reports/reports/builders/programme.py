"""Children served (a service delivered), NGO-report style."""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict

from sqlmodel.ext.asyncio.session import AsyncSession

from reports.builders.common import (
    SEXES,
    age_on,
    born_of,
    fetch,
    period_bounds,
)
from reports.place import Period, Place
from reports.tables import Table, breakdown

_SERVED = """
WITH served AS (
    SELECT r.child_id, r.category, r.organization_id, r.sessions, o.course_type
    FROM rm_referrals r LEFT JOIN rm_offerings o ON o.offering_id = r.offering_id
    WHERE r.status = 'completed' AND r.outcome = 'service_delivered' AND r.village_code LIKE :pattern
      AND r.ended_at >= :start AND r.ended_at < :end
      AND (CAST(:organizations AS uuid[]) IS NULL OR r.organization_id = ANY(CAST(:organizations AS uuid[])))
)
SELECT c.child_id, c.sex, c.birth_year, c.birth_month, COALESCE(c.school_at_intake, 'unknown') AS school,
       COALESCE(c.living_arrangement, 'unknown') AS living, COALESCE(c.identified_through, 'unknown') AS identified,
       c.classification_basis AS basis,
       array_agg(DISTINCT s.category ORDER BY s.category) AS services,
       array_agg(DISTINCT s.course_type ORDER BY s.course_type) FILTER (
           WHERE s.category = 'skills.vocational_course' AND s.course_type IS NOT NULL) AS courses,
       jsonb_agg(jsonb_build_object('category', s.category, 'organization_id', s.organization_id,
                                    'sessions', s.sessions)) AS deliveries
FROM served s JOIN rm_children c ON c.child_id = s.child_id AND c.merged_into IS NULL
GROUP BY c.child_id, c.sex, c.birth_year, c.birth_month, c.school_at_intake, c.living_arrangement,
         c.identified_through, c.classification_basis
ORDER BY c.child_id
"""
_ORGANIZATION_NAMES = "SELECT organization_id::text AS id, name FROM rm_organizations WHERE organization_id = ANY(:ids)"
AT_INTAKE = "describes the child at intake (when first registered)"
NOW = "describes the child now (the latest record)"


async def programme(session: AsyncSession, place: Place, period: Period,
                    organizations: list[uuid.UUID] | None = None) -> tuple[dict, list[Table]]:
    """Children served (at least one service delivered in the period), NGO-report style; with
    `organizations`, only the services those organisations delivered (a partner's own programme)."""
    children = await fetch(session, _SERVED, pattern=place.pattern, organizations=organizations or None,
                           **period_bounds(period))
    age = {c.child_id: age_on(born_of(c), period.end) for c in children}
    services = Counter(service for child in children for service in child.services)
    courses = Counter(course for child in children for course in child.courses or [])
    apprentices = [c for c in children if "skills.apprenticeship" in c.services]
    by_service = Table("by_service", ["category", "count", "percent"],
                       [{"category": k, "count": v, "percent": round(v * 100 / len(children), 1)}
                        for k, v in sorted(services.items())],
                       notes=["a child can receive several services: percentages are of the children served and "
                              "do not add up to 100"], shares=None, derived={"percent": ("count",)})
    deliveries = [d for child in children for d in child.deliveries]
    names = {r.id: r.name for r in await fetch(session, _ORGANIZATION_NAMES,
                                                ids=list({uuid.UUID(d["organization_id"]) for d in deliveries}))}
    pairs = Counter((names.get(org, org), category) for child in children
                    for org, category in {(d["organization_id"], d["category"]) for d in child.deliveries})
    by_provider = Table("services_by_provider", ["organization", "category", "count"],
                        [{"organization": org, "category": category, "count": n}
                         for (org, category), n in sorted(pairs.items())], shares=None,
                        notes=["children served, by the organisation that delivered the service"])
    sessions: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for delivery in deliveries:
        if delivery["sessions"]:
            sessions[delivery["category"]][0] += 1
            sessions[delivery["category"]][1] += delivery["sessions"]
    by_sessions = Table("sessions_by_service", ["category", "count", "sessions"],
                        [{"category": k, "count": n, "sessions": total} for k, (n, total) in sorted(sessions.items())],
                        counts=("count", "sessions"), shares=None,
                        notes=["services delivered with the number of sessions their provider reported, and those "
                               "sessions (e.g. counselling sessions)"])
    basis = Counter(code for child in children for code in child.basis or ["none"])
    school = breakdown("by_school_status", "school_status", Counter(c.school for c in children))
    school.notes.append(AT_INTAKE + "; equivalency is a Kejar Paket A/B/C programme")
    living = breakdown("by_living_arrangement", "living_arrangement", Counter(c.living for c in children))
    living.notes.append(NOW)
    identified = breakdown("by_identification", "identified_through", Counter(c.identified for c in children))
    identified.notes.append("how the child came to the programme's notice")
    exploitation = Table("by_exploitation_type", ["classification_basis", "count"],
                         [{"classification_basis": k, "count": v} for k, v in sorted(basis.items())], shares=None,
                         notes=[NOW + ": the worst forms and hazards behind the classification; a child can have "
                                "several, so the counts do not add up"])
    return {"children_served": len(children), "apprentices": len(apprentices)}, [
        breakdown("by_sex", "sex", Counter(c.sex for c in children), order=SEXES),
        breakdown("by_age", "age", Counter(str(age[c.child_id]) for c in children),
                  order=[str(a) for a in sorted(set(age.values()))]),
        school,
        by_service,
        by_provider,
        by_sessions,
        breakdown("by_course_type", "course_type", courses),
        breakdown("apprentices_by_sex", "sex", Counter(c.sex for c in apprentices), order=SEXES),
        living,
        identified,
        exploitation,
    ]
