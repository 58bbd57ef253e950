"""Is this child in child labour? Versioned rules that say which rule fired and why.

Sources (DOMAIN.md): UU 13/2003 art. 68-75 (minimum age, light work for 13-14, worst forms);
ILO C138 and C182, ratified by UU 20/1999 and UU 1/2000; hazardous work per Kepmenakertrans
KEP.235/MEN/2003; worst forms per Keppres 59/2002; BPS working definition.

- Any age under 18: a worst form (BPTA) or hazardous work is a worst form of child labour.
- Under 13: any economic work is child labour.
- 13-14: light work only: at most 3 hours a day and 15 a week, in daytime, outside school hours,
  with parental consent; anything else is child labour.
- 15-17: child labour when the work is at night or above 40 hours a week.
- Not working: at risk when mapped as at risk or out of school; otherwise not at risk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

RULES_VERSION = "2026.11.1"

LIGHT_WORK_MAX_HOURS_PER_DAY = 3
LIGHT_WORK_MAX_HOURS_PER_WEEK = 15
OLDER_CHILD_MAX_HOURS_PER_WEEK = 40


class Result(StrEnum):
    WORST_FORM = "worst_form"
    CHILD_LABOUR = "child_labour"
    PERMITTED_LIGHT_WORK = "permitted_light_work"
    AT_RISK = "at_risk"
    NOT_AT_RISK = "not_at_risk"


class WorstForm(StrEnum):
    """Keppres 59/2002 and C182 art. 3(a)-(c)."""

    SLAVERY = "slavery"
    TRAFFICKING = "trafficking"
    DEBT_BONDAGE = "debt_bondage"
    FORCED_LABOUR = "forced_labour"
    ARMED_CONFLICT = "armed_conflict"
    COMMERCIAL_SEXUAL_EXPLOITATION = "commercial_sexual_exploitation"
    DRUGS = "drugs"
    ILLICIT_ACTIVITIES = "illicit_activities"


class Hazard(StrEnum):
    """Hazardous work (C182 art. 3(d), KEP.235/MEN/2003): a worst form at any age under 18."""

    GREEN_TOBACCO = "green_tobacco"
    PESTICIDES = "pesticides"
    HEAVY_LOADS = "heavy_loads"
    SHARP_TOOLS = "sharp_tools"
    DANGEROUS_MACHINERY = "dangerous_machinery"
    HEIGHTS = "heights"
    UNDERWATER_OR_OFFSHORE = "underwater_or_offshore"
    MINING = "mining"
    CONSTRUCTION = "construction"
    CHEMICALS = "chemicals"
    LIVE_IN_DOMESTIC_LONG_HOURS = "live_in_domestic_long_hours"
    STREET_WORK = "street_work"


@dataclass(frozen=True)
class WorkFacts:
    hours_per_day: float
    hours_per_week: float
    night_work: bool = False
    during_school_hours: bool = False
    parental_consent: bool = False
    hazards: frozenset[Hazard] = frozenset()
    worst_forms: frozenset[WorstForm] = frozenset()


@dataclass(frozen=True)
class ChildFacts:
    age: int
    work: WorkFacts | None
    out_of_school: bool = False
    mapped_at_risk: bool = False


@dataclass(frozen=True)
class Reason:
    code: str
    text: str


@dataclass(frozen=True)
class Classification:
    result: Result
    rules_version: str
    reasons: tuple[Reason, ...] = field(default_factory=tuple)


def classify(facts: ChildFacts) -> Classification:
    """The result and every reason that led to it."""
    if not 0 <= facts.age < 18:
        raise ValueError("classification applies to children under 18")
    work = facts.work
    if work is None:
        return _not_working(facts)
    worst = [Reason(f"worst_form.{form.value}", f"worst form of child labour: {form.value}")
             for form in sorted(work.worst_forms)]
    worst += [Reason(f"hazard.{hazard.value}", f"hazardous work: {hazard.value}") for hazard in sorted(work.hazards)]
    if worst:
        return Classification(Result.WORST_FORM, RULES_VERSION, tuple(worst))
    if facts.age < 13:
        return _labour(Reason("age.under_13", "under 13: any economic work is child labour"))
    if facts.age < 15:
        return _light_work(work)
    return _older_child(work)


def _labour(*reasons: Reason) -> Classification:
    return Classification(Result.CHILD_LABOUR, RULES_VERSION, reasons)


def _light_work(work: WorkFacts) -> Classification:
    broken = []
    if work.hours_per_day > LIGHT_WORK_MAX_HOURS_PER_DAY:
        broken.append(
            Reason("light_work.hours_per_day", f"13-14: more than {LIGHT_WORK_MAX_HOURS_PER_DAY} hours a day")
        )
    if work.hours_per_week > LIGHT_WORK_MAX_HOURS_PER_WEEK:
        broken.append(
            Reason("light_work.hours_per_week", f"13-14: more than {LIGHT_WORK_MAX_HOURS_PER_WEEK} hours a week")
        )
    if work.night_work:
        broken.append(Reason("light_work.night", "13-14: work at night"))
    if work.during_school_hours:
        broken.append(Reason("light_work.school_hours", "13-14: work during school hours"))
    if not work.parental_consent:
        broken.append(Reason("light_work.no_consent", "13-14: no parental consent"))
    if broken:
        return _labour(*broken)
    return Classification(
        Result.PERMITTED_LIGHT_WORK,
        RULES_VERSION,
        (Reason("light_work.within_limits", "13-14: light work within the limits of UU 13/2003 art. 69"),),
    )


def _older_child(work: WorkFacts) -> Classification:
    broken = []
    if work.night_work:
        broken.append(Reason("older.night", "15-17: work at night"))
    if work.hours_per_week > OLDER_CHILD_MAX_HOURS_PER_WEEK:
        broken.append(Reason("older.hours_per_week", f"15-17: more than {OLDER_CHILD_MAX_HOURS_PER_WEEK} hours a week"))
    if broken:
        return _labour(*broken)
    return Classification(
        Result.PERMITTED_LIGHT_WORK,
        RULES_VERSION,
        (Reason("older.within_limits", "15-17: non-hazardous daytime work within 40 hours a week"),),
    )


def _not_working(facts: ChildFacts) -> Classification:
    reasons = []
    if facts.mapped_at_risk:
        reasons.append(Reason("risk.mapped", "mapped as at risk of work"))
    if facts.out_of_school:
        reasons.append(Reason("risk.out_of_school", "not working, but out of school"))
    if reasons:
        return Classification(Result.AT_RISK, RULES_VERSION, tuple(reasons))
    return Classification(Result.NOT_AT_RISK, RULES_VERSION, (Reason("risk.none", "not working, in school"),))
