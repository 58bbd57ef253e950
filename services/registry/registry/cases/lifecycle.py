"""The case lifecycle: which status may follow which (DOMAIN.md, "The case lifecycle").

identified -> assessed -> flagged -> referred -> in_remediation -> withdrawn | prevented -> closed.
An assessed at-risk child can also be prevented by community activities alone, with no referral
(issue 26). A relapse reopens a withdrawn, prevented or closed case: it goes back to assessed. The district
may close an open case at any step with a reason (the family moved away, the child died, turned
18, or was a duplicate); the 12-month follow-up that confirms the outcome closes it on its own.
"""

from __future__ import annotations

from sprpa_contracts.vocabulary import CaseStatus

S = CaseStatus
ALLOWED: dict[CaseStatus, frozenset[CaseStatus]] = {
    S.IDENTIFIED: frozenset({S.ASSESSED, S.CLOSED}),
    S.ASSESSED: frozenset({S.ASSESSED, S.FLAGGED, S.PREVENTED, S.CLOSED}),
    S.FLAGGED: frozenset({S.REFERRED, S.ASSESSED, S.CLOSED}),
    S.REFERRED: frozenset({S.IN_REMEDIATION, S.FLAGGED, S.CLOSED}),
    S.IN_REMEDIATION: frozenset({S.WITHDRAWN, S.PREVENTED, S.CLOSED}),
    S.WITHDRAWN: frozenset({S.CLOSED, S.ASSESSED}),
    S.PREVENTED: frozenset({S.CLOSED, S.ASSESSED}),
    S.CLOSED: frozenset({S.ASSESSED}),
}


def can_move(current: CaseStatus, target: CaseStatus) -> bool:
    return target in ALLOWED[current]


def is_reopening(current: CaseStatus, target: CaseStatus) -> bool:
    return current in (S.WITHDRAWN, S.PREVENTED, S.CLOSED) and target is S.ASSESSED
