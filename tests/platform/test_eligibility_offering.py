from datetime import date

import pytest

from sprpa_contracts.eligibility import ChildNeed, MouTerms, OfferingTerms, exclusion_reasons

DAY = date(2026, 11, 23)
MOU = MouTerms(regency_code="35.09", signed_date=date(2026, 1, 1), valid_from=date(2026, 1, 1),
               valid_until=date(2026, 12, 31), service_categories=frozenset({"education.equivalency"}))
PKBM = OfferingTerms(category="education.equivalency", regency_code="35.09", service_area=frozenset({"35.09.11"}),
                     min_age=13, max_age=17, sexes=frozenset(), capacity=10)
NEED = ChildNeed(category="education.equivalency", village_code="35.09.11.2007", age=15, sex="female")


def test_an_eligible_offering_has_no_reason():
    assert exclusion_reasons(PKBM, [MOU], NEED, DAY) == []


@pytest.mark.parametrize(
    ("offering", "mous", "need", "reasons"),
    [
        (PKBM, [], NEED, ["no_mou"]),
        (PKBM, [MouTerms(**{**MOU.__dict__, "valid_until": date(2026, 11, 22)})], NEED, ["mou_expired"]),
        (PKBM, [MouTerms(**{**MOU.__dict__, "valid_from": date(2026, 12, 1)})], NEED, ["mou_not_yet_valid"]),
        (PKBM, [MouTerms(**{**MOU.__dict__, "regency_code": "52.03"})], NEED, ["mou_other_kabupaten"]),
        (PKBM, [MouTerms(**{**MOU.__dict__, "service_categories": frozenset({"legal.aid"})})], NEED,
         ["mou_category_not_covered"]),
        (PKBM, [MOU], ChildNeed(**{**NEED.__dict__, "age": 12}), ["too_young"]),
        (PKBM, [MOU], ChildNeed(**{**NEED.__dict__, "age": 18}), ["too_old"]),
        (OfferingTerms(**{**PKBM.__dict__, "sexes": frozenset({"male"})}), [MOU], NEED, ["sex_not_served"]),
        (PKBM, [MOU], ChildNeed(**{**NEED.__dict__, "village_code": "35.09.08.2005"}), ["outside_service_area"]),
        (OfferingTerms(**{**PKBM.__dict__, "capacity": 3, "open_referrals": 3}), [MOU], NEED, ["no_capacity"]),
    ],
)
def test_each_exclusion_reason(offering, mous, need, reasons):
    assert exclusion_reasons(offering, mous, need, DAY) == reasons


def test_one_covering_mou_is_enough_and_the_whole_kabupaten_is_the_default_area():
    expired = MouTerms(**{**MOU.__dict__, "valid_until": date(2025, 12, 31)})
    everywhere = OfferingTerms(**{**PKBM.__dict__, "service_area": frozenset()})
    far = ChildNeed(**{**NEED.__dict__, "village_code": "35.09.08.2005"})
    assert exclusion_reasons(everywhere, [expired, MOU], far, DAY) == []
    assert exclusion_reasons(everywhere, [MOU], ChildNeed(**{**far.__dict__, "village_code": "52.03.20.2006"}),
                             DAY) == ["mou_other_kabupaten", "outside_service_area"]
