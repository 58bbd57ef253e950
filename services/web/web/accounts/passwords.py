"""Password rules after NIST SP 800-63B (pure): length over composition, no forced rotation, and a
check against a list of passwords known from breaches. The list bundled is zxcvbn's 30,000 most
common passwords from breach corpora, with the commonest Indonesian ones added."""

from __future__ import annotations

from functools import lru_cache

from zxcvbn.frequency_lists import FREQUENCY_LISTS

MIN_LENGTH = 10  # 800-63B asks at least 8; a child-protection system asks a little more
MAX_LENGTH = 128  # at least 64 must be allowed
INDONESIAN = ("bismillah", "indonesia", "sayang", "sayangku", "rahasia", "katasandi", "merdeka", "garuda",
              "jakarta", "surabaya", "cintaku", "anakku", "bandung", "persija", "persib", "alhamdulillah",
              "kesilir", "jember", "sprpa", "password", "sandi", "admin", "operator", "kader")


@lru_cache(maxsize=1)
def _breached() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS["passwords"]) | frozenset(INDONESIAN)


def problem(password: str, *, username: str = "") -> str | None:
    """What is wrong with a new password, in words a person can act on; None when it will do."""
    if len(password) < MIN_LENGTH:
        return f"at least {MIN_LENGTH} characters: a phrase of a few words is easiest to remember"
    if len(password) > MAX_LENGTH:
        return f"at most {MAX_LENGTH} characters"
    lowered = password.lower()
    if lowered in _breached() or _stem(lowered) in _breached():
        return "this password is on the list of passwords known from breaches: choose another"
    if username and username.lower() in lowered:
        return "the password must not contain the username"
    if len(set(password)) < 4:
        return "too repetitive: use a phrase of a few words"
    return None


def _stem(lowered: str) -> str:
    """A common word with digits or symbols only at its end (`bismillah123`, `indonesia2026!`)."""
    return lowered.rstrip("0123456789!@#$%.*_-")
