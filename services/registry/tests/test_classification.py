"""Every boundary of the classification rules: ages 12/13/14/15/17, hours 3/day, 15 and 40/week,
night, school hours, consent, each hazard and each worst form."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.children.service import classify_fields
from registry.classification.rules import (
    RULES_VERSION,
    ChildFacts,
    Hazard,
    Result,
    WorkFacts,
    WorstForm,
    classify,
)

LIGHT = dict(hours_per_day=2, hours_per_week=10, parental_consent=True)


def work(**overrides) -> WorkFacts:
    return WorkFacts(**{**LIGHT, **overrides})


def reasons(facts: ChildFacts) -> set[str]:
    return {reason.code for reason in classify(facts).reasons}


@pytest.mark.parametrize(
    ("age", "facts", "expected"),
    [
        (12, work(hours_per_day=1, hours_per_week=2), Result.CHILD_LABOUR),
        (13, work(), Result.PERMITTED_LIGHT_WORK),
        (14, work(), Result.PERMITTED_LIGHT_WORK),
        (13, work(hours_per_day=3, hours_per_week=15), Result.PERMITTED_LIGHT_WORK),
        (13, work(hours_per_day=3.5, hours_per_week=15), Result.CHILD_LABOUR),
        (14, work(hours_per_day=3, hours_per_week=15.5), Result.CHILD_LABOUR),
        (14, work(night_work=True), Result.CHILD_LABOUR),
        (14, work(during_school_hours=True), Result.CHILD_LABOUR),
        (14, work(parental_consent=False), Result.CHILD_LABOUR),
        (15, work(hours_per_day=8, hours_per_week=40, parental_consent=False), Result.PERMITTED_LIGHT_WORK),
        (15, work(hours_per_day=8, hours_per_week=41), Result.CHILD_LABOUR),
        (17, work(hours_per_day=8, hours_per_week=40), Result.PERMITTED_LIGHT_WORK),
        (17, work(night_work=True), Result.CHILD_LABOUR),
        (17, work(hours_per_day=9, hours_per_week=40.5), Result.CHILD_LABOUR),
    ],
)
def test_age_and_hours_boundaries(age, facts, expected):
    result = classify(ChildFacts(age=age, work=facts))
    assert result.result is expected
    assert result.rules_version == RULES_VERSION
    assert result.reasons, "every result says why"


@pytest.mark.parametrize("hazard", list(Hazard))
@pytest.mark.parametrize("age", [5, 13, 15, 17])
def test_every_hazard_is_a_worst_form_at_every_age(hazard, age):
    facts = ChildFacts(age=age, work=work(hours_per_day=1, hours_per_week=3, hazards=frozenset({hazard})))
    assert classify(facts).result is Result.WORST_FORM
    assert reasons(facts) == {f"hazard.{hazard.value}"}


@pytest.mark.parametrize("form", list(WorstForm))
def test_every_worst_form_wins_over_everything_else(form):
    facts = ChildFacts(age=16, work=work(worst_forms=frozenset({form}), hazards=frozenset({Hazard.PESTICIDES})))
    assert classify(facts).result is Result.WORST_FORM
    assert reasons(facts) == {f"worst_form.{form.value}", "hazard.pesticides"}


def test_all_broken_light_work_limits_are_reported_together():
    facts = ChildFacts(
        age=13,
        work=work(hours_per_day=6, hours_per_week=30, night_work=True, during_school_hours=True,
                  parental_consent=False),
    )
    assert reasons(facts) == {
        "light_work.hours_per_day", "light_work.hours_per_week", "light_work.night",
        "light_work.school_hours", "light_work.no_consent",
    }


@pytest.mark.parametrize(
    ("out_of_school", "mapped_at_risk", "expected", "codes"),
    [
        (False, False, Result.NOT_AT_RISK, {"risk.none"}),
        (True, False, Result.AT_RISK, {"risk.out_of_school"}),
        (False, True, Result.AT_RISK, {"risk.mapped"}),
        (True, True, Result.AT_RISK, {"risk.out_of_school", "risk.mapped"}),
    ],
)
def test_children_not_working(out_of_school, mapped_at_risk, expected, codes):
    facts = ChildFacts(age=10, work=None, out_of_school=out_of_school, mapped_at_risk=mapped_at_risk)
    assert classify(facts).result is expected
    assert reasons(facts) == codes


@pytest.mark.parametrize("age", [-1, 18, 19])
def test_only_children_are_classified(age):
    with pytest.raises(ValueError):
        classify(ChildFacts(age=age, work=None))


@given(age=st.integers(0, 17), working=st.booleans(), hours_per_day=st.sampled_from([0, 1, 2.5, 3, 3.5, 8, 9]),
       hours_per_week=st.sampled_from([0, 10, 15, 15.5, 40, 41]), night_work=st.booleans(),
       during_school_hours=st.booleans(), parental_consent=st.booleans(),
       hazards=st.lists(st.sampled_from(list(Hazard)), max_size=3),
       worst_forms=st.lists(st.sampled_from(list(WorstForm)), max_size=2),
       school_status=st.sampled_from(["in_school", "equivalency", "out_of_school", "never_enrolled"]),
       mapping_categories=st.lists(st.sampled_from(["at_risk", "orphan", "child_labour"]), max_size=2))
def test_a_childs_fields_are_classified_as_their_facts_are_however_often_and_in_whatever_order(
        age, working, hours_per_day, hours_per_week, night_work, during_school_hours, parental_consent, hazards,
        worst_forms, school_status, mapping_categories):
    """Issue 27: `classify_fields` works each set of facts out once and keeps it; what it gives
    must be what the rules give for those facts, with the hazards in any order."""
    today = date(2026, 11, 23)
    birth_date = today.replace(year=today.year - age - 1) + timedelta(days=1)
    work_fields = dict(hours_per_day=hours_per_day, hours_per_week=hours_per_week, night_work=night_work,
                       during_school_hours=during_school_hours, parental_consent=parental_consent,
                       hazards=[hazard.value for hazard in hazards], worst_forms=[form.value for form in worst_forms])
    facts = ChildFacts(age=age, work=WorkFacts(**{**work_fields, "hazards": frozenset(hazards),
                                                  "worst_forms": frozenset(worst_forms)}) if working else None,
                       out_of_school=school_status in ("out_of_school", "never_enrolled"),
                       mapped_at_risk="at_risk" in mapping_categories)
    for order in (1, -1):
        fields = {**work_fields, "hazards": work_fields["hazards"][::order]}
        assert classify_fields(work=fields if working else None, birth_date=birth_date, school_status=school_status,
                               mapping_categories=mapping_categories, today=today) == classify(facts)
