"""`db.new_row`: a table model's new row without its `__init__`, against a real database."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import inspect

from referral.models import Case
from sprpa_shared.db import new_row, transaction

AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def _values() -> dict:
    return {"id": uuid.uuid4(), "child_id": uuid.uuid4(), "flag_event_id": uuid.uuid4(),
            "village_code": "35.09.11.2007", "regency_code": "35.09", "age": 14, "sex": "female",
            "classification": "worst_form", "status": "open", "flagged_at": AT, "updated_at": AT}


@pytest.mark.parametrize("pair", [False], indirect=True)
async def test_a_new_row_is_what_the_model_makes_and_a_session_writes_it_whole_and_tracks_it(pair):
    values = _values()
    made = new_row(Case, **values)
    assert made.model_dump() == Case(**values).model_dump(), "defaults filled as __init__ fills them"
    assert inspect(made).transient

    sessions = pair.referral.state.sessions
    async with transaction(sessions) as session:
        session.add(made)
        await session.flush()
        made.status = "settled"  # changed after it was written: tracked like any row
    async with transaction(sessions) as session:
        stored = await session.get(Case, values["id"])
        assert stored.model_dump() == {**Case(**values).model_dump(), "status": "settled"}
