"""The case lifecycle: which status may follow which (DOMAIN.md, "The case lifecycle").

identified -> assessed -> flagged -> referred -> in_remediation -> withdrawn | prevented -> closed.
A relapse reopens a withdrawn, prevented or closed case: it goes back to assessed.
"""

from __future__ import annotations

from enum import StrEnum


class CaseStatus(StrEnum):
    IDENTIFIED = "identified"
    ASSESSED = "assessed"
    FLAGGED = "flagged"
    REFERRED = "referred"
    IN_REMEDIATION = "in_remediation"
    WITHDRAWN = "withdrawn"
    PREVENTED = "prevented"
    CLOSED = "closed"


S = CaseStatus
ALLOWED: dict[CaseStatus, frozenset[CaseStatus]] = {
    S.IDENTIFIED: frozenset({S.ASSESSED}),
    S.ASSESSED: frozenset({S.ASSESSED, S.FLAGGED}),
    S.FLAGGED: frozenset({S.REFERRED, S.ASSESSED}),
    S.REFERRED: frozenset({S.IN_REMEDIATION, S.FLAGGED}),
    S.IN_REMEDIATION: frozenset({S.WITHDRAWN, S.PREVENTED}),
    S.WITHDRAWN: frozenset({S.CLOSED, S.ASSESSED}),
    S.PREVENTED: frozenset({S.CLOSED, S.ASSESSED}),
    S.CLOSED: frozenset({S.ASSESSED}),
}


def can_move(current: CaseStatus, target: CaseStatus) -> bool:
    return target in ALLOWED[current]


def is_reopening(current: CaseStatus, target: CaseStatus) -> bool:
    return current in (S.WITHDRAWN, S.PREVENTED, S.CLOSED) and target is S.ASSESSED
