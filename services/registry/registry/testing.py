"""Places and factories for tests of the registry (and of services that need a registered child)."""

from __future__ import annotations

from datetime import UTC, datetime

KESILIR = "35.09.11.2007"  # Wuluhan, Jember
KESILIR_NEIGHBOUR = "35.09.11.2006"  # another desa of Wuluhan
PANDAN_WANGI = "52.03.20.2006"  # Jerowaru, Lombok Timur
TODAY = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
GUARDIAN_CONSENT = {"basis": "guardian", "given_by": "Ibu Sri", "relation": "mother", "given_on": "2026-11-20"}
TOBACCO_ASSESSMENT = {
    "work": {"sector": "tobacco", "hours_per_day": 5, "hours_per_week": 30, "hazards": ["green_tobacco"]},
    "school_status": "out_of_school", "living_arrangement": "with_family", "root_causes": ["poverty", "out_of_school"],
}


def child_payload(**overrides) -> dict:
    return {
        "full_name": "Siti Aminah",
        "sex": "female",
        "birth_date": "2012-08-05",
        "nik": "3509114508120001",
        "village_code": KESILIR,
        "school_status": "out_of_school",
        "living_arrangement": "with_family",
        "mapping_categories": ["child_labour"],
        "work": {
            "sector": "tobacco",
            "hours_per_day": 5,
            "hours_per_week": 30,
            "hazards": ["green_tobacco"],
        },
        **overrides,
    }



async def erase_confirmed(client, child_id: str, *, asker: dict, confirmer: dict,
                          basis: str = "data_subject_request"):
    """An erasure asked by one person and confirmed by a second: the confirmation's response."""
    url = f"/api/v1/children/{child_id}/rights-requests"
    asked = await client.post(url, headers=asker, json={"kind": "erasure", "basis": basis})
    assert asked.status_code == 201, asked.text
    return await client.post(f"{url}/{asked.json()['id']}/confirm", headers=confirmer)
