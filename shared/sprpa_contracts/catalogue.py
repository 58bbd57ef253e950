"""The remediation service catalogue (DOMAIN.md): stable codes every service and report uses."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

CATALOGUE: dict[str, tuple[str, str]] = {
    # code: (English label, Indonesian label)
    "education.formal_school": ("Return to / stay in formal school", "Kembali / tetap bersekolah formal"),
    "education.equivalency": ("Kejar Paket A/B/C (non-formal equivalency)", "Kejar Paket A/B/C (kesetaraan)"),
    "education.bridging_course": ("Bridging course before re-entry", "Kelas jembatan sebelum kembali sekolah"),
    "education.remedial": ("Remedial tutoring", "Bimbingan belajar remedial"),
    "education.school_support": ("School supplies, KIP enrolment", "Perlengkapan sekolah, pendaftaran KIP"),
    "skills.vocational_course": ("Vocational course", "Kursus keterampilan"),
    "skills.apprenticeship": ("Apprenticeship (magang)", "Magang"),
    "health.basic_check": ("Basic health check", "Pemeriksaan kesehatan dasar"),
    "health.sti_check": ("STI check", "Pemeriksaan IMS"),
    "health.reproductive_mental": ("Reproductive and mental health", "Kesehatan reproduksi dan jiwa"),
    "psychosocial.counselling": ("Counselling", "Konseling psikososial"),
    "basic_needs.package": ("Basic needs package", "Paket kebutuhan dasar"),
    "legal.aid": ("Legal aid and case accompaniment", "Bantuan hukum dan pendampingan kasus"),
    "protection.safe_house": ("Safe house", "Rumah aman"),
    "protection.alternative_care": ("Temporary alternative care (max 3 months)", "Pengasuhan alternatif sementara"),
    "protection.reintegration": ("Family tracing, reunification, reintegration", "Penelusuran, reunifikasi, reintegrasi keluarga"),  # noqa: E501
    "family.economic": ("Family economic strengthening", "Penguatan ekonomi keluarga"),
    "family.social_assistance": ("PKH / social assistance enrolment", "Pendaftaran PKH / bantuan sosial"),
    "family.parenting": ("Parenting support", "Dukungan pengasuhan"),
    "civil.birth_certificate": ("Birth certificate", "Akta kelahiran"),
    "prevention.after_school": ("After-school arts, culture, sport, vocational activity", "Kegiatan seni, budaya, olahraga, keterampilan sepulang sekolah"),  # noqa: E501
}

SERVICE_CODES = frozenset(CATALOGUE)


def known_service(code: str) -> str:
    if code not in SERVICE_CODES:
        raise ValueError(f"{code!r} is not a service catalogue code")
    return code


ServiceCode = Annotated[str, AfterValidator(known_service), Field(description="service catalogue code")]

# The kinds of vocational course an offering gives (`skills.vocational_course` only).
CourseType = Literal["cooking", "computer", "tailoring", "beauty", "other"]
COURSE_CATEGORY = "skills.vocational_course"


class NeedPreferences(BaseModel):
    """What the child (or family) asked for within a need: matching offers these first, and the
    gap report says when none could be had. Every field is optional."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    course_type: CourseType | None = Field(default=None, description="for skills.vocational_course only")
    organization_id: uuid.UUID | None = Field(default=None, description="a named provider organisation")
    language: str | None = Field(default=None, pattern=r"^[a-z]{2,3}$",
                                 description="ISO 639 code of the language the service is given in, e.g. id, jv")

    def is_empty(self) -> bool:
        return self.course_type is None and self.organization_id is None and self.language is None
