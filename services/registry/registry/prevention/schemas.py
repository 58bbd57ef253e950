"""What the prevention rule endpoints accept and return."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from sprpa_contracts.vocabulary import ActivityKind


class PreventionRuleIn(BaseModel):
    """A new version of the kabupaten's rule: an at-risk child took part in at least `min_sessions`
    sessions of activities of `kinds` within `window_months` before a follow-up visit that finds the
    child not working and in school or training."""

    model_config = ConfigDict(extra="forbid")

    min_sessions: int = Field(ge=1, le=100)
    window_months: int = Field(ge=1, le=24)
    kinds: list[ActivityKind] = Field(min_length=1, max_length=9)
    effective_from: date = Field(description="visits on or after this day are judged by this version")


class PreventionRulePublic(BaseModel):
    regency_code: str
    version: int = Field(description="0: the default rule, the kabupaten has set none in force yet")
    min_sessions: int
    window_months: int
    kinds: list[ActivityKind]
    effective_from: date | None


class PreventionRules(BaseModel):
    regency_code: str
    in_force: PreventionRulePublic = Field(description="the version in force today")
    versions: list[PreventionRulePublic] = Field(description="every version the kabupaten set, oldest first")
