"""The reports the reports service answers at `/api/v1/reports/{name}`, in the order people see
them: one list that the reports service's router and the web's report list both read."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReportKind:
    name: str
    summary: str  # what it shows (the endpoint's summary)


SUMMARY = ReportKind("summary", "Children mapped by category, classification, sex, age band and place; case progress "
                                "in the period")
PILOT = ReportKind("pilot", "Withdrawn and prevented children per desa against the pilot targets")
KLA = ReportKind("kla", "KLA indicators 5, 28 and 31 from the data, and the 1,000-point scorecard of a kabupaten "
                        "for a year")
PROGRAMME = ReportKind("programme", "Children served (a service delivered): by sex, age, school status, service, "
                                    "provider, sessions, course, apprenticeship, living arrangement, identification, "
                                    "exploitation type")
REFERRALS = ReportKind("referrals", "Referral performance by service category and by provider")
GAPS = ReportKind("gaps", "Needs no MOU provider took, by category, reason and place")
PERIODIC = ReportKind("periodic", "The monthly or quarterly report to send on: targets against achievements, "
                                  "activities and reach, cases by status, referrals served and gaps, costs, "
                                  "institutions (JSON, XLSX or PDF)")

REPORTS: tuple[ReportKind, ...] = (SUMMARY, PILOT, KLA, PROGRAMME, REFERRALS, GAPS, PERIODIC)
NAMES: tuple[str, ...] = tuple(report.name for report in REPORTS)
