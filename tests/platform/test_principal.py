"""Object-level scope checks on places: the rule every service's loaders call."""

import uuid

import pytest

from sprpa_shared.auth.principal import Principal, Role
from sprpa_shared.errors import NotFound

KESILIR = "35.09.11.2007"  # Jember
PANDAN_WANGI = "52.03.20.2006"  # Lombok Timur

operator = Principal(subject="op", role=Role.DISTRICT_OPERATOR, regency_codes=("35.09",))
cadre = Principal(subject="c", role=Role.VILLAGE_CADRE, village_code=KESILIR)
admin = Principal(subject="a", role=Role.NATIONAL_ADMIN)
staff = Principal(subject="s", role=Role.PROVIDER_STAFF, organization_id=uuid.uuid4())


@pytest.mark.parametrize(
    ("principal", "code", "covered"),
    [
        (admin, PANDAN_WANGI, True),
        (operator, KESILIR, True),
        (operator, "35.09", True),
        (operator, "35.09.11", True),
        (operator, PANDAN_WANGI, False),
        (operator, "35.08.05.2001", False),  # Lumajang, next door
        (operator, "35.091.01.2001", False),  # prefix without the dot boundary
        (operator, "35", False),  # the province is wider than the scope
        (cadre, KESILIR, True),
        (cadre, "35.09.11.2006", False),  # another desa of the same kecamatan
        (cadre, "35.09.11", False),
        (staff, KESILIR, False),  # providers see children through referrals, never by place
        (operator, None, False),
    ],
)
def test_covers_place(principal, code, covered):
    assert principal.covers_place(code) is covered


def test_outside_scope_is_indistinguishable_from_absent():
    with pytest.raises(NotFound) as raised:
        operator.require_place(PANDAN_WANGI)
    assert raised.value.problem()["status"] == 404
    assert raised.value.problem()["detail"] == "Not found"


def test_membership_and_integration_scopes():
    assert staff.is_member_of(staff.organization_id)
    assert not staff.is_member_of(uuid.uuid4())
    assert not operator.is_member_of(None)
    client = Principal(subject="c", role=Role.INTEGRATION, regency_codes=("35.09",), scopes=frozenset({"reports:read"}))
    assert client.has_scope("reports:read") and not client.has_scope("registry:read")
    assert operator.has_scope("registry:read")
