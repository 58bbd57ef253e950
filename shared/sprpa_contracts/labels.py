"""Every code a person can see, with its Bahasa Indonesia and English labels: one vocabulary for the
pages (web) and the exports (reports). A test walks the enumerations of the contracts and of each
service and fails on a code without a label here.
"""

from __future__ import annotations

from sprpa_contracts.catalogue import CATALOGUE

VOCABULARY: dict[str, dict[str, tuple[str, str]]] = {
    "need_status": {
        "matching": ("Mencari lembaga", "Finding a provider"), "accepted": ("Diterima lembaga", "Accepted"),
        "in_service": ("Sedang dilayani", "In service"), "completed": ("Selesai", "Completed"),
        "unmet": ("Belum terpenuhi", "Unmet"), "withdrawn": ("Ditarik", "Withdrawn"),
    },
    "need_withdraw_reason": {
        "no_longer_needed": ("Tidak diperlukan lagi", "No longer needed"),
        "child_declined": ("Anak menolak", "Child declined"),
        "family_declined": ("Keluarga menolak", "Family declined"),
        "served_elsewhere": ("Sudah dilayani di tempat lain", "Served elsewhere"),
        "wrong_need": ("Kebutuhan keliru", "Wrong need"), "other": ("Lainnya", "Other"),
    },
    "drop_reason": {
        "not_needed": ("Tidak dibutuhkan anak ini", "Not needed by this child"),
        "already_received": ("Sudah diterima", "Already received"),
        "family_declined": ("Keluarga menolak", "Family declined"),
        "not_suitable_for_age": ("Tidak sesuai umur", "Not suitable for the age"),
    },
    "gap_reason": {
        "no_candidates": ("Tidak ada lembaga", "No provider"),
        "exhausted": ("Semua lembaga menolak/tidak menjawab", "Every provider declined or did not answer"),
        "preference_unmet": ("Pilihan anak tidak tersedia", "The child's preference is not available"),
    },
    "closure_reason": {
        "moved_away": ("Pindah", "Moved away"), "died": ("Meninggal", "Died"),
        "aged_out": ("Berusia 18 tahun", "Turned 18"), "duplicate": ("Data ganda", "Duplicate"),
        "outcome_confirmed": ("Hasil terkonfirmasi", "Outcome confirmed"),
    },
    "duplicate_reason": {
        "same_nik": ("NIK sama", "Same NIK"), "same_name": ("Nama sama", "Same name"),
        "similar_name": ("Nama mirip", "Similar name"), "same_kecamatan": ("Kecamatan sama", "Same kecamatan"),
        "same_birth_date": ("Tanggal lahir sama", "Same birth date"),
    },
    "erasure_basis": {
        "data_subject_request": ("Permintaan anak atau wali", "Request of the child or guardian"),
        "court_order": ("Putusan pengadilan", "Court order"),
        "retention": ("Masa simpan berakhir", "Retention period ended"),
    },
    "engine_case_status": {
        "open": ("Terbuka", "Open"), "settled": ("Semua kebutuhan terjawab", "Every need answered"),
        "refused": ("Ditolak (tanpa persetujuan)", "Refused (no consent)"), "closed": ("Ditutup", "Closed"),
    },
    "place_level": {
        "province": ("Provinsi", "Province"), "regency": ("Kabupaten/Kota", "Regency/city"),
        "district": ("Kecamatan", "District (kecamatan)"), "village": ("Desa/Kelurahan", "Village"),
    },

    "role": {
        "national_admin": ("Admin nasional", "National admin"),
        "district_operator": ("Operator kabupaten", "District operator"),
        "village_cadre": ("Kader desa", "Village cadre"),
        "provider_staff": ("Petugas lembaga", "Provider staff"),
        "analyst": ("Analis", "Analyst"),
        "integration": ("Integrasi", "Integration"),
    },
    "sex": {"female": ("Perempuan", "Female"), "male": ("Laki-laki", "Male")},
    "school_status": {"in_school": ("Bersekolah", "In school"), "out_of_school": ("Putus sekolah", "Out of school"),
                      "never_enrolled": ("Tidak pernah sekolah", "Never enrolled"),
                      "equivalency": ("Kejar Paket A/B/C (kesetaraan)", "Equivalency programme (Paket A/B/C)")},
    "identified_through": {
        "outreach": ("Penjangkauan kader/survei", "Outreach (cadres, survey)"), "school": ("Sekolah", "School"),
        "raid": ("Razia bersama Dinsos/Satpol PP", "Raid with Dinsos/Satpol PP"),
        "partner_ngo": ("Lembaga mitra", "Partner NGO"), "self_family": ("Diri sendiri/keluarga", "Self or family"),
        "other": ("Lainnya", "Other"),
    },
    "living_arrangement": {
        "with_family": ("Bersama keluarga", "With family"), "extended_family": ("Bersama kerabat", "Extended family"),
        "alternative_care": ("Pengasuhan alternatif", "Alternative care"),
        "independent": ("Mandiri", "Independent"), "street": ("Di jalanan", "On the street"),
    },
    "mapping_category": {
        "child_labour": ("Pekerja anak", "Child labour"), "at_risk": ("Berisiko", "At risk"),
        "disability": ("Disabilitas", "Disability"), "special_needs": ("Kebutuhan khusus", "Special needs"),
        "single_parent": ("Orang tua tunggal", "Single parent"), "orphan": ("Yatim/piatu", "Orphan"),
        "potential": ("Potensial", "Potential"),
    },
    "sector": {
        "agriculture": ("Pertanian", "Agriculture"), "tobacco": ("Tembakau", "Tobacco"),
        "plantation": ("Perkebunan", "Plantation"), "fishing": ("Perikanan", "Fishing"),
        "livestock": ("Peternakan", "Livestock"), "domestic": ("Rumah tangga", "Domestic work"),
        "trade": ("Perdagangan", "Trade"), "manufacturing": ("Industri", "Manufacturing"),
        "construction": ("Konstruksi", "Construction"), "mining": ("Pertambangan", "Mining"),
        "transport": ("Transportasi", "Transport"), "street": ("Jalanan", "Street"),
        "services": ("Jasa", "Services"), "other": ("Lainnya", "Other"),
    },
    "hazard": {
        "green_tobacco": ("Daun tembakau basah", "Green tobacco"), "pesticides": ("Pestisida", "Pesticides"),
        "heavy_loads": ("Beban berat", "Heavy loads"), "sharp_tools": ("Alat tajam", "Sharp tools"),
        "dangerous_machinery": ("Mesin berbahaya", "Dangerous machinery"), "heights": ("Ketinggian", "Heights"),
        "underwater_or_offshore": ("Di bawah air/lepas pantai", "Underwater or offshore"),
        "mining": ("Tambang", "Mining"), "construction": ("Konstruksi", "Construction"),
        "chemicals": ("Bahan kimia", "Chemicals"),
        "live_in_domestic_long_hours": ("PRT menginap, jam panjang", "Live-in domestic, long hours"),
        "street_work": ("Bekerja di jalanan", "Street work"),
    },
    "worst_form": {
        "slavery": ("Perbudakan", "Slavery"), "trafficking": ("Perdagangan anak", "Trafficking"),
        "debt_bondage": ("Jeratan utang", "Debt bondage"), "forced_labour": ("Kerja paksa", "Forced labour"),
        "armed_conflict": ("Konflik bersenjata", "Armed conflict"),
        "commercial_sexual_exploitation": ("Eksploitasi seksual komersial", "Commercial sexual exploitation"),
        "drugs": ("Narkotika", "Drugs"), "illicit_activities": ("Kegiatan terlarang", "Illicit activities"),
    },
    "root_cause": {
        "poverty": ("Kemiskinan", "Poverty"), "out_of_school": ("Putus sekolah", "Out of school"),
        "never_enrolled": ("Tidak pernah sekolah", "Never enrolled"),
        "low_school_performance": ("Prestasi sekolah rendah", "Low school performance"),
        "no_birth_certificate": ("Tidak punya akta kelahiran", "No birth certificate"),
        "family_breakdown": ("Keluarga tidak utuh", "Family breakdown"), "neglect": ("Penelantaran", "Neglect"),
        "commercial_sexual_exploitation": ("Eksploitasi seksual komersial", "Commercial sexual exploitation"),
        "trafficking": ("Perdagangan anak", "Trafficking"), "forced_labour": ("Kerja paksa", "Forced labour"),
        "hazardous_work": ("Pekerjaan berbahaya", "Hazardous work"), "no_skills": ("Tidak punya keterampilan",
                                                                                  "No skills"),
        "at_risk_of_work": ("Berisiko bekerja", "At risk of work"),
    },
    "classification": {
        "worst_form": ("Bentuk pekerjaan terburuk untuk anak", "Worst form of child labour"),
        "child_labour": ("Pekerja anak", "Child labour"),
        "permitted_light_work": ("Pekerjaan ringan yang diizinkan", "Permitted light work"),
        "at_risk": ("Berisiko", "At risk"), "not_at_risk": ("Tidak berisiko", "Not at risk"),
    },
    "case_status": {
        "identified": ("Teridentifikasi", "Identified"), "assessed": ("Dinilai", "Assessed"),
        "flagged": ("Ditandai", "Flagged"), "referred": ("Dirujuk", "Referred"),
        "in_remediation": ("Dalam remediasi", "In remediation"), "withdrawn": ("Ditarik dari pekerjaan", "Withdrawn"),
        "prevented": ("Dicegah", "Prevented"), "closed": ("Ditutup", "Closed"),
    },
    "attendance": {"school": ("Sekolah", "School"), "training": ("Pelatihan", "Training"),
                   "none": ("Tidak ada", "None")},
    "visit_outcome": {
        "no_change": ("Tidak ada perubahan", "No change"), "withdrawn": ("Ditarik dari pekerjaan", "Withdrawn"),
        "prevented": ("Dicegah", "Prevented"), "relapse": ("Kembali bekerja", "Relapse"),
    },
    "consent_basis": {"guardian": ("Persetujuan wali", "Guardian's consent"),
                      "legal_basis": ("Dasar hukum (tanpa wali)", "Legal basis (no guardian)")},
    "relation": {
        "mother": ("Ibu", "Mother"), "father": ("Ayah", "Father"), "grandparent": ("Kakek/nenek", "Grandparent"),
        "sibling": ("Saudara kandung", "Sibling"), "relative": ("Kerabat", "Relative"),
        "legal_guardian": ("Wali sah", "Legal guardian"),
    },
    "kind": {
        "government_office": ("Kantor pemerintah", "Government office"), "uptd_p2tp2a": ("UPTD/P2TP2A", "UPTD/P2TP2A"),
        "ngo": ("LSM", "NGO"), "company": ("Perusahaan", "Company"), "school_pkbm": ("Sekolah/PKBM", "School/PKBM"),
        "health_facility": ("Fasilitas kesehatan", "Health facility"), "legal_aid": ("Bantuan hukum", "Legal aid"),
    },
    "course_type": {"cooking": ("Memasak", "Cooking"), "computer": ("Komputer", "Computer"),
                    "tailoring": ("Menjahit", "Tailoring"), "beauty": ("Tata rias", "Beauty"),
                    "other": ("Lainnya", "Other")},
    "referral_status": {
        "offered": ("Ditawarkan", "Offered"), "accepted": ("Diterima", "Accepted"), "declined": ("Ditolak", "Declined"),
        "in_service": ("Sedang dilayani", "In service"), "completed": ("Selesai", "Completed"),
        "expired": ("Kedaluwarsa", "Expired"), "withdrawn": ("Ditarik", "Withdrawn"),
        "cancelled": ("Dibatalkan", "Cancelled"),
    },
    "decline_reason": {
        "no_capacity": ("Kapasitas penuh", "No capacity"), "not_eligible": ("Tidak memenuhi syarat", "Not eligible"),
        "cannot_reach_family": ("Keluarga tidak dapat dihubungi", "Cannot reach the family"),
        "other": ("Lainnya", "Other"),
    },
    "referral_outcome": {
        "service_delivered": ("Layanan diberikan", "Service delivered"),
        "child_declined": ("Anak menolak", "Child declined"), "moved_away": ("Pindah", "Moved away"),
        "other": ("Lainnya", "Other"),
    },
    "cancel_reason": {
        "consent_withdrawn": ("Persetujuan dicabut", "Consent withdrawn"),
        "child_moved_away": ("Anak pindah", "Child moved away"),
        "need_no_longer_applies": ("Kebutuhan tidak berlaku lagi", "Need no longer applies"),
        "wrong_provider": ("Lembaga tidak tepat", "Wrong provider"),
        "child_data_erased": ("Data anak dihapus", "Child data erased"), "other": ("Lainnya", "Other"),
        "case_closed": ("Kasus ditutup", "Case closed"), "child_merged": ("Data ganda digabung", "Duplicate merged"),
        "need_withdrawn": ("Kebutuhan ditarik", "Need withdrawn"),
        "consent_expired": ("Persetujuan berakhir", "Consent ended"),
        "child_transferred": ("Anak pindah ke kabupaten lain", "Child moved to another kabupaten"),
    },
    "transfer_status": {
        "proposed": ("Menunggu jawaban", "Awaiting an answer"), "accepted": ("Diterima", "Accepted"),
        "declined": ("Ditolak", "Declined"), "cancelled": ("Dibatalkan", "Cancelled"),
    },
    "rights_request_kind": {"export": ("Pemberian data anak", "Handing over the child's data"),
                            "erasure": ("Penghapusan data pribadi", "Erasure of personal data")},
    "rights_request_status": {"pending": ("Menunggu konfirmasi", "Awaiting confirmation"),
                              "confirmed": ("Dikonfirmasi", "Confirmed"), "done": ("Dilaksanakan", "Carried out"),
                              "cancelled": ("Dibatalkan", "Withdrawn")},
    "contact_function": {"cadre": ("Kader desa", "Village cadre"),
                         "facilitator": ("Fasilitator desa pendamping anak", "Village child facilitator")},
    "route_to_family": {"cadre": ("Kader desa", "Village cadre"),
                        "facilitator": ("Fasilitator desa pendamping anak", "Village child facilitator"),
                        "guardian": ("Wali anak", "The child's guardian")},
    "transfer_direction": {"incoming": ("Masuk (menunggu jawaban kita)", "Incoming (ours to answer)"),
                           "outgoing": ("Keluar (kita usulkan)", "Outgoing (we proposed)")},
    "transfer_reason": {
        "family_moved": ("Keluarga pindah", "The family moved"),
        "child_moved": ("Anak pindah (tanpa keluarga)", "The child moved (without the family)"),
        "other": ("Lainnya", "Other"),
    },
    "transfer_decline_reason": {
        "not_in_our_area": ("Keluarga tidak tinggal di wilayah kami", "The family does not live in our area"),
        "family_not_found": ("Keluarga tidak ditemukan", "The family could not be found"),
        "already_registered": ("Anak sudah terdaftar di sini", "The child is already registered here"),
        "other": ("Lainnya", "Other"),
    },
    "mou_status": {
        "draft": ("Belum ditandatangani", "Not signed"), "pending": ("Belum berlaku", "Not yet valid"),
        "active": ("Berlaku", "Active"), "expired": ("Kedaluwarsa", "Expired"),
        "terminated": ("Diakhiri", "Terminated"),
    },
    "exclusion": {
        "no_mou": ("Tidak ada MOU", "No MOU"),
        "mou_other_kabupaten": ("MOU untuk kabupaten lain", "MOU for another kabupaten"),
        "mou_not_signed": ("MOU belum ditandatangani", "MOU not signed"),
        "mou_not_yet_valid": ("MOU belum berlaku", "MOU not yet valid"),
        "mou_expired": ("MOU kedaluwarsa", "MOU expired"), "mou_terminated": ("MOU diakhiri", "MOU terminated"),
        "mou_category_not_covered": ("Kategori tidak tercakup MOU", "Category not covered by the MOU"),
        "other_category": ("Kategori lain", "Another category"), "too_young": ("Anak terlalu muda", "Too young"),
        "too_old": ("Anak terlalu tua", "Too old"),
        "sex_not_served": ("Jenis kelamin tidak dilayani", "Sex not served"),
        "outside_service_area": ("Di luar wilayah layanan", "Outside the service area"),
        "no_capacity": ("Kapasitas penuh", "No capacity"),
    },
    "import_mode": {"all_or_nothing": ("Semua atau tidak sama sekali", "All or nothing"),
                    "valid_rows_only": ("Hanya baris yang valid", "Valid rows only")},
    "import_status": {"queued": ("Antre", "Queued"), "processing": ("Diproses", "Processing"),
                      "completed": ("Selesai", "Completed"), "failed": ("Gagal", "Failed")},
}

# The worst forms and hazards behind a classification (its reason codes), for grouping children by them.
VOCABULARY["classification_basis"] = {
    **{f"worst_form.{code}": labels for code, labels in VOCABULARY["worst_form"].items()},
    **{f"hazard.{code}": labels for code, labels in VOCABULARY["hazard"].items()},
}
# Why the classification came out as it did (the rules' reason codes; worst forms and hazards above).
VOCABULARY["classification_reason"] = {
    **VOCABULARY["classification_basis"],
    "age.under_13": ("Di bawah 13 tahun: setiap pekerjaan ekonomi adalah pekerja anak",
                     "Under 13: any economic work is child labour"),
    "light_work.hours_per_day": ("13-14 tahun: lebih dari 3 jam sehari", "13-14: more than 3 hours a day"),
    "light_work.hours_per_week": ("13-14 tahun: lebih dari 15 jam seminggu", "13-14: more than 15 hours a week"),
    "light_work.night": ("13-14 tahun: bekerja malam hari", "13-14: work at night"),
    "light_work.school_hours": ("13-14 tahun: bekerja pada jam sekolah", "13-14: work during school hours"),
    "light_work.no_consent": ("13-14 tahun: tanpa izin orang tua", "13-14: no parental consent"),
    "light_work.within_limits": ("13-14 tahun: pekerjaan ringan dalam batas UU 13/2003 pasal 69",
                                 "13-14: light work within the limits of UU 13/2003 art. 69"),
    "older.night": ("15-17 tahun: bekerja malam hari", "15-17: work at night"),
    "older.hours_per_week": ("15-17 tahun: lebih dari 40 jam seminggu", "15-17: more than 40 hours a week"),
    "older.within_limits": ("15-17 tahun: pekerjaan tidak berbahaya, siang hari, paling lama 40 jam seminggu",
                            "15-17: non-hazardous daytime work within 40 hours a week"),
    "risk.mapped": ("Terpetakan berisiko bekerja", "Mapped as at risk of work"),
    "risk.out_of_school": ("Tidak bekerja, tetapi tidak bersekolah", "Not working, but out of school"),
    "risk.none": ("Tidak bekerja, bersekolah", "Not working, in school"),
}
VOCABULARY["flag_rejection"] = {
    "no_legal_basis": ("Tidak ada dasar hukum", "No legal basis"),
    "guardian_consent_obtainable": ("Persetujuan wali bisa didapat", "Guardian consent can be obtained"),
    "not_child_labour": ("Bukan pekerja anak", "Not child labour"), "duplicate": ("Data ganda", "Duplicate"),
    "other": ("Lainnya", "Other"),
}
# What the referral engine writes in a case's timeline, and the reasons beside it.
VOCABULARY["timeline"] = {
    **VOCABULARY["referral_status"],
    "flag_received": ("Penandaan diterima mesin rujukan", "Flag received by the referral engine"),
    "refused": ("Tidak dirujuk", "Not referred"), "gap": ("Kesenjangan layanan", "Service gap"),
    "child_merged": ("Data ganda digabung", "Duplicate merged"),
    "need_added": ("Kebutuhan ditambahkan", "Need added"), "need_withdrawn": ("Kebutuhan ditarik", "Need withdrawn"),
    "child_transferred": ("Kasus pindah ke kabupaten lain", "Case moved to another kabupaten"),
}
VOCABULARY["timeline_reason"] = {
    **VOCABULARY["decline_reason"], **VOCABULARY["referral_outcome"], **VOCABULARY["cancel_reason"],
    **VOCABULARY["gap_reason"], **VOCABULARY["need_withdraw_reason"],
    "sla": ("Batas waktu terlewati", "Deadline passed"),
    "mou_lapsed": ("MOU lembaga tidak berlaku lagi", "The organisation's MOU no longer in force"),
    "no_consent": ("Tanpa persetujuan", "No consent"),
    "consent_scope": ("Persetujuan tidak mencakup berbagi data", "Consent does not cover sharing"),
}
VOCABULARY["delivery_status"] = {
    "queued": ("Menunggu dikirim", "Queued"), "sent": ("Terkirim", "Sent"),
    "delivered": ("Diterima", "Delivered"), "failed": ("Gagal", "Failed"),
    "skipped": ("Dilewati (saluran dimatikan)", "Skipped (channel turned off)"),
}
VOCABULARY["account_change"] = {
    "created": ("Dibuat", "Created"), "approved": ("Disetujui", "Approved"),
    "deactivated": ("Dinonaktifkan", "Deactivated"), "reactivated": ("Diaktifkan kembali", "Reactivated"),
    "password_reset": ("Kata sandi diatur ulang", "Password reset"),
    "moved": ("Pindah desa", "Moved to another desa"),
}
VOCABULARY["account_status"] = {"active": ("Aktif", "Active"), "awaiting_approval": ("Menunggu persetujuan",
                                 "Awaiting approval"), "deactivated": ("Nonaktif", "Deactivated")}
VOCABULARY["client_status"] = {"active": ("Aktif", "Active"), "revoked": ("Dicabut", "Revoked")}
VOCABULARY["api_scope"] = {
    "registry:read": ("Baca data anak dan kunjungan", "Read children and visits"),
    "registry:write": ("Catat data anak dan kunjungan", "Record children and visits"),
    "providers:read": ("Baca direktori lembaga", "Read the provider directory"),
    "providers:write": ("Ubah direktori lembaga", "Change the provider directory"),
    "referral:read": ("Baca rujukan", "Read referrals"), "referral:write": ("Kelola rujukan", "Manage referrals"),
    "reports:read": ("Baca laporan", "Read reports"), "reports:write": ("Isi masukan laporan", "Enter report inputs"),
    "notify:webhooks": ("Kelola webhook", "Manage webhooks"),
}
VOCABULARY["notification_channel"] = {"email": ("Surel", "Email"), "whatsapp": ("WhatsApp", "WhatsApp"),
                                      "sms": ("SMS", "SMS")}
VOCABULARY["notification_digest"] = {"immediate": ("Langsung", "At once"),
                                     "daily": ("Ringkasan harian", "Daily digest")}
VOCABULARY["webhook_status"] = {
    "active": ("Aktif", "Active"), "paused": ("Dijeda", "Paused"), "disabled": ("Dinonaktifkan", "Disabled"),
}
VOCABULARY["webhook_delivery_status"] = {
    "pending": ("Menunggu", "Pending"), "delivered": ("Terkirim", "Delivered"), "failed": ("Gagal", "Failed"),
}
VOCABULARY["notification_kind"] = {
    "offer.new": ("Rujukan baru", "New offer"), "offer.reminder.half": ("Pengingat rujukan", "Offer reminder"),
    "offer.reminder.late": ("Rujukan hampir berakhir", "Offer about to expire"),
    "offer.expired": ("Rujukan berakhir", "Offer expired"), "offer.withdrawn": ("Rujukan ditarik", "Offer withdrawn"),
    "case.erased": ("Data anak dihapus", "Child's record erased"),
    "case.merged": ("Data anak digabung", "Child's records merged"),
    "escalation.backbone": ("Eskalasi ke lembaga penyangga", "Escalated to the backbone"),
    "flag.awaiting_approval": ("Persetujuan kedua diperlukan", "Second approval needed"),
    "gap.recorded": ("Kesenjangan layanan", "Service gap"), "mou.expiring": ("MOU akan berakhir", "MOU ending"),
    "mou.expired": ("MOU berakhir", "MOU ended"), "webhook.disabled": ("Webhook dinonaktifkan", "Webhook disabled"),
    "child.withdrawn": ("Anak ditarik dari pekerjaan", "Child withdrawn from work"),
    "referral.completed": ("Layanan selesai", "Service completed"),
    "visits.due": ("Kunjungan minggu ini", "This week's visits"),
    "merge.requested": ("Permintaan penggabungan", "Merge asked"),
    "transfer.proposed": ("Usulan pindah kasus", "Case transfer proposed"),
    "transfer.declined": ("Usulan pindah ditolak", "Case transfer declined"),
    "transfer.accepted": ("Kasus pindah diterima", "Case transfer accepted"),
}
VOCABULARY["activity_kind"] = {
    "socialisation": ("Sosialisasi", "Socialisation"), "workshop": ("Lokakarya", "Workshop"),
    "training": ("Pelatihan", "Training"), "coordination_meeting": ("Rapat koordinasi", "Coordination meeting"),
    "forum_anak_session": ("Pertemuan Forum Anak", "Forum Anak session"),
    "after_school_group": ("Kegiatan kelompok sepulang sekolah", "Group after-school activity"),
    "kie_campaign": ("Kampanye KIE/media", "KIE/media campaign"),
    "musrenbang_advocacy": ("Advokasi musrenbang", "Musrenbang advocacy"), "other": ("Lainnya", "Other"),
}
VOCABULARY["age_band"] = {"under_13": ("Di bawah 13 tahun", "Under 13"), "13_14": ("13-14 tahun", "13-14"),
                          "15_17": ("15-17 tahun", "15-17"), "adult": ("Dewasa (18+)", "Adult (18+)")}
VOCABULARY["institution_type"] = {
    "gtdla": ("Gugus Tugas Desa Layak Anak", "Child-friendly village task force (GTDLA)"),
    "patbm": ("PATBM", "Community-based integrated child protection (PATBM)"),
    "fad": ("Forum Anak Desa", "Village children's forum (FAD)"),
    "drppa": ("Desa Ramah Perempuan dan Peduli Anak", "Women- and child-friendly village (DRPPA)"),
    "pkm": ("Pusat Kegiatan Masyarakat", "Community activity centre (PKM)"),
    "sprpa_team": ("Tim SPRPA desa", "Village SPRPA team"), "other": ("Lainnya", "Other"),
}
VOCABULARY["institution_status"] = {
    "planned": ("Direncanakan", "Planned"), "formed": ("Terbentuk", "Formed"),
    "decreed": ("Ber-SK Kepala Desa", "Decreed by the village head"), "active": ("Aktif", "Active"),
    "inactive": ("Tidak aktif", "Inactive"),
}
VOCABULARY["funding_source"] = {
    "apbn": ("APBN", "State budget (APBN)"), "apbd": ("APBD", "Regional budget (APBD)"),
    "dana_desa": ("Dana Desa", "Village fund"), "csr": ("CSR perusahaan", "Company CSR"),
    "donor": ("Donor", "Donor"), "ngo": ("Dana LSM", "NGO funds"), "community": ("Swadaya masyarakat", "Community"),
    "other": ("Lainnya", "Other"),
}
VOCABULARY["milestone"] = {
    "roadmap_workshop": ("Lokakarya peta jalan", "Roadmap workshop held"),
    "rpjmdes_integrated": ("Masuk RPJMDes/musrenbang", "Integrated into RPJMDes/musrenbang"),
    "institutions_decreed": ("Lembaga desa ber-SK", "Village institutions decreed"),
    "no_unremediated_child_labour": ("Tidak ada pekerja anak tanpa remediasi", "No child labourer left without "
                                     "remediation"),
}
VOCABULARY["roadmap_status"] = {
    "not_started": ("Belum mulai", "Not started"), "in_progress": ("Sedang berjalan", "In progress"),
    "child_labour_free": ("Desa bebas pekerja anak", "Child-labour-free village"),
}
VOCABULARY["prevention_basis"] = {
    "service": ("Menerima layanan", "Received a service"),
    "activities": ("Mengikuti kegiatan pencegahan", "Took part in prevention activities"),
}
VOCABULARY["report_indicator"] = {
    "mapped": ("Anak terpetakan", "Children mapped"),
    "withdrawn": ("Anak ditarik dari pekerjaan", "Children withdrawn from work"),
    "prevented": ("Anak dicegah", "Children prevented"),
    "mou_providers": ("Penyedia layanan ber-MOU", "Providers under MOU"),
    "institutions_formed": ("Lembaga desa terbentuk", "Village institutions formed"),
    "institutions_decreed": ("Lembaga desa ber-SK", "Village institutions decreed"),
}
# The service catalogue's own labels, under the same shape (catalogue.py keeps English first).
VOCABULARY["service"] = {code: (indonesian, english) for code, (english, indonesian) in CATALOGUE.items()}
# What a remediation cost was spent on: a delivered service, or an activity of a kind.
VOCABULARY["cost_category"] = {**VOCABULARY["service"], **{
    f"activity.{kind}": (f"Kegiatan: {indonesian.lower()}", f"Activity: {english.lower()}")
    for kind, (indonesian, english) in VOCABULARY["activity_kind"].items()}}


def label(kind: str, code: str | None, lang: str) -> str | None:
    """The label of `code` in `lang` ("id" or "en"); the code itself when it has none."""
    if code is None:
        return None
    labels = VOCABULARY.get(kind, {}).get(code)
    if labels is None:
        return code
    return labels[0] if lang == "id" else labels[1]
