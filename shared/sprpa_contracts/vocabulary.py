"""The codes every service shares, stated once: a referral's statuses and the sets the services
reason with, a case's statuses, and the sexes. Labels for people are in `labels`; which status
may follow which is each owner's rule (`referral.rules.lifecycle`, `registry.cases.lifecycle`)."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

Sex = Literal["female", "male"]
SEXES: tuple[str, ...] = ("female", "male")


class ReferralStatus(StrEnum):
    OFFERED = "offered"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    IN_SERVICE = "in_service"
    COMPLETED = "completed"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"
    CANCELLED = "cancelled"


R = ReferralStatus
# Out with an organisation: offered, or taken and not ended.
LIVE_REFERRAL = frozenset({R.OFFERED, R.ACCEPTED, R.IN_SERVICE})
# Taken by the organisation: it holds a place of the offering's capacity, and may read the
# child's record (an offer may go to several organisations at once, and tells enough to decide).
TAKEN_REFERRAL = frozenset({R.ACCEPTED, R.IN_SERVICE})
ENDED_REFERRAL = frozenset({R.DECLINED, R.COMPLETED, R.EXPIRED, R.WITHDRAWN, R.CANCELLED})


class CaseStatus(StrEnum):
    """The registry's case of a child (DOMAIN.md, "The case lifecycle")."""

    IDENTIFIED = "identified"
    ASSESSED = "assessed"
    FLAGGED = "flagged"
    REFERRED = "referred"
    IN_REMEDIATION = "in_remediation"
    WITHDRAWN = "withdrawn"
    PREVENTED = "prevented"
    CLOSED = "closed"


# The programme around the cases (issue 26): a desa's institutions, its activities, their costs.

class ActivityKind(StrEnum):
    """What a community activity is (seed 001, the pilot plan's activity table)."""

    SOCIALISATION = "socialisation"
    WORKSHOP = "workshop"
    TRAINING = "training"
    COORDINATION_MEETING = "coordination_meeting"
    FORUM_ANAK_SESSION = "forum_anak_session"
    AFTER_SCHOOL_GROUP = "after_school_group"
    KIE_CAMPAIGN = "kie_campaign"
    MUSRENBANG_ADVOCACY = "musrenbang_advocacy"
    OTHER = "other"


# Kinds a kabupaten counts toward prevention unless its rule says otherwise: sessions a child takes part in.
PREVENTION_KINDS: tuple[str, ...] = (ActivityKind.SOCIALISATION, ActivityKind.FORUM_ANAK_SESSION,
                                     ActivityKind.AFTER_SCHOOL_GROUP)

# Age bands of anonymous attendance: the bands the labour law draws (under 13, 13-14, 15-17) and adults.
AgeBand = Literal["under_13", "13_14", "15_17", "adult"]
AGE_BANDS: tuple[str, ...] = ("under_13", "13_14", "15_17", "adult")


class InstitutionType(StrEnum):
    """Village institutions of outcome 1 of the pilot plan."""

    GTDLA = "gtdla"  # Gugus Tugas Desa Layak Anak
    PATBM = "patbm"  # Perlindungan Anak Terpadu Berbasis Masyarakat
    FAD = "fad"  # Forum Anak Desa
    DRPPA = "drppa"  # Desa Ramah Perempuan dan Peduli Anak
    PKM = "pkm"  # Pusat Kegiatan Masyarakat
    SPRPA_TEAM = "sprpa_team"  # the village SPRPA team
    OTHER = "other"


class InstitutionStatus(StrEnum):
    PLANNED = "planned"
    FORMED = "formed"
    DECREED = "decreed"  # a village head's decree (SK Kepala Desa) gives it legal standing
    ACTIVE = "active"
    INACTIVE = "inactive"


class FundingSource(StrEnum):
    APBN = "apbn"
    APBD = "apbd"
    DANA_DESA = "dana_desa"
    CSR = "csr"
    DONOR = "donor"
    NGO = "ngo"
    COMMUNITY = "community"
    OTHER = "other"


class Milestone(StrEnum):
    """A desa's steps toward "desa bebas pekerja anak" (child-labour-free village)."""

    ROADMAP_WORKSHOP = "roadmap_workshop"
    RPJMDES_INTEGRATED = "rpjmdes_integrated"
    INSTITUTIONS_DECREED = "institutions_decreed"
    NO_UNREMEDIATED_CHILD_LABOUR = "no_unremediated_child_labour"
