from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz, utils

from registry.duplicates.rules import (
    MIN_NAME_SIMILARITY,
    Record,
    key_similarity,
    likeness,
    name_key,
    name_similarity,
    similar_keys,
)

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
