"""Demo directory for trying SPRPA out: providers in Jember, Lombok Timur and Lombok Utara.

Loaded only on request (`python -m providers demo-data`, or `make run DEMO=1`). Every name
carries "(demo)" and every organisation is flagged `is_demo`. Coverage of the catalogue is
deliberately uneven, and some MOUs are expired or missing, so that gaps exist.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from providers.offerings import service as offerings
from providers.offerings.schemas import OfferingCreate
from providers.organizations import service as organizations
from providers.organizations.models import Organization
from providers.organizations.schemas import MouCreate, OrganizationCreate
from sprpa_shared.auth.principal import Principal, Role

LOADER = Principal(subject="demo-loader", role=Role.NATIONAL_ADMIN)
KABUPATEN = {"35.09": "Jember", "52.03": "Lombok Timur", "52.08": "Lombok Utara"}
# (name, kind, categories offered): the same template in each kabupaten, uneven on purpose.
TEMPLATES = [
    ("UPTD PPA {k}", "uptd_p2tp2a", ["psychosocial.counselling", "legal.aid", "protection.safe_house"]),
    ("Dinas Sosial {k}", "government_office", ["family.social_assistance", "basic_needs.package"]),
    ("Dinas Pendidikan {k}", "government_office", ["education.formal_school", "education.school_support"]),
    ("Dinas Tenaga Kerja {k}", "government_office", ["skills.apprenticeship"]),
    ("Puskesmas {k}", "health_facility", ["health.basic_check", "health.reproductive_mental"]),
    ("Dinas Dukcapil {k}", "government_office", ["civil.birth_certificate"]),
    ("PKBM Harapan {k}", "school_pkbm", ["education.equivalency", "education.bridging_course"]),
    ("BLK {k}", "government_office", ["skills.vocational_course"]),
    ("LBH {k}", "legal_aid", ["legal.aid"]),
    ("Sanggar Anak {k}", "ngo", ["prevention.after_school", "education.remedial"]),
    ("Koperasi Tani {k}", "company", ["family.economic"]),
]
LOCAL_NGO = {"35.09": ("YPSM Jember", ["psychosocial.counselling", "family.parenting", "prevention.after_school"]),
             "52.03": ("SANTAI Lombok Timur", ["psychosocial.counselling", "protection.reintegration"]),
             "52.08": ("SANTAI Lombok Utara", ["prevention.after_school"])}
COURSES = ["cooking", "computer", "tailoring", "beauty"]
AREA_CODES = {"35.09": 331, "52.03": 376, "52.08": 370}


async def load(session: AsyncSession, *, now: datetime) -> int:
    """Create the demo directory unless it is there already; returns how many organisations were created."""
    if (await session.exec(select(Organization).where(Organization.is_demo))).first() is not None:
        return 0
    today, created = now.date(), 0
    for index, (regency, kabupaten) in enumerate(KABUPATEN.items()):
        entries = [(name.format(k=kabupaten), kind, cats) for name, kind, cats in TEMPLATES]
        entries.append((LOCAL_NGO[regency][0], "ngo", LOCAL_NGO[regency][1]))
        for position, (name, kind, categories) in enumerate(entries):
            if (position + index) % 6 == 5:
                categories = categories[:1]  # a thinner offer here: gaps in some kabupaten only
            org = await organizations.create_organization(session, principal=LOADER, now=now, data=OrganizationCreate(
                name=f"{name} (demo)", kind=kind, regency_code=regency,
                contacts={"person": "Petugas layanan", "phone": f"+62 {AREA_CODES[regency]} 555 {position:04d}"},
                backbone_for=[regency] if kind == "uptd_p2tp2a" else []))
            org.is_demo = True
            created += 1
            if (position + index) % 7 != 3:  # a few have no MOU at all
                expired = (position + index) % 9 == 4
                await organizations.sign_mou(session, organization=org, principal=LOADER, now=now, data=MouCreate(
                    number=f"DEMO/{regency}/{position:02d}", regency_code=regency,
                    signed_date=today - timedelta(days=400), valid_from=today - timedelta(days=380),
                    valid_until=today - timedelta(days=15) if expired else today + timedelta(days=365),
                    service_categories=categories))
            for number, category in enumerate(categories):
                await offerings.create(session, principal=LOADER, now=now, data=OfferingCreate(
                    organization_id=org.id, category=category, name=f"{category.split('.')[1].replace('_', ' ')}"
                    f" - {name}", regency_code=regency, min_age=6 if category.startswith("prevention") else 10,
                    max_age=17, capacity=5 + 5 * number, languages=["id", "jv" if regency == "35.09" else "sas"],
                    course_type=COURSES[position % 4] if category == "skills.vocational_course" else None,
                    schedule="Senin-Jumat 08:00-15:00"))
    return created
