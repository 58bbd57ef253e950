"""Loaders routes declare, as the registry's `ChildDep`: `ReferralDep` fetches the referral the path
names and answers 404 for one that does not exist or lies outside the caller's scope (the latter
audited as a refused attempt), in one place."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from referral import access
from referral.models import Referral
from sprpa_shared.dependencies import PrincipalDep, SessionDep


async def _referral(referral_id: uuid.UUID, session: SessionDep, principal: PrincipalDep) -> Referral:
    return access.require_referral(principal, await session.get(Referral, referral_id))


ReferralDep = Annotated[Referral, Depends(_referral)]
