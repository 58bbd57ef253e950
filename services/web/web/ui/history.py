"""A case history's reasons, read in the page's language.

The registry writes each reason as a short English phrase of codes ("assessed: worst_form",
"flagged with needs education.formal_school; dropped legal.aid (not_needed)"): here each known
phrase becomes a sentence with the codes' labels. A phrase not known here is shown as written
(the browser test of the whole loop fails on a raw code, so a new phrase gets added here).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from web.ui.i18n import Translator

Describe = Callable[[re.Match, Translator, dict[str, str]], str]


def _services(codes: str, categories: dict[str, str]) -> str:
    return ", ".join(categories.get(code, code) for code in codes.split(", ") if code)


def _flagged(match: re.Match, t: Translator, categories: dict[str, str]) -> str:
    text = f"{t('h_flagged')}: {_services(match['needs'], categories)}"
    for need, reason in re.findall(r"; dropped (\S+) \((\w+)\)", match["dropped"] or ""):
        text += f"; {t('h_dropped')} {categories.get(need, need)} ({t.label('drop_reason', reason)})"
    return f"{t('h_second_person')}: {text}" if match["override"] else text


_PHRASES: list[tuple[re.Pattern, Describe]] = [
    (re.compile(r"^registered$"), lambda m, t, c: t("h_registered")),
    (re.compile(r"^assessed: (\w+)$"), lambda m, t, c: f"{t('h_assessed')}: {t.label('classification', m[1])}"),
    (re.compile(r"^(?P<override>override approved: )?flagged with needs (?P<needs>[^;]*)"
                r"(?P<dropped>(?:; dropped .*)?)$"), _flagged),
    (re.compile(r"^closed: (\w+)$"), lambda m, t, c: f"{t('h_closed')}: {t.label('closure_reason', m[1])}"),
    (re.compile(r"^flag rejected: (\w+)$"),
     lambda m, t, c: f"{t('h_flag_rejected')}: {t.label('flag_rejection', m[1])}"),
    (re.compile(r"^consent withdrawn$"), lambda m, t, c: t("h_consent_withdrawn")),
    (re.compile(r"^consent expired$"), lambda m, t, c: t("h_consent_expired")),
    (re.compile(r"^merged into ([0-9a-f-]{8})[0-9a-f-]*$"), lambda m, t, c: f"{t('h_merged')} {m[1]}"),
    (re.compile(r"^referral for (\S+) accepted$"),
     lambda m, t, c: f"{t('h_referral_accepted')}: {c.get(m[1], m[1])}"),
    (re.compile(r"^service (\S+) started$"), lambda m, t, c: f"{t('h_service_started')}: {c.get(m[1], m[1])}"),
    (re.compile(r"^follow-up visit: no child labour"), lambda m, t, c: t("h_visit_withdrawn")),
    (re.compile(r"^follow-up visit: service delivered"), lambda m, t, c: t("h_visit_prevented")),
    (re.compile(r"^relapse found on a follow-up visit"), lambda m, t, c: t("h_visit_relapse")),
    (re.compile(r"^12-month follow-up confirmed the outcome"), lambda m, t, c: t("h_closed_by_follow_up")),
]


def describe(reason: str, t: Translator, categories: dict[str, str]) -> str:
    for pattern, words in _PHRASES:
        if match := pattern.match(reason):
            return words(match, t, categories)
    return reason


def actor(subject: str, role: str, t: Translator) -> str:
    """Who made the change: the referral engine or the registry itself, a named API client, or a
    person (by role)."""
    if subject.startswith("service:"):
        return t("actor_referral_engine") if "referral" in subject else t("actor_system")
    if role == "integration":
        return f"{t.label('role', role)} ({subject})"
    return t.label("role", role)
