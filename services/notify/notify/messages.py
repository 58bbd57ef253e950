"""The words of each notice, in Bahasa Indonesia first and English (pure). A message names the
service, the desa, the organisation and the deadline, never a child: the link leads to the page
where the person reads the rest under authorisation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from string import Formatter
from typing import Any

from sprpa_contracts.labels import label
from sprpa_shared.zones import zone_of

# kind: (title id, title en, body id, body en); the bodies' {fields} come from `_fields`.
TEMPLATES: dict[str, tuple[str, str, str, str]] = {
    "offer.new": (
        "Rujukan baru: {service}", "New referral offer: {service}",
        "Ada anak di Desa {village} yang membutuhkan layanan {service}. Mohon jawab sebelum {deadline}.",
        "A child in {village} needs {service}. Please answer by {deadline}."),
    "offer.reminder.half": (
        "Pengingat: rujukan {service} belum dijawab", "Reminder: {service} offer not answered",
        "Separuh batas waktu sudah lewat untuk rujukan {service} di Desa {village}. Mohon jawab sebelum {deadline}.",
        "Half the time to answer the {service} offer for {village} has passed. Please answer by {deadline}."),
    "offer.reminder.late": (
        "Rujukan {service} hampir berakhir", "{service} offer about to expire",
        "Rujukan {service} di Desa {village} akan berakhir pada {deadline} dan dialihkan ke lembaga lain.",
        "The {service} offer for {village} expires at {deadline} and will go to another provider."),
    "offer.expired": (
        "Rujukan {service} berakhir", "{service} offer expired",
        "Rujukan {service} di Desa {village} tidak dijawab tepat waktu dan telah dialihkan.",
        "The {service} offer for {village} was not answered in time and has gone on."),
    "offer.withdrawn": (
        "Rujukan {service} ditarik", "{service} referral withdrawn",
        "Rujukan {service} di Desa {village} tidak lagi menunggu lembaga Anda.",
        "The {service} referral for {village} no longer waits for your organisation."),
    "case.erased": (
        "Data anak dihapus", "A child's record was erased",
        "Data seorang anak yang Anda layani ({service}, Desa {village}) telah dihapus atas dasar hukum. "
        "Hapus juga salinan di luar sistem.",
        "The record of a child you serve ({service}, {village}) was erased on a legal basis. "
        "Delete any copy held outside the system."),
    "case.merged": (
        "Data anak digabung", "A child's records were merged",
        "Data ganda seorang anak yang Anda layani ({service}, Desa {village}) telah digabung.",
        "Duplicate records of a child you serve ({service}, {village}) were merged."),
    "escalation.backbone": (
        "Eskalasi ke lembaga penyangga: {service}", "Escalated to the backbone: {service}",
        "Tidak ada lembaga MOU yang menerima rujukan {service} di Desa {village}; rujukan dialihkan ke "
        "lembaga penyangga {organization}.",
        "No MOU provider took the {service} referral for {village}; it went to the backbone, {organization}."),
    "flag.awaiting_approval": (
        "Persetujuan kedua diperlukan", "A second approval is needed",
        "Kasus seorang anak di Desa {village} ditandai tanpa persetujuan wali ({services}). Tidak ada rujukan "
        "sebelum operator lain menyetujui atau menolaknya.",
        "A child's case in {village} was flagged without a guardian's consent ({services}). Nothing is referred "
        "until another operator approves or rejects it."),
    "merge.requested": (
        "Permintaan penggabungan data", "A merge is asked",
        "Seorang anak di Desa {village} mungkin tercatat dua kali. Periksa dan gabungkan bila benar.",
        "A child in {village} may be recorded twice. Check, and merge if so."),
    "transfer.proposed": (
        "Usulan pindah kasus anak", "A child's case is proposed to move to you",
        "Keluarga seorang anak dari Desa {village} pindah ke kabupaten Anda. Terima atau tolak usulan pindah kasusnya.",
        "The family of a child from {village} moved to your kabupaten. Accept or decline the case's transfer."),
    "transfer.declined": (
        "Usulan pindah kasus ditolak", "A case transfer was declined",
        "Usulan pindah kasus seorang anak dari Desa {village} ditolak: {decline}. Kasus tetap di kabupaten Anda.",
        "The proposed transfer of a child's case from {village} was declined: {decline}. The case stays with you."),
    "transfer.accepted": (
        "Kasus anak telah pindah", "A child's case moved",
        "Kasus seorang anak dari Desa {village} diterima kabupaten tujuan. Rujukan yang berjalan dihentikan.",
        "The case of a child from {village} was accepted by the other kabupaten. Live referrals were stopped."),
    "gap.recorded": (
        "Kesenjangan layanan: {service}", "Service gap: {service}",
        "Kebutuhan {service} di Desa {village} tidak terpenuhi: {reason}.",
        "The {service} need in {village} was not met: {reason}."),
    "mou.expiring": (
        "MOU {organization} berakhir dalam {days_left} hari", "{organization}'s MOU ends in {days_left} days",
        "MOU dengan {organization} berlaku sampai {valid_until}. Perpanjang agar rujukan tetap berjalan.",
        "The MOU with {organization} is valid until {valid_until}. Renew it so referrals go on."),
    "mou.expired": (
        "MOU {organization} berakhir", "{organization}'s MOU has ended",
        "MOU dengan {organization} berakhir pada {valid_until}; lembaga ini tidak menerima rujukan baru.",
        "The MOU with {organization} ended on {valid_until}; it gets no new referrals."),
    "child.withdrawn": (
        "Anak berhasil ditarik dari pekerjaan", "A child was withdrawn from work",
        "Seorang anak di Desa {village} tercatat telah ditarik dari pekerjaan.",
        "A child in {village} is recorded as withdrawn from work."),
    "referral.completed": (
        "Layanan selesai: {service}", "Service completed: {service}",
        "Layanan {service} untuk seorang anak di Desa {village} telah selesai. Kunjungan tindak lanjut menunggu.",
        "{service} for a child in {village} is completed. A follow-up visit is due."),
    "visits.due": (
        "Kunjungan minggu ini: Desa {village}", "This week's visits: {village}",
        "{due} anak di Desa {village} perlu dikunjungi sampai hari Minggu, dan {overdue} kunjungan sudah terlambat.",
        "{due} children in {village} are due a visit by Sunday, and {overdue} visits are overdue."),
    "webhook.disabled": (
        "Webhook {host} dinonaktifkan", "Webhook {host} disabled",
        "Pengiriman peristiwa ke {host} gagal selama berhari-hari dan dihentikan. Minta pengelola sistem "
        "penerima memperbaikinya, lalu aktifkan kembali.",
        "Deliveries of events to {host} failed for days and were stopped. Ask whoever runs the receiving "
        "system to fix it, then resume the webhook."),
}
URGENT_PREFIX = ("[Segera] ", "[Urgent] ")
# A daily digest: the notices held for the person's digest hour, in one message.
DIGEST = ("Ringkasan SPRPA: {count} pemberitahuan", "SPRPA digest: {count} notifications",
          "Ada {count} pemberitahuan baru untuk Anda di SPRPA.", "You have {count} new notifications in SPRPA.")
DIGEST_KIND = "digest"


@dataclass(frozen=True)
class Message:
    title: str
    body: str


def render(kind: str, params: dict[str, Any], language: str) -> Message:
    title_id, title_en, body_id, body_en = _templates(kind)
    fields = _fields(params, language)
    if language == "en":
        return Message(title_en.format(**fields), body_en.format(**fields))
    return Message(title_id.format(**fields), body_id.format(**fields))


def _templates(kind: str) -> tuple[str, str, str, str]:
    return DIGEST if kind == DIGEST_KIND else TEMPLATES[kind]


def template_name(kind: str) -> str:
    """The WhatsApp template of a kind of notice, e.g. sprpa_offer_new."""
    return "sprpa_" + kind.replace(".", "_")


def template_parameters(kind: str, params: dict[str, Any], language: str, link: str) -> tuple[str, ...]:
    """The WhatsApp template's parameters: the fields of the body in order, then the link."""
    body = _templates(kind)[3 if language == "en" else 2]
    fields = _fields(params, language)
    return (*(fields[name] for name in _field_names(body)), link)


def whatsapp_templates() -> list[dict[str, str]]:
    """Every template to have approved for the business number: its name, language and body, with
    WhatsApp's numbered placeholders ({{1}}...); the link is the last one."""
    made = []
    for kind in (*TEMPLATES, DIGEST_KIND):
        for language, body in (("id", _templates(kind)[2]), ("en", _templates(kind)[3])):
            names = _field_names(body)
            numbered = body.format(**{name: f"{{{{{names.index(name) + 1}}}}}" for name in names})
            made.append({"name": template_name(kind), "language": language,
                         "body": f"{numbered} {{{{{len(names) + 1}}}}}"})
    return made


def _field_names(text: str) -> list[str]:
    names: list[str] = []
    for _, name, _, _ in Formatter().parse(text):
        if name and name not in names:
            names.append(name)
    return names


def _fields(params: dict[str, Any], language: str) -> dict[str, str]:
    village = params.get("village_code") or params.get("regency_code") or ""
    return {
        "service": label("service", params.get("service"), language) or "",
        "services": ", ".join(label("service", need, language) or need for need in params.get("services", [])),
        "village": params.get("village_name") or village,
        "organization": params.get("organization_name") or ("lembaga" if language == "id" else "an organisation"),
        "deadline": deadline_text(params.get("deadline"), village, language),
        "reason": label("gap_reason", params.get("reason"), language) or "",
        "decline": label("transfer_decline_reason", params.get("decline"), language) or "",
        "days_left": str(params.get("days_left", "")),
        "due": str(params.get("due", 0)),
        "overdue": str(params.get("overdue", 0)),
        "valid_until": params.get("valid_until") or "",
        "host": params.get("host") or "",
        "count": str(params.get("count", "")),
    }


_MONTHS_ID = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
              "November", "Desember")


def deadline_text(deadline: str | None, place_code: str, language: str) -> str:
    """A deadline in the kabupaten's legal time, e.g. "1 Desember 2026 10.00 WIB"."""
    if not deadline:
        return "-"
    zone = zone_of(place_code) if place_code else None
    local = datetime.fromisoformat(deadline).astimezone(zone)
    name = local.tzname()
    if language == "en":
        return f"{local.day} {local.strftime('%B %Y')} {local:%H:%M} {name}"
    return f"{local.day} {_MONTHS_ID[local.month - 1]} {local.year} {local:%H.%M} {name}"


if __name__ == "__main__":  # python -m notify.messages: the WhatsApp templates to submit for approval
    import json

    print(json.dumps(whatsapp_templates(), ensure_ascii=False, indent=2))
