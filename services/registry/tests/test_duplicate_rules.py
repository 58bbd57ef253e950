import hashlib
import hmac
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz, utils

from registry.duplicates import sounds
from registry.duplicates.rules import (
    BIRTH_DATE_TOLERANCE_DAYS,
    MIN_NAME_SIMILARITY,
    Record,
    key_similarity,
    likeness,
    name_key,
    name_similarity,
    name_sounds,
    similar_keys,
    sounds_alike,
)
from sprpa_shared.protect import Protector

SITI = Record("Siti Aminah", date(2012, 8, 5), "35.09.11", "3509114508120001")


@pytest.mark.parametrize(
    ("other", "expected_score", "first_reason"),
    [
        (Record("Siti Aminah", date(2012, 8, 5), "35.09.11", None), 1.0, "same_name"),
        (Record("siti  aminah", date(2012, 8, 7), "35.09.11", None), 0.94, "same_name"),
        (Record("Aminah Siti", date(2012, 8, 5), "35.09.11", None), 1.0, "same_name"),
        (Record("Siti Aminnah", date(2012, 8, 5), "35.09.11", None), 0.957, "similar_name"),
        (Record("Someone Else", date(2001, 1, 1), "52.03.20", "3509114508120001"), 1.0, "same_nik"),
    ],
)
def test_alike(other, expected_score, first_reason):
    result = likeness(SITI, other)
    assert result is not None and result.score == pytest.approx(expected_score, abs=0.001)
    assert result.reasons[0] == first_reason


@pytest.mark.parametrize(
    "other",
    [
        Record("Siti Aminah", date(2012, 8, 9), "35.09.11", None),  # 4 days apart
        Record("Siti Aminah", date(2012, 8, 5), "35.09.08", None),  # another kecamatan
        Record("Dewi Lestari", date(2012, 8, 5), "35.09.11", None),
    ],
)
def test_not_alike(other):
    assert likeness(SITI, other) is None


def test_a_different_nik_does_not_hide_an_otherwise_identical_child():
    """NIKs are mistyped; same name, birth date and kecamatan is still worth a look."""
    result = likeness(SITI, Record("Siti Aminah", date(2012, 8, 5), "35.09.11", "3509114508120002"))
    assert result is not None and result.score == 1.0


NAMES = st.text(alphabet=st.sampled_from("aAiIsStTmMnNh éÉ.-'\t"), max_size=24)


@settings(max_examples=300, deadline=None)
@given(NAMES, NAMES)
def test_names_compare_by_their_keys_as_rapidfuzz_token_sort_does(a, b):
    """The import compares precomputed keys; that must be exactly the token-sort ratio."""
    reference = fuzz.token_sort_ratio(a, b, processor=utils.default_process) / 100.0
    assert name_similarity(a, b) == reference
    assert key_similarity(name_key(a), name_key(b)) == reference


@settings(max_examples=200, deadline=None)
@given(NAMES, st.lists(NAMES, max_size=12))
def test_similar_keys_are_those_key_similarity_finds_alike_enough(name, others):
    key, keys = name_key(name), [name_key(other) for other in others]
    expected = [(index, key_similarity(key, other)) for index, other in enumerate(keys)
                if key_similarity(key, other) >= MIN_NAME_SIMILARITY]
    assert sorted(similar_keys(key, keys)) == expected


@pytest.mark.parametrize(
    ("a", "b"),
    [("Muhammad Rizki", "Mohammad Rizki"), ("Muhamad Rizky", "Muhammad Rizki"), ("Achmad Fauzi", "Ahmad Fauzi"),
     ("Djoko Santoso", "Joko Santoso"), ("Soeharti", "Suharti"), ("Chairul Anwar", "Khairul Anwar"),
     ("Siti Aminah", "Aminah  SITI"), ("Siti Aminnah", "Siti Aminah"), ("Nur Hidayah", "Noer Hidayah")],
)
def test_names_spelt_the_old_way_or_misspelt_sound_alike(a, b):
    assert name_sounds(a) == name_sounds(b)
    assert likeness(Record(a, date(2012, 8, 5), "35.09.11", None), Record(b, date(2012, 8, 6), "35.09.11", None))


@pytest.mark.parametrize(
    ("a", "b", "alike"),
    [({"s3", "a5"}, {"s3", "a5"}, True), ({"s3", "a5"}, {"s3", "r2"}, True),  # half of two
     ({"s3", "a5", "p36"}, {"s3", "r2", "k2"}, False), ({"s3", "a5", "p36"}, {"s3", "a5", "k2"}, True),
     ({"s3"}, {"s3", "a5", "p36"}, True), ({"s3"}, {"a5"}, False), (set(), set(), False)],
)
def test_names_sound_alike_when_half_the_words_of_the_shorter_do(a, b, alike):
    assert sounds_alike(frozenset(a), frozenset(b)) is alike


def test_a_name_alike_in_letters_but_not_in_sound_is_not_a_duplicate():
    """The price of finding candidates by sound (issue 27): a name misspelt in more than half its
    words is no longer offered, however alike its letters."""
    a = Record("Dewi Lestari", date(2012, 8, 5), "35.09.11", None)
    b = Record("Devi Lesmari", date(2012, 8, 5), "35.09.11", None)
    assert key_similarity(name_key(a.full_name), name_key(b.full_name)) >= MIN_NAME_SIMILARITY
    assert not name_sounds(a.full_name) & name_sounds(b.full_name)
    assert likeness(a, b) is None


KEYS = Protector({"k": b"k" * 32}, "k", b"i" * 32)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["Siti", "Aminah", "Budi", "Santoso", "Rizki", "Putri", "Nur", "Dewi"]), max_size=4),
       st.lists(st.sampled_from(["Siti", "Aminah", "Budi", "Santoso", "Rizky", "Putri", "Noer", "Dewi"]), max_size=4),
       st.dates(min_value=date(2008, 1, 1), max_value=date(2020, 12, 31)), st.integers(-6, 6),
       st.sampled_from(["35.09.11", "35.09.12"]))
def test_the_tags_a_record_seeks_are_the_sounds_a_child_within_the_tolerance_shares(first, second, born, apart,
                                                                                  district):
    """What the database sees (tags) answers as the rules would on the names: a child of the same
    kecamatan born within the tolerance shares exactly the tags of the sounds it shares."""
    a, b = name_sounds(" ".join(first)), name_sounds(" ".join(second))
    stored, _ = sounds.tags(a, "35.09.11", born, keys=KEYS)
    _, sought = sounds.tags(b, district, born + timedelta(days=apart), keys=KEYS)
    shared = len(set(stored) & set(sought))
    if district == "35.09.11" and abs(apart) <= BIRTH_DATE_TOLERANCE_DAYS:
        assert shared == len(a & b)
    elif district != "35.09.11":
        assert shared == 0


@given(st.lists(st.text(max_size=30), max_size=12))
def test_a_values_tag_is_its_keyed_blake2b_digest_as_a_signed_integer_as_stored_so_far(values):
    """The registry stores the tags (`children.name_sounds`): however they are computed, each must
    stay the keyed BLAKE2b digest read as a big-endian signed 32-bit integer, or the stored tags
    stop matching the sought ones."""
    key = hmac.new(b"i" * 32, b"sprpa tags", hashlib.sha256).digest()
    assert KEYS.tags(values) == [
        int.from_bytes(hashlib.blake2b(value.encode(), key=key, digest_size=4).digest(), "big", signed=True)
        for value in values]
