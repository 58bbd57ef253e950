"""Needs from root causes: the services that answer the reasons a child works (pure mapping)."""

from __future__ import annotations

from enum import StrEnum


class RootCause(StrEnum):
    POVERTY = "poverty"
    OUT_OF_SCHOOL = "out_of_school"
    NEVER_ENROLLED = "never_enrolled"
    LOW_SCHOOL_PERFORMANCE = "low_school_performance"
    NO_BIRTH_CERTIFICATE = "no_birth_certificate"
    FAMILY_BREAKDOWN = "family_breakdown"
    NEGLECT = "neglect"
    COMMERCIAL_SEXUAL_EXPLOITATION = "commercial_sexual_exploitation"
    TRAFFICKING = "trafficking"
    FORCED_LABOUR = "forced_labour"
    HAZARDOUS_WORK = "hazardous_work"
    NO_SKILLS = "no_skills"
    AT_RISK_OF_WORK = "at_risk_of_work"


NEEDS_BY_CAUSE: dict[RootCause, tuple[str, ...]] = {
    RootCause.POVERTY: ("family.economic", "family.social_assistance", "basic_needs.package"),
    RootCause.OUT_OF_SCHOOL: ("education.formal_school", "education.school_support"),
    RootCause.NEVER_ENROLLED: ("education.bridging_course", "education.formal_school"),
    RootCause.LOW_SCHOOL_PERFORMANCE: ("education.remedial",),
    RootCause.NO_BIRTH_CERTIFICATE: ("civil.birth_certificate",),
    RootCause.FAMILY_BREAKDOWN: ("psychosocial.counselling", "family.parenting", "protection.reintegration"),
    RootCause.NEGLECT: ("family.parenting", "psychosocial.counselling"),
    RootCause.COMMERCIAL_SEXUAL_EXPLOITATION: (
        "protection.safe_house", "psychosocial.counselling", "health.sti_check", "legal.aid",
    ),
    RootCause.TRAFFICKING: (
        "protection.safe_house", "psychosocial.counselling", "legal.aid", "protection.reintegration",
    ),
    RootCause.FORCED_LABOUR: ("legal.aid", "psychosocial.counselling", "protection.reintegration"),
    RootCause.HAZARDOUS_WORK: ("health.basic_check",),
    RootCause.NO_SKILLS: ("skills.vocational_course",),
    RootCause.AT_RISK_OF_WORK: ("prevention.after_school",),
}

# Past compulsory-school age a return to formal school is rarely realistic: equivalency instead.
OLDER_OUT_OF_SCHOOL_AGE = 15


def derive_needs(causes: list[RootCause], *, age: int, extra: list[str] = ()) -> list[str]:
    """Catalogue codes for the causes (age-aware), then the extra needs, without repeats, in order."""
    needs: list[str] = []
    for cause in causes:
        for need in NEEDS_BY_CAUSE[cause]:
            if need == "education.formal_school" and age >= OLDER_OUT_OF_SCHOOL_AGE:
                need = "education.equivalency"
            if need not in needs:
                needs.append(need)
    if age >= OLDER_OUT_OF_SCHOOL_AGE and RootCause.OUT_OF_SCHOOL in causes and "skills.vocational_course" not in needs:
        needs.append("skills.vocational_course")
    for need in extra:
        if need not in needs:
            needs.append(need)
    return needs
