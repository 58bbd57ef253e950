"""Matching place names as field documents write them against the official list (pure).

Names in MOUs and surveys differ from the official ones in spacing, case and spelling
("Pandanwangi" / "Pandan Wangi", "Seelos" / "Selelos"), and one name occurs in several
kecamatan: a name alone never identifies a village, so the parents count in the score.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz

from sprpa_shared.regions import normalise

MIN_NAME_SCORE = 0.75
PARENT_MATCH = 0.8
AMBIGUITY_MARGIN = 0.05
KEEP_WITHIN = 0.1  # of the best score: an exact "Sukoreno" makes "Sukorejo" noise, not a candidate


def similarity(a: str, b: str) -> float:
    return fuzz.ratio(normalise(a), normalise(b)) / 100.0


@dataclass(frozen=True)
class Candidate:
    code: str
    name: str
    parent_names: tuple[str, ...]  # nearest first: kecamatan, kabupaten, province (as far as they go)


@dataclass(frozen=True)
class Ranked:
    candidate: Candidate
    score: float


def rank(name: str, candidates: list[Candidate], *, parents: tuple[str | None, ...] = ()) -> list[Ranked]:
    """Candidates scored by name and by every parent name given (nearest first), best first.

    A candidate whose name is too far off, whose parent disagrees with a parent given, or that
    is clearly worse than the best one, is dropped.
    """
    ranked = []
    for candidate in candidates:
        score = similarity(name, candidate.name)
        if score < MIN_NAME_SCORE:
            continue
        for given, actual in zip(parents, candidate.parent_names, strict=False):
            if given:
                parent_score = similarity(given, actual)
                if parent_score < PARENT_MATCH:
                    break
                score *= parent_score
        else:
            ranked.append(Ranked(candidate, round(score, 4)))
    ranked.sort(key=lambda item: (-item.score, item.candidate.code))
    return [item for item in ranked if item.score >= ranked[0].score - KEEP_WITHIN]


def is_ambiguous(ranked: list[Ranked]) -> bool:
    """Two or more equally good answers: the caller must name a parent to choose."""
    return len(ranked) > 1 and ranked[0].score - ranked[1].score <= AMBIGUITY_MARGIN
