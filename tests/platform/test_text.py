"""Text people type: the check that refuses invisible, control and direction-changing characters."""

from __future__ import annotations

import sys
import unicodedata

import pytest

from sprpa_shared.text import _REFUSED, free, plain


def test_the_fast_path_lets_through_no_character_the_full_check_refuses():
    """`str.isprintable()` answers for most text at once; it must be False for every refused
    character in Unicode, or the fast path would let one through."""
    leaks = [hex(code) for code in range(sys.maxunicode + 1)
             if chr(code).isprintable() and unicodedata.category(chr(code)) in _REFUSED]
    assert leaks == []


@pytest.mark.parametrize(("value", "plain_ok", "free_ok"), [
    ("Siti Aminah", True, True), ("Siti\u00a0Aminah", True, True),  # a no-break space is unprintable, not refused
    ("Siti \u202eanimA", False, False), ("Siti\u200b Aminah", False, False), ("x\x00", False, False),
    ("\ue000", False, False), ("two\nlines", False, True), ("a\ttab", False, True),
])
def test_plain_and_free_text(value, plain_ok, free_ok):
    for check, ok in ((plain, plain_ok), (free, free_ok)):
        if ok:
            assert check(value) == value
        else:
            with pytest.raises(ValueError, match="invisible, control or direction-changing"):
                check(value)
