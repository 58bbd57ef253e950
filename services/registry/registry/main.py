"""Assembles the registry service: places, children and households, cases."""

from fastapi import FastAPI

from registry.activities.router import router as activities_router
from registry.cases.router import router as cases_router
from registry.cases.service import consent_sweeper
from registry.children.router import router as children_router
from registry.contacts.router import router as contacts_router
from registry.costs.router import router as costs_router
from registry.facilitators.router import router as facilitators_router
from registry.imports.process import import_worker_process
from registry.imports.router import router as imports_router
from registry.imports.service import import_worker
from registry.institutions.router import router as institutions_router
from registry.places.router import router as places_router
from registry.prevention.router import router as prevention_router
from registry.rights.router import router as rights_router
from registry.rights.service import retention_sweeper
from registry.roadmap.router import router as roadmap_router
from registry.settings import RegistrySettings
from registry.subscriptions import subscriptions
from registry.transfers.router import router as transfers_router
from registry.visits.digest import visits_due_announcer
from registry.visits.router import router as visits_router
from sprpa_shared import protect
from sprpa_shared.app import create_service_app
from sprpa_shared.auth.verifier import TokenVerifier
from sprpa_shared.clock import Clock


def create_app(
    settings: RegistrySettings | None = None, *, verifier: TokenVerifier | None = None, clock: Clock | None = None
) -> FastAPI:
    settings = settings or RegistrySettings()
    protect.configure(settings.protector())
    return create_service_app(
        settings,
        title="SPRPA registry",
        description="Children, households, official places, classification, case lifecycle, flagging, visits, imports; "
                    "the programme around the cases: village institutions, activities, prevention, facilitators, "
                    "costs, roadmaps.",
        routers=[places_router, children_router, cases_router, visits_router, imports_router, rights_router,
                 transfers_router, contacts_router, institutions_router, activities_router, prevention_router,
                 facilitators_router, costs_router, roadmap_router],
        subscriptions=subscriptions(settings),
        jobs=[import_worker_process if settings.import_worker == "process" else import_worker, retention_sweeper,
              consent_sweeper, visits_due_announcer],
        body_limits={"/api/v1/imports": settings.import_max_bytes},
        verifier=verifier,
        clock=clock,
        audited=True,
    )
