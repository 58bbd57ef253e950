"""The rule that makes an at-risk child prevented through community activities (pure).

DOMAIN.md: prevented is reached by a service delivered to an at-risk child or by community prevention
activities (taking part in enough sessions, by the kabupaten's rule), in both cases confirmed by a
follow-up visit that finds no work beyond permitted light work and the child in school or training.
Anonymous attendance is reach, never a prevented child. Each kabupaten sets its rule (how many
sessions, within how many months before the follow-up, of which kinds); a new version applies from
its day on, and the version in force on the day of the visit decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from registry.visits.rules import add_months
from sprpa_contracts.vocabulary import PREVENTION_KINDS

DEFAULT_MIN_SESSIONS = 4
DEFAULT_WINDOW_MONTHS = 6


@dataclass(frozen=True)
class PreventionRule:
    regency_code: str
    version: int  # 0: the default, until the kabupaten sets its own
    min_sessions: int
    window_months: int
    kinds: tuple[str, ...]
    effective_from: date | None

    def window(self, visited_on: date) -> tuple[date, date]:
        """The days whose sessions count for a visit: from `window_months` before it, to the visit."""
        return add_months(visited_on, -self.window_months), visited_on

    def describe(self, sessions: int) -> str:
        where = f"rule v{self.version} of {self.regency_code}" if self.version else "the default rule"
        return f"{sessions} prevention sessions in {self.window_months} months ({where}: {self.min_sessions})"


def default_rule(regency_code: str) -> PreventionRule:
    return PreventionRule(regency_code, 0, DEFAULT_MIN_SESSIONS, DEFAULT_WINDOW_MONTHS, PREVENTION_KINDS, None)


def in_force(rules: list[PreventionRule], regency_code: str, on: date) -> PreventionRule:
    """The latest version effective on `on`, or the default before any."""
    effective = [rule for rule in rules if rule.effective_from is not None and rule.effective_from <= on]
    return max(effective, key=lambda rule: rule.version) if effective else default_rule(regency_code)
