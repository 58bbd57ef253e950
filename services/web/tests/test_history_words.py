"""Issue 25, point 1: every reason the registry writes in a case history reads as words, in both
languages, with the codes in it labelled; and the actor is named."""

from __future__ import annotations

import re

import pytest

from registry.visits.service import CLOSED_BY_FOLLOW_UP, MOVES
from web.ui.history import actor, describe
from web.ui.i18n import translator

CATEGORIES = {"education.formal_school": "Kembali / tetap bersekolah formal", "legal.aid": "Bantuan hukum"}
RAW = re.compile(r"\b[a-z]+_[a-z_]+\b|\b[a-z]+\.[a-z_]+\b")
WRITTEN = [
    "registered", "assessed: worst_form", "flagged with needs education.formal_school, legal.aid",
    "override approved: flagged with needs legal.aid; dropped education.formal_school (already_received)",
    "closed: moved_away", "flag rejected: not_child_labour", "consent withdrawn", "consent expired",
    "merged into 0192f0aa-1234-7abc-8def-0123456789ab", "referral for legal.aid accepted",
    "service education.formal_school started", CLOSED_BY_FOLLOW_UP, *(reason for _, reason in MOVES.values()),
]


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize("reason", WRITTEN)
def test_each_history_reason_reads_as_words(reason, lang):
    words = describe(reason, translator(lang), CATEGORIES)
    assert words != reason and not RAW.findall(words), words


def test_labels_and_names_come_through():
    t = translator("id")
    assert describe("closed: moved_away", t, CATEGORIES) == "Kasus ditutup: Pindah"
    flagged = describe("override approved: flagged with needs legal.aid; dropped education.formal_school "
                       "(already_received)", t, CATEGORIES)
    assert flagged == ("Disetujui orang kedua: Ditandai untuk remediasi, kebutuhan: Bantuan hukum; tidak diminta "
                       "Kembali / tetap bersekolah formal (Sudah diterima)")
    assert describe("something new", t, CATEGORIES) == "something new"


def test_the_actor_is_named():
    t = translator("id")
    assert actor("service:referral", "integration", t) == "Mesin rujukan"
    assert actor("service:registry", "integration", t) == "Sistem"
    assert actor("sidik-dinsos", "integration", t) == "Integrasi (sidik-dinsos)"
    assert actor("operator-35.09", "district_operator", t) == "Operator kabupaten"


def test_times_read_in_the_places_zone_and_dates_as_people_write_them():
    """Issue 25, point 2: 12:36 UTC is 19:36 WIB in Jember, 20:36 WITA in Lombok Timur, 21:36 WIT in Papua."""
    t = translator("id")
    assert t.when("2026-12-02T12:36:00+00:00", "35.09.11.2007") == "2 Des 2026 19:36 WIB"
    assert t.when("2026-12-02T12:36:00+00:00", "52.03") == "2 Des 2026 20:36 WITA"
    assert translator("en").when("2026-12-02T12:36:00Z", "91.01") == "2 Dec 2026 21:36 WIT"
    assert t.when("2026-12-31T18:00:00Z", "35.09") == "1 Jan 2027 01:00 WIB"  # the local day, not UTC's
    assert t.day("2026-08-17") == "17 Agu 2026" and t.day(None) == ""
    assert t.hours(5, 30) == "5 jam per hari / 30 jam per minggu"
    assert translator("en").hours(2.5, 12) == "2.5 hours a day / 12 hours a week"
