"""`db.new_row` and `db.loaded_row`: rows of a table model without the ORM making them, against a real database."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import inspect, text

from referral.models import Case
from sprpa_shared.db import fetch, loaded_row, new_row, transaction

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


@pytest.mark.parametrize("pair", [False], indirect=True)
async def test_a_row_read_on_the_driver_and_made_the_sessions_is_the_one_it_knows_and_its_changes_are_written(pair):
    values = _values()
    sessions = pair.referral.state.sessions
    async with transaction(sessions) as session:
        session.add(Case(**values))
    async with transaction(sessions) as session:
        [row] = await fetch(session, text("SELECT * FROM cases WHERE id = :id FOR UPDATE"), {"id": values["id"]})
        loaded = loaded_row(session, Case, dict(row))
        assert inspect(loaded).persistent and await session.get(Case, values["id"]) is loaded
        assert not session.dirty, "as the database gave it: nothing to write"
        loaded.status = "settled"
    async with transaction(sessions) as session:
        assert (await session.get(Case, values["id"])).status == "settled"
