"""How alike two child records are (pure): same NIK, or similar name and birth date in one kecamatan.

Two names are similar when their keys are at least 80% alike (rapidfuzz's ratio) and at least half
the words of the shorter name sound like words of the other (`name_sounds`): the database finds
the children whose words sound alike through a keyed index of those sounds without reading a
name, so the check of a new record costs the same in an empty registry as in a full one
(issue 27)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from rapidfuzz import fuzz, process, utils

BIRTH_DATE_TOLERANCE_DAYS = 3
MIN_NAME_SIMILARITY = 0.8
PENALTY_PER_DAY = 0.03
REPORT_AT = 0.75


@dataclass(frozen=True)
class Record:
    full_name: str
    birth_date: date
    district_code: str
    nik: str | None


@dataclass(frozen=True)
class Likeness:
    score: float
    reasons: tuple[str, ...]


def name_key(name: str) -> str:
    """What names are compared by: case, punctuation and word order removed ("aminah siti").

    Computed once per name when one name is compared with many (the import)."""
    return " ".join(sorted(utils.default_process(name).split()))


# Old (pre-1972) spellings still on documents, as today's: Djoko Joko, Tjahjo Cahjo, Soeharto Suharto;
# Achmad and Chairul are as often Ahmad and Khairul, Hairul.
_OLD_SPELLINGS = (("dj", "j"), ("tj", "c"), ("sj", "sy"), ("nj", "ny"), ("oe", "u"), ("ch", "h"), ("kh", "h"))
# Consonants that sound alike share a digit (Soundex's groups); vowels, h, w and y are dropped.
_SOUND_GROUPS = str.maketrans("bfpvcgjkqsxzdtlmnraeiouhwy", "11112222222233455600000000")


def name_sounds(name: str) -> frozenset[str]:
    """How each word of a name sounds, coarsely: old spellings as today's, then the word's first
    letter (any vowel as "a") and the groups of its consonants, repeats once ("Muhammad",
    "Mohamad" and "Muhamad" are all "m53"; "Rizki", "Rizky" and "Risky" "r62"). Words of digits
    stay as they are."""
    return frozenset(map(_word_sound, utils.default_process(name).split()))


@lru_cache(maxsize=65_536)  # a district's names share their words: an import sounds each once
def _word_sound(word: str) -> str:
    if word.isdigit():
        return word
    for old, new in _OLD_SPELLINGS:
        if old in word:
            word = word.replace(old, new)
    code: list[str] = []
    for digit in word[1:].translate(_SOUND_GROUPS):
        if digit != "0" and (not code or code[-1] != digit):
            code.append(digit)
    return ("a" if word[0] in "aeiou" else word[0]) + "".join(code)


def sounds_alike(a: frozenset[str], b: frozenset[str]) -> bool:
    """At least half the words of the name with fewer sounds, and at least one, sound alike."""
    shared = len(a & b)
    return shared > 0 and 2 * shared >= min(len(a), len(b))


def key_similarity(a: str, b: str) -> float:
    """The similarity of two name keys, in 0..1."""
    return fuzz.ratio(a, b) / 100.0


def similar_keys(key: str, keys: list[str]) -> list[tuple[int, float]]:
    """(index, similarity) of each of `keys` at least MIN_NAME_SIMILARITY alike to `key`: what
    `key_similarity` gives, for many keys in one call (the import's candidates)."""
    return [(index, score / 100.0) for _, score, index in
            process.extract(key, keys, scorer=fuzz.ratio, score_cutoff=MIN_NAME_SIMILARITY * 100, limit=None)]


def name_similarity(a: str, b: str) -> float:
    """Word order and case do not matter ("Aminah Siti" is "Siti Aminah")."""
    return key_similarity(name_key(a), name_key(b))


def likeness(new: Record, existing: Record) -> Likeness | None:
    """A score in 0..1 with its reasons, or None when the two are not plausibly the same child."""
    if new.nik and existing.nik and new.nik == existing.nik:
        return Likeness(1.0, ("same_nik",))
    if new.district_code != existing.district_code:
        return None
    if not sounds_alike(name_sounds(new.full_name), name_sounds(existing.full_name)):
        return None
    return name_likeness(name_similarity(new.full_name, existing.full_name),
                         abs((new.birth_date - existing.birth_date).days))


def name_likeness(similarity: float, days: int) -> Likeness | None:
    """`likeness` of two children of one kecamatan whose names are `similarity` alike and whose
    birth dates are `days` apart."""
    if days > BIRTH_DATE_TOLERANCE_DAYS:
        return None
    if similarity < MIN_NAME_SIMILARITY:
        return None
    score = round(similarity - PENALTY_PER_DAY * days, 3)
    if score < REPORT_AT:
        return None
    reasons = ["similar_name" if similarity < 1 else "same_name", "same_kecamatan",
               "same_birth_date" if days == 0 else f"birth_date_{days}_days_apart"]
    return Likeness(score, tuple(reasons))
