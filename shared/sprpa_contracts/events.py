"""The event catalogue. One model per event type; the type name carries the version.

Events carry identifiers, official place codes and catalogue codes only: never names, NIK,
addresses or free-text notes. Personal data is read over HTTP, under authorisation.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from sprpa_contracts.catalogue import NeedPreferences
from sprpa_contracts.vocabulary import (
    ActivityKind,
    AgeBand,
    FundingSource,
    InstitutionStatus,
    InstitutionType,
    Milestone,
    ReferralStatus,
    Sex,
)
from sprpa_shared.events.envelope import EventData

PlaceCode = str


class _RegistryEvent(EventData):
    source_service: ClassVar[str] = "registry"
    about: ClassVar[str | None] = "child_id"
    village_code: PlaceCode = Field(description="Kemendagri desa/kelurahan code, e.g. 35.09.11.2007")

    def place_code(self) -> str | None:
        return self.village_code


class _ChildEvent(_RegistryEvent):
    entity: ClassVar[str] = "child"

    child_id: uuid.UUID


class _TransferEvent(_RegistryEvent):
    entity: ClassVar[str] = "transfer"
    about: ClassVar[str | None] = "transfer_id"

    transfer_id: uuid.UUID
    child_id: uuid.UUID
    to_regency_code: PlaceCode


class _CaseEvent(_RegistryEvent):
    entity: ClassVar[str] = "case"

    child_id: uuid.UUID


class _ChildCodes(_ChildEvent):
    """The codes reports count a child by, carried by every event that registers or changes one
    (the registry copies each from the child's field of the same name)."""

    sex: Sex
    birth_year: int
    birth_month: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}$", description="year and month of "
                                    "birth, never the day: reports give ages on their reference date")
    classification: str
    school_status: str | None = Field(default=None, description="in_school, equivalency, out_of_school or "
                                      "never_enrolled (a code, for reports)")
    living_arrangement: str | None = Field(default=None, description="with_family, alternative_care or independent")
    identified_through: str | None = Field(default=None, description="outreach, school, raid, partner_ngo, "
                                           "self_family or other")


class ChildRegistered(_ChildCodes):
    """A child of concern was recorded in a village."""

    action: ClassVar[str] = "registered"

    household_id: uuid.UUID | None = None
    mapping_categories: list[str] = Field(default_factory=list)
    classification_basis: list[str] = Field(default_factory=list, description="the worst forms and hazards behind "
                                            "the classification, as codes (worst_form.trafficking, hazard.pesticides)")


class ChildrenImported(EventData):
    """A survey import registered children: up to 1,000 of one kabupaten in one event, each with the
    fields `child.registered` carries (issue 27: an import announces per batch; a child registered
    one by one is still `child.registered`)."""

    source_service: ClassVar[str] = "registry"
    entity: ClassVar[str] = "children"
    action: ClassVar[str] = "imported"
    about: ClassVar[str | None] = "import_id"

    import_id: uuid.UUID
    regency_code: PlaceCode = Field(description="the kabupaten of every child in the event")
    children: list[ChildRegistered] = Field(min_length=1, max_length=1000)

    def place_code(self) -> str | None:
        return self.regency_code


class ChildUpdated(_ChildCodes):
    """A child's record changed; `changed` names the fields (never their values)."""

    action: ClassVar[str] = "updated"

    changed: list[str]
    mapping_categories: list[str] | None = None
    classification_basis: list[str] | None = Field(default=None, description="as in child.registered")


class CaseFlagged(_CaseEvent):
    """A child's case was flagged for remediation: the referral engine matches its needs."""

    action: ClassVar[str] = "flagged"

    flag_id: uuid.UUID | None = Field(default=None, description="one flag of the case; a re-flag after relapse is new")
    consent_id: uuid.UUID | None = Field(default=None, description="the consent recorded with the flag")
    consent_scope: list[str] = Field(default_factory=list, description="what the consent allows, e.g. "
                                     "share_with_mou_providers")
    age: int = Field(ge=0, le=17)
    sex: Sex
    classification: str
    needs: list[str] = Field(min_length=1, description="Service catalogue codes, e.g. education.formal_school")
    preferences: dict[str, NeedPreferences] = Field(
        default_factory=dict, description="by need code: the course, provider or language asked for")


class FlagAwaitingApproval(_CaseEvent):
    """A case was flagged on a legal basis, without the guardian's consent: nothing is referred until
    a second person of the district approves the flag (or rejects it)."""

    action: ClassVar[str] = "approval_requested"

    flag_id: uuid.UUID
    needs: list[str] = Field(min_length=1, description="the service catalogue codes the flag asks for")


class CaseStatusChanged(_CaseEvent):
    """A case moved along its lifecycle (identified → ... → closed, or reopened)."""

    action: ClassVar[str] = "status_changed"

    from_status: str | None
    to_status: str
    basis: Literal["service", "activities"] | None = Field(
        default=None, description="for a child prevented: what kept them out of work, a service delivered or "
        "enough sessions of prevention activities by the kabupaten's rule")


class ConsentWithdrawn(_RegistryEvent):
    """The guardian (or the child) withdrew the consent a flag was made with, or it ended on the
    date it was given until: nothing more may be shared with providers; whoever acts on the
    child's referrals stops."""

    entity: ClassVar[str] = "consent"
    action: ClassVar[str] = "withdrawn"

    child_id: uuid.UUID
    consent_id: uuid.UUID
    on: date = Field(description="the day it was withdrawn, or the first day it no longer held")
    reason: Literal["withdrawn", "expired"] = Field(default="withdrawn", description="expired: its end date passed")


class ChildMerged(_ChildEvent):
    """Two records were the same child: `merged_id` now points at `child_id`, which keeps everything."""

    action: ClassVar[str] = "merged"

    merged_id: uuid.UUID
    merged_village_code: PlaceCode


class ChildMergeRequested(_ChildEvent):
    """Someone who sees two records of one child (a cadre, after a sync from the field) asks the
    district to merge them; the district's operators decide."""

    action: ClassVar[str] = "merge_requested"

    duplicate_id: uuid.UUID


class TransferProposed(_TransferEvent):
    """A kabupaten's operator proposes that a child's case move to another kabupaten (the family
    moved); the other kabupaten's operators accept or decline. `village_code` is where the child
    is now; the subject carries it, `to_regency_code` says who must answer."""

    action: ClassVar[str] = "proposed"
    to_village_code: PlaceCode | None = None
    reason: str = Field(description="family_moved, child_moved or other")


class TransferDecided(_TransferEvent):
    """The receiving kabupaten declined a proposed transfer, or the proposing one cancelled it:
    nothing moved. (An accepted transfer is `child.transferred`.) `village_code` is where the
    child stays."""

    action: ClassVar[str] = "decided"
    outcome: Literal["declined", "cancelled"]
    reason: str | None = Field(default=None, description="why it was declined (a code)")


class ChildTransferred(_ChildEvent):
    """The child's case moved to another kabupaten: the record, its history, visits and needs are
    now in `village_code`'s scope. The referral engine withdraws what is live under the old
    kabupaten's MOUs and offers the open needs under the new one's."""

    action: ClassVar[str] = "transferred"

    transfer_id: uuid.UUID
    from_village_code: PlaceCode


class ChildErased(_ChildEvent):
    """A child's personal data was erased (a data subject's request under UU 27/2022, a court order,
    or the end of the retention period). The pseudonymous id and the codes stay, so reports still
    add up; whoever holds anything else about the child drops it."""

    action: ClassVar[str] = "erased"

    basis: Literal["data_subject_request", "court_order", "retention"]
    on: date = Field(description="the day it was erased")


class VisitRecorded(_RegistryEvent):
    """A monitoring visit was recorded: what it found and what it proved (never its notes)."""

    entity: ClassVar[str] = "visit"
    action: ClassVar[str] = "recorded"

    visit_id: uuid.UUID
    child_id: uuid.UUID
    visited_on: date
    working: bool
    attendance: Literal["school", "training", "none"]
    classification: str
    outcome: Literal["withdrawn", "prevented", "relapse", "no_change"]
    next_visit_due: date | None


class VisitsDue(_RegistryEvent):
    """Once a week, from Monday 07:00 in the kabupaten's time: how many of a desa's children are due a
    monitoring visit by the end of the week and how many are overdue (counts only; the desa's cadres
    read the list under authorisation). A desa with nothing due gets none."""

    entity: ClassVar[str] = "visits"
    action: ClassVar[str] = "due"

    week_of: date = Field(description="the Monday the week starts")
    due: int = Field(ge=0, description="children whose visit falls due from today to Sunday")
    overdue: int = Field(ge=0, description="children whose visit date has passed")

    def cloud_subject(self) -> str:
        return f"{self.village_code}/{self.week_of.isoformat()}"


class _ProvidersEvent(EventData):
    source_service: ClassVar[str] = "providers"
    regency_code: PlaceCode

    def place_code(self) -> str | None:
        return self.regency_code


class OrganizationUpserted(_ProvidersEvent):
    """An organisation was created or changed: what the referral engine's replica needs."""

    entity: ClassVar[str] = "organization"
    action: ClassVar[str] = "upserted"

    organization_id: uuid.UUID
    organization_name: str | None = Field(default=None, description="its public name (not personal data)")
    kind: str
    backbone_for: list[PlaceCode]
    version: int

    about: ClassVar[str] = "organization_id"


class _MouEvent(_ProvidersEvent):
    entity: ClassVar[str] = "mou"
    about: ClassVar[str] = "mou_id"

    mou_id: uuid.UUID
    organization_id: uuid.UUID
    valid_until: date


class MouChanged(_MouEvent):
    """An MOU was signed or changed (terminated); its status on `as_of` follows its dates."""

    action: ClassVar[str] = "changed"

    signed_date: date | None
    valid_from: date
    terminated_on: date | None
    service_categories: list[str]
    status: Literal["draft", "pending", "active", "expired", "terminated"]
    as_of: date


class MouExpiring(_MouEvent):
    """An MOU ends within 30 days: time for the district to renew it."""

    action: ClassVar[str] = "expiring"

    days_left: int


class MouExpired(_MouEvent):
    """An MOU ended: its provider is no longer offered the kabupaten's referrals under it."""

    action: ClassVar[str] = "expired"


class OfferingChanged(_ProvidersEvent):
    """An offering was created, changed (capacity included) or removed: the engine's replica of it."""

    entity: ClassVar[str] = "offering"
    action: ClassVar[str] = "changed"

    offering_id: uuid.UUID
    organization_id: uuid.UUID
    category: str
    service_area: list[PlaceCode]
    min_age: int
    max_age: int
    sexes: list[Sex]
    capacity: int
    course_type: str | None = None
    languages: list[str] = Field(default_factory=list, description="ISO 639 codes the service is given in")
    removed: bool = False
    version: int

    about: ClassVar[str] = "offering_id"




class _ReferralEvent(EventData):
    source_service: ClassVar[str] = "referral"
    village_code: PlaceCode

    def place_code(self) -> str | None:
        return self.village_code


class _NeedEvent(_ReferralEvent):
    about: ClassVar[str] = "need_id"

    need_id: uuid.UUID
    case_id: uuid.UUID
    child_id: uuid.UUID
    need: str = Field(description="service catalogue code")
    on: date


class ReferralStatusChanged(_ReferralEvent):
    """A referral moved (offered, accepted, declined, in service, completed, expired, withdrawn,
    cancelled). The registry moves the case and lets the provider see the child while it is live."""

    entity: ClassVar[str] = "referral"
    action: ClassVar[str] = "status_changed"

    referral_id: uuid.UUID
    child_id: uuid.UUID
    case_id: uuid.UUID | None = Field(default=None, description="the engine's case: one flag of the child")
    need_id: uuid.UUID | None = None
    need: str = Field(description="service catalogue code")
    organization_id: uuid.UUID
    service_id: uuid.UUID | None = None
    backbone: bool = Field(default=False, description="offered to the kabupaten's backbone: no provider was left")
    status: ReferralStatus
    reason: str | None = Field(default=None, description="decline or cancel reason code (never the free text)")
    outcome: Literal["service_delivered", "child_declined", "moved_away", "other"] | None = None
    sessions: int | None = Field(default=None, description="sessions delivered, reported at completion")
    on: date = Field(description="the day the change happened")
    respond_by: datetime | None = Field(default=None, description="an offer's deadline (status offered): the "
                                        "organisation answers by then, or the offer expires and goes on")
    all_needs_settled: bool = Field(
        default=False, description="no need of the case is waiting any more: the follow-up visit is due"
    )

    about: ClassVar[str] = "referral_id"


class GapRecorded(_NeedEvent):
    """A need no MOU provider could take: it went to the backbone organisation (or to nobody)."""

    entity: ClassVar[str] = "gap"
    action: ClassVar[str] = "recorded"

    gap_id: uuid.UUID
    reason: Literal["no_candidates", "exhausted", "preference_unmet"] = Field(
        description="no_candidates: nobody could take it; exhausted: every candidate said no or did not answer; "
                    "preference_unmet: nobody offers what the child asked for (course, provider, language), so "
                    "others were offered")
    backbone_organization_id: uuid.UUID | None = Field(default=None, description="None: the kabupaten has no backbone")


class NeedChanged(_NeedEvent):
    """The district added a need to an open case after the flag (its offers follow as referral
    events), or withdrew one with a reason (its live referrals are cancelled)."""

    entity: ClassVar[str] = "need"
    action: ClassVar[str] = "changed"

    change: Literal["added", "withdrawn"]
    reason: str | None = Field(default=None, description="why it was withdrawn (a code)")


class CaseRefused(_ReferralEvent):
    """The engine would not refer a flagged case: `reason` says why (e.g. no consent to share)."""

    entity: ClassVar[str] = "case"
    action: ClassVar[str] = "refused"
    about: ClassVar[str] = "child_id"

    case_id: uuid.UUID
    child_id: uuid.UUID
    reason: Literal["no_consent", "consent_scope"]


class AccountChanged(EventData):
    """A person's account or an API client changed: made, approved, deactivated (its tokens revoked),
    reactivated, its password reset, a cadre moved to another desa. Ids and codes only: never a
    username or a name."""

    source_service: ClassVar[str] = "web"
    entity: ClassVar[str] = "account"
    action: ClassVar[str] = "changed"

    account_id: uuid.UUID
    change: Literal["created", "approved", "deactivated", "reactivated", "password_reset", "moved"]
    role: str = Field(description="the account's role, e.g. village_cadre, provider_staff, integration")
    regency_code: PlaceCode | None = Field(default=None, description="the kabupaten that manages the account")
    village_code: PlaceCode | None = None
    organization_id: uuid.UUID | None = None
    village_function: Literal["cadre", "facilitator"] | None = Field(
        default=None, description="a village_cadre account's function in the desa: a PATBM/GTDLA cadre or the "
        "facilitator who accompanies children")
    by_role: str = Field(description="the role of whoever made the change")

    def place_code(self) -> str | None:
        return self.regency_code

    about: ClassVar[str] = "account_id"


# The programme around the cases (issue 26): ids, codes and counts only.

class AttendanceCount(BaseModel):
    """Anonymous participants of one sex and age band."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sex: Sex
    age_band: AgeBand
    count: int = Field(ge=1, le=100_000)


class _ActivityEvent(_RegistryEvent):
    entity: ClassVar[str] = "activity"
    about: ClassVar[str | None] = "activity_id"

    activity_id: uuid.UUID
    kind: ActivityKind


class ActivityRecorded(_ActivityEvent):
    """A community activity (a one-off, or a recurring group activity) was set up in a desa."""

    action: ClassVar[str] = "recorded"

    recurring: bool
    organiser_institution_id: uuid.UUID | None = None
    organiser_organization_id: uuid.UUID | None = None


class ActivitySessionRecorded(_ActivityEvent):
    """One session of an activity was held: its anonymous attendance by sex and age band (reach), and
    the registered children of the desa who took part (by id)."""

    action: ClassVar[str] = "session_recorded"

    session_id: uuid.UUID
    held_on: date
    anonymous: list[AttendanceCount]
    child_ids: list[uuid.UUID]


class PreventionRuleSet(EventData):
    """A kabupaten set a new version of its rule for prevention through activities."""

    source_service: ClassVar[str] = "registry"
    entity: ClassVar[str] = "prevention_rule"
    action: ClassVar[str] = "set"
    about: ClassVar[str | None] = "regency_code"

    regency_code: PlaceCode
    version: int = Field(ge=1)
    min_sessions: int = Field(ge=1)
    window_months: int = Field(ge=1)
    kinds: list[ActivityKind]
    effective_from: date

    def place_code(self) -> str | None:
        return self.regency_code


class InstitutionChanged(_RegistryEvent):
    """A village institution was recorded or changed: its type, status, decree date and member counts."""

    entity: ClassVar[str] = "institution"
    action: ClassVar[str] = "changed"
    about: ClassVar[str | None] = "institution_id"

    institution_id: uuid.UUID
    type: InstitutionType
    status: InstitutionStatus
    decreed_on: date | None = None
    members: int = Field(ge=0, description="members in all, counted and named")
    changed_on: date


class FacilitatorAssigned(_CaseEvent):
    """A case was given to a facilitator (an account id), or taken from one (facilitator_id null)."""

    action: ClassVar[str] = "facilitator_assigned"

    facilitator_id: uuid.UUID | None
    previous_facilitator_id: uuid.UUID | None = None


class CostRecorded(_RegistryEvent):
    """A remediation cost: against a delivered service (the referral) or an activity."""

    entity: ClassVar[str] = "cost"
    action: ClassVar[str] = "recorded"
    about: ClassVar[str | None] = "cost_id"

    cost_id: uuid.UUID
    amount_idr: int = Field(ge=1)
    funding_source: FundingSource
    spent_on: date
    referral_id: uuid.UUID | None = None
    child_id: uuid.UUID | None = None
    service_code: str | None = Field(default=None, description="the delivered service's catalogue code")
    organization_id: uuid.UUID | None = None
    activity_id: uuid.UUID | None = None
    activity_kind: ActivityKind | None = None


class MilestoneReached(_RegistryEvent):
    """A desa reached (or, reached_on null, lost) a step of its roadmap to a child-labour-free village."""

    entity: ClassVar[str] = "roadmap"
    action: ClassVar[str] = "milestone"
    about: ClassVar[str | None] = "village_code"

    milestone: Milestone
    reached_on: date | None


CATALOGUE: tuple[type[EventData], ...] = (
    ChildRegistered, ChildrenImported, ChildUpdated, ChildMerged, ChildMergeRequested, ChildErased, TransferProposed,
    TransferDecided, ChildTransferred, CaseFlagged, FlagAwaitingApproval,
    CaseStatusChanged, VisitRecorded, VisitsDue, OrganizationUpserted, MouChanged, MouExpiring, MouExpired,
    OfferingChanged, ReferralStatusChanged, GapRecorded, CaseRefused, ConsentWithdrawn, NeedChanged, AccountChanged,
    ActivityRecorded, ActivitySessionRecorded, PreventionRuleSet, InstitutionChanged, FacilitatorAssigned,
    CostRecorded, MilestoneReached,
)
BY_TYPE: dict[str, type[EventData]] = {model.event_type: model for model in CATALOGUE}
