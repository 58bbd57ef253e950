"""Pure rules of the registry: NIK structure, case lifecycle, needs from root causes, place names."""

from datetime import date

import pytest

from registry.cases.lifecycle import ALLOWED, CaseStatus, can_move, is_reopening
from registry.cases.needs import NEEDS_BY_CAUSE, RootCause, derive_needs
from registry.children.nik import check_nik
from registry.places.names import Candidate, is_ambiguous, normalise, rank
from sprpa_contracts.catalogue import SERVICE_CODES

GIRL_BORN = date(2012, 8, 5)


def codes(nik, *, birth_date=GIRL_BORN, sex="female", district_exists=True):
    return [problem.code for problem in check_nik(nik, birth_date=birth_date, sex=sex,
                                                  district_exists=district_exists)]


def test_valid_nik_for_a_girl_and_a_boy():
    assert codes("3509114508120001") == []
    assert codes("3509110508120001", sex="male") == []


@pytest.mark.parametrize(
    ("nik", "kwargs", "expected"),
    [
        ("35091145081200011", {}, ["nik.format"]),
        ("350911450812000", {}, ["nik.format"]),
        ("35091145081200a1", {}, ["nik.format"]),
        ("3509114508120001", {"district_exists": False}, ["nik.district"]),
        ("3509114608120001", {}, ["nik.birth_date"]),
        ("3509110508120001", {}, ["nik.sex"]),
        ("3509114508120001", {"sex": "male"}, ["nik.sex"]),
        ("3509117308120001", {}, ["nik.birth_date"]),  # day 33
        ("3509114508120000", {}, ["nik.serial"]),
    ],
)
def test_nik_mismatches_are_named(nik, kwargs, expected):
    assert codes(nik, **kwargs) == expected


def test_lifecycle_follows_the_domain_and_reopens_on_relapse():
    path = ["identified", "assessed", "flagged", "referred", "in_remediation", "withdrawn", "closed"]
    for current, target in zip(path, path[1:], strict=False):
        assert can_move(CaseStatus(current), CaseStatus(target))
    assert can_move(CaseStatus.IN_REMEDIATION, CaseStatus.PREVENTED)
    assert is_reopening(CaseStatus.CLOSED, CaseStatus.ASSESSED)
    assert not can_move(CaseStatus.IDENTIFIED, CaseStatus.FLAGGED), "assess before flagging"
    assert not can_move(CaseStatus.FLAGGED, CaseStatus.WITHDRAWN), "withdrawn only after remediation"
    assert not can_move(CaseStatus.CLOSED, CaseStatus.FLAGGED)
    assert set(ALLOWED) == set(CaseStatus)


def test_needs_from_root_causes():
    assert derive_needs([RootCause.COMMERCIAL_SEXUAL_EXPLOITATION], age=16) == [
        "protection.safe_house", "psychosocial.counselling", "health.sti_check", "legal.aid",
    ]
    assert derive_needs([RootCause.NO_BIRTH_CERTIFICATE], age=9) == ["civil.birth_certificate"]
    assert derive_needs([RootCause.OUT_OF_SCHOOL], age=12) == ["education.formal_school", "education.school_support"]
    assert derive_needs([RootCause.OUT_OF_SCHOOL], age=16) == [
        "education.equivalency", "education.school_support", "skills.vocational_course",
    ]
    assert derive_needs([RootCause.POVERTY, RootCause.POVERTY], age=10, extra=["health.basic_check",
                                                                              "family.economic"]) == [
        "family.economic", "family.social_assistance", "basic_needs.package", "health.basic_check",
    ]


def test_every_derived_need_is_a_catalogue_code():
    for needs in NEEDS_BY_CAUSE.values():
        assert set(needs) <= SERVICE_CODES
    assert "education.equivalency" in SERVICE_CODES and "skills.vocational_course" in SERVICE_CODES


def test_normalise_drops_prefixes_case_spaces_and_punctuation():
    assert normalise("Pandan Wangi") == normalise("pandanwangi") == "pandanwangi"
    assert normalise("Kabupaten Lombok Timur") == "lomboktimur"
    assert normalise("Kec. Sakra Barat") == "sakrabarat"
    assert normalise("Desa Borok-Toyang") == "boroktoyang"


def test_rank_uses_parents_and_reports_ambiguity():
    umbulsari = Candidate("35.09.05.2001", "Sukoreno", ("Umbulsari", "Kabupaten Jember", "Jawa Timur"))
    kalisat = Candidate("35.09.27.2002", "Sukoreno", ("Kalisat", "Kabupaten Jember", "Jawa Timur"))
    lumajang = Candidate("35.08.05.2001", "Pandanwangi", ("Tempeh", "Kabupaten Lumajang", "Jawa Timur"))
    both = rank("Sukoreno", [kalisat, umbulsari, lumajang])
    assert [item.candidate.code for item in both] == ["35.09.05.2001", "35.09.27.2002"]
    assert is_ambiguous(both)
    chosen = rank("Sukoreno", [kalisat, umbulsari], parents=("Kalisat",))
    assert [item.candidate.code for item in chosen] == ["35.09.27.2002"] and not is_ambiguous(chosen)
    assert rank("Pandanwangi", [lumajang], parents=("Jerowaru",)) == []
    sukorejo = Candidate("35.09.09.2006", "Sukorejo", ("Bangsalsari", "Kabupaten Jember", "Jawa Timur"))
    assert [item.candidate.code for item in rank("Sukoreno", [sukorejo, kalisat])] == ["35.09.27.2002"]
    assert [item.candidate.code for item in rank("Sukorenno", [sukorejo])] == ["35.09.09.2006"], "typos still match"
