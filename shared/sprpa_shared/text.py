"""Text people type, kept plain: no invisible, control or direction-changing characters (a right-
to-left override makes "Siti" read backwards in a list; a zero-width space makes two names look
like one), and made safe to open in a spreadsheet (a cell that starts like a formula is text)."""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any

from pydantic import AfterValidator

# Unicode categories refused: controls, format characters (bidi embeddings, overrides and isolates,
# zero-width spaces and joiners), line and paragraph separators, private use, surrogates.
_REFUSED = frozenset({"Cc", "Cf", "Zl", "Zp", "Co", "Cs"})
_FREE_TEXT_ALLOWED = frozenset("\n\t")
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def _check(value: str, allowed: frozenset[str]) -> str:
    if value.isprintable():  # every refused category is unprintable: most text is done in C, at once
        return value
    bad = [c for c in value if c not in allowed and unicodedata.category(c) in _REFUSED]
    if bad:
        shown = ", ".join(sorted({f"U+{ord(c):04X}" for c in bad}))
        raise ValueError(f"contains invisible, control or direction-changing characters ({shown})")
    return value


def plain(value: str) -> str:
    return _check(value, frozenset())


def free(value: str) -> str:
    return _check(value, _FREE_TEXT_ALLOWED)


PlainText = Annotated[str, AfterValidator(plain)]  # a name, a number, an address: one line of visible text
FreeText = Annotated[str, AfterValidator(free)]  # notes and reasons: lines and tabs too


def spreadsheet_cell(value: Any) -> Any:
    """A value as a CSV or XLSX cell: text that a spreadsheet would read as a formula gets a
    leading apostrophe (OWASP's advice for CSV injection); numbers and everything else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_LEADS):
        return "'" + value
    return value
