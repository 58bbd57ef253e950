"""The pages' words, in Bahasa Indonesia (the default) and English.

`TEXT` holds the interface's sentences; `LABELS` the names of the codes the services use (their
enums), from the vocabulary the reports' exports share (`sprpa_contracts.labels`). A test checks
that every key a template uses exists here and that the codes listed match the services' OpenAPI
documents, so a new code in a service shows up as a failing test, not a raw code.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from sprpa_contracts.labels import VOCABULARY
from sprpa_contracts.labels import label as vocabulary_label
from sprpa_shared.zones import zone_of

LANGUAGES = ("id", "en")

TEXT: dict[str, tuple[str, str]] = {
    "app_name": ("SPRPA: Sistem Pemantauan dan Remediasi Pekerja Anak",
                 "SPRPA: Child Labour Monitoring and Remediation"),
    "app_short": ("SPRPA", "SPRPA"),
    "skip": ("Lewati ke isi", "Skip to content"),
    "switch_language": ("English", "Bahasa Indonesia"),
    "sign_in": ("Masuk", "Sign in"),
    "sign_out": ("Keluar", "Sign out"),
    "online": ("Daring", "Online"),
    "offline_mode": ("Tanpa sinyal: halaman yang pernah dibuka tetap bisa dibaca", "No signal: pages you opened "
                     "before can still be read"),
    "offline_title": ("Tanpa sinyal", "No signal"),
    "offline_body": ("Halaman ini belum pernah dibuka di ponsel ini, jadi belum tersimpan. Buka daftar anak desa "
                     "Anda; halaman yang sudah dibuka tersimpan.", "This page was not opened on this phone before, "
                     "so it is not kept. Open your desa's list of children; pages you opened are kept."),
    "username": ("Nama pengguna", "Username"),
    "password": ("Kata sandi", "Password"),
    "sign_in_failed": ("Nama pengguna atau kata sandi salah, atau akun sedang dikunci.",
                       "Wrong username or password, or the account is locked."),
    "sign_in_throttled": ("Terlalu banyak percobaan gagal dari alamat ini. Coba lagi nanti.",
                          "Too many failed attempts from this address. Try again later."),
    "signed_in_as": ("Masuk sebagai", "Signed in as"),
    "nav_children": ("Anak", "Children"),
    "nav_cases": ("Kasus", "Cases"),
    "nav_register": ("Daftarkan anak", "Register a child"),
    "nav_directory": ("Lembaga layanan", "Service providers"),
    "nav_imports": ("Unggah survei", "Survey upload"),
    "nav_dashboard": ("Dasbor", "Dashboard"),
    "nav_kla": ("Skor KLA", "KLA scorecard"),
    "nav_reports": ("Laporan", "Reports"),
    "nav_inbox": ("Rujukan masuk", "Referral inbox"),
    "nav_gaps": ("Kesenjangan layanan", "Service gaps"),
    "save": ("Simpan", "Save"),
    "edit": ("Ubah", "Edit"),
    "filter": ("Saring", "Filter"),
    "all": ("Semua", "All"),
    "none": ("Tidak ada", "None"),
    "yes": ("Ya", "Yes"),
    "no": ("Tidak", "No"),
    "next_page": ("Halaman berikutnya", "Next page"),
    "back": ("Kembali", "Back"),
    "choose": ("Pilih...", "Choose..."),
    "optional": ("(boleh kosong)", "(optional)"),
    "code": ("Kode", "Code"),
    "name": ("Nama", "Name"),
    "status": ("Status", "Status"),
    "date": ("Tanggal", "Date"),
    "error_title": ("Ada yang perlu diperbaiki", "Something needs fixing"),
    "not_found": ("Data tidak ditemukan, atau Anda tidak berhak melihatnya.",
                  "Not found, or you may not see it."),
    "not_allowed": ("Halaman ini bukan untuk peran Anda.", "This page is not for your role."),
    "bad_form": ("Formulir kedaluwarsa. Muat ulang halaman lalu coba lagi.",
                 "The form has expired. Reload the page and try again."),
    "unavailable": ("Layanan sedang tidak tersedia. Data Anda belum disimpan; coba lagi sebentar lagi.",
                    "A service is unavailable. Nothing was saved; try again shortly."),
    "conflict": ("Data ini baru saja diubah orang lain, atau tindakan ini sudah dilakukan.",
                 "Someone else just changed this, or this was already done."),
    "invalid": ("Isian belum benar. Lihat pesan di samping kolom.", "Some entries are not valid. See the messages "
                                                                    "beside the fields."),
    "service_said": ("Pesan layanan", "The service said"),
    "field_required": ("Wajib diisi.", "Required."),
    # places
    "province": ("Provinsi", "Province"),
    "regency": ("Kabupaten/Kota", "Regency/City"),
    "district": ("Kecamatan", "District (kecamatan)"),
    "village": ("Desa/Kelurahan", "Village (desa)"),
    "place": ("Wilayah", "Place"),
    "national": ("Nasional", "National"),
    "village_code_hint": ("Kode desa, misalnya 35.09.11.2007", "Village code, e.g. 35.09.11.2007"),
    # children
    "children_title": ("Anak yang dipantau", "Children followed"),
    "children_of_village": ("Anak di desa", "Children of the village"),
    "overdue_title": ("Kunjungan terlambat", "Overdue visits"),
    "overdue": ("Terlambat", "Overdue"),
    "overdue_only": ("Hanya kunjungan terlambat", "Only overdue visits"),
    "days_overdue": ("hari terlambat", "days overdue"),
    "no_children": ("Belum ada anak yang cocok.", "No matching children yet."),
    "full_name": ("Nama lengkap", "Full name"),
    "sex": ("Jenis kelamin", "Sex"),
    "birth_date": ("Tanggal lahir", "Date of birth"),
    "age": ("Umur", "Age"),
    "years": ("tahun", "years"),
    "nik": ("NIK", "NIK (national ID number)"),
    "nik_hint": ("16 angka; kosongkan bila belum ada", "16 digits; leave empty if there is none"),
    "household": ("Rumah tangga", "Household"),
    "head_name": ("Nama kepala keluarga", "Head of household"),
    "address": ("Alamat", "Address"),
    "school_status": ("Status sekolah", "School status"),
    "living_arrangement": ("Tinggal bersama", "Living arrangement"),
    "mapping_categories": ("Kategori pemetaan", "Mapping categories"),
    "work": ("Pekerjaan", "Work"),
    "works": ("Anak bekerja", "The child works"),
    "sector": ("Sektor", "Sector"),
    "hours_per_day": ("Jam kerja per hari", "Hours per day"),
    "hours_per_week": ("Jam kerja per minggu", "Hours per week"),
    "night_work": ("Bekerja malam hari (18.00-06.00)", "Works at night (18:00-06:00)"),
    "during_school_hours": ("Bekerja pada jam sekolah", "Works during school hours"),
    "hazards": ("Bahaya", "Hazards"),
    "worst_forms": ("Bentuk terburuk", "Worst forms"),
    "register_title": ("Daftarkan anak", "Register a child"),
    "register_done": ("Anak terdaftar.", "Child registered."),
    "possible_duplicates": ("Mungkin sudah terdaftar", "Possibly already registered"),
    "classification": ("Klasifikasi", "Classification"),
    "reasons": ("Alasan", "Reasons"),
    "rules_version": ("Versi aturan", "Rules version"),
    "case_status": ("Status kasus", "Case status"),
    "next_visit": ("Kunjungan berikutnya", "Next visit"),
    "history": ("Riwayat", "History"),
    "visits": ("Kunjungan", "Visits"),
    "assessment": ("Asesmen", "Assessment"),
    "assess_title": ("Catat hasil asesmen", "Record the assessment"),
    "hours": ("jam", "h"),
    "record_visit": ("Catat kunjungan", "Record a visit"),
    "visited_on": ("Tanggal kunjungan", "Visit date"),
    "working_now": ("Anak masih bekerja", "The child is working"),
    "attendance": ("Kehadiran", "Attendance"),
    "attending_since": ("Bersekolah/berlatih sejak", "Attending since"),
    "notes": ("Catatan", "Notes"),
    "outcome": ("Hasil", "Outcome"),
    "visit_saved": ("Kunjungan tercatat.", "Visit recorded."),
    # flagging and the case
    "flag": ("Tandai untuk remediasi", "Flag for remediation"),
    "flag_title": ("Tandai kasus untuk remediasi", "Flag the case for remediation"),
    "root_causes": ("Akar masalah", "Root causes"),
    "extra_needs": ("Kebutuhan tambahan", "Extra needs"),
    "consent": ("Persetujuan", "Consent"),
    "consent_basis": ("Dasar persetujuan", "Basis of consent"),
    "given_by": ("Diberikan oleh", "Given by"),
    "relation": ("Hubungan dengan anak", "Relation to the child"),
    "legal_reason": ("Alasan hukum", "Legal reason"),
    "given_on": ("Tanggal persetujuan", "Date of consent"),
    "document_ref": ("Nomor dokumen", "Document reference"),
    "flag_done": ("Kasus ditandai; rujukan sedang dikirim ke lembaga.", "Case flagged; referrals are going out."),
    "close_case": ("Tutup kasus", "Close the case"),
    "preview_needs": ("Lihat layanan yang akan diminta", "See the services this will request"),
    "needs_requested": ("Layanan yang akan diminta", "Services this flag will request"),
    "drop_need": ("Tidak diminta", "Do not request"),
    "given_by_hint": ("Wajib untuk persetujuan wali", "Required for a guardian's consent"),
    "valid_until_hint": ("Kosongkan bila berlaku sampai dicabut", "Leave empty if it holds until withdrawn"),
    "hours_per_day_week": ("{day} jam per hari / {week} jam per minggu", "{day} hours a day / {week} hours a week"),
    "h_registered": ("Didaftarkan", "Registered"),
    "h_assessed": ("Dinilai", "Assessed"),
    "h_flagged": ("Ditandai untuk remediasi, kebutuhan", "Flagged for remediation, needs"),
    "h_dropped": ("tidak diminta", "not asked for"),
    "h_second_person": ("Disetujui orang kedua", "Approved by a second person"),
    "h_closed": ("Kasus ditutup", "Case closed"),
    "h_flag_rejected": ("Penandaan ditolak", "Flag rejected"),
    "h_consent_withdrawn": ("Persetujuan dicabut", "Consent withdrawn"),
    "h_consent_expired": ("Persetujuan berakhir", "Consent ended"),
    "h_merged": ("Digabung ke data", "Merged into record"),
    "h_referral_accepted": ("Rujukan diterima", "Referral accepted"),
    "h_service_started": ("Layanan dimulai", "Service started"),
    "h_visit_withdrawn": ("Kunjungan tindak lanjut: tidak bekerja, bersekolah/berlatih 3 bulan atau lebih",
                          "Follow-up visit: no child labour, attending for 3 months or more"),
    "h_visit_prevented": ("Kunjungan tindak lanjut: layanan diberikan, tidak bekerja, bersekolah atau berlatih",
                          "Follow-up visit: service delivered, not working, in school or training"),
    "h_visit_relapse": ("Kunjungan tindak lanjut: kembali bekerja, kasus dibuka lagi",
                        "Follow-up visit: working again, case reopened"),
    "h_closed_by_follow_up": ("Tindak lanjut 12 bulan mengonfirmasi hasil: kasus ditutup",
                              "The 12-month follow-up confirmed the outcome: case closed"),
    "actor_referral_engine": ("Mesin rujukan", "The referral engine"),
    "actor_system": ("Sistem", "The system"),
    "identified_through": ("Cara teridentifikasi", "How the child was identified"),
    "case_closed": ("Kasus ditutup; rujukan yang masih berjalan dibatalkan.",
                    "Case closed; referrals still live are cancelled."),
    "add_need": ("Tambah kebutuhan", "Add a need"),
    "need_added": ("Kebutuhan ditambahkan; rujukan sedang dikirim ke lembaga.",
                   "Need added; referrals are going out."),
    "withdraw_need": ("Tarik kebutuhan", "Withdraw the need"),
    "need_withdrawn": ("Kebutuhan ditarik; rujukannya dibatalkan.", "Need withdrawn; its referrals are cancelled."),
    "service_category": ("Layanan", "Service"),
    "preferences": ("Pilihan anak", "The child's choice"),
    "language_code": ("Bahasa layanan (kode)", "Language of the service (code)"),
    "language_code_hint": ("Mis. id, jv, mad", "E.g. id, jv, mad"),
    "nav_pilot": ("Desa percontohan", "Pilot villages"),
    "nav_rules": ("Aturan rujukan", "Referral rules"),
    "nav_accounts": ("Pengguna", "People"),
    "conflict_title": ("Data ini diubah orang lain", "Someone else changed this record"),
    "conflict_explain": ("Sejak Anda membuka formulir, data anak ini diubah. Isian yang tidak bertabrakan sudah "
                         "digabung; untuk setiap isian di bawah, pilih nilai yang benar.", "Since you opened the "
                         "form, the record changed. What does not clash is merged; for each field below, choose "
                         "the right value."),
    "conflict_mine": ("Isian Anda", "Yours"), "conflict_theirs": ("Sekarang tersimpan", "Saved now"),
    "queue_edit": ("Perbaikan data anak", "A correction of a child's record"),
    "check_required": ("Wajib diisi.", "Required."),
    "check_future": ("Tanggal ini belum terjadi.", "This date is in the future."),
    "check_adult": ("Umurnya 18 tahun atau lebih: bukan anak.", "18 or older: not a child."),
    "check_hours_day": ("Jam per hari antara 0 dan 24.", "Hours a day are between 0 and 24."),
    "check_hours_week": ("Jam per minggu antara 0 dan 168.", "Hours a week are between 0 and 168."),
    "check_hours_both": ("Jam per minggu tidak bisa lebih dari 7 kali jam per hari.",
                         "Hours a week cannot exceed 7 times the hours a day."),
    "check_nik_format": ("NIK harus 16 angka.", "A NIK is exactly 16 digits."),
    "check_nik_birth_date": ("Angka 7-12 NIK tidak cocok dengan tanggal lahir.",
                             "Digits 7-12 of the NIK do not match the birth date."),
    "check_nik_sex": ("Untuk anak perempuan, tanggal di NIK ditambah 40 (dan sebaliknya).",
                      "For a girl the day in the NIK has 40 added (and not for a boy)."),
    "check_nik_serial": ("Angka 13-16 NIK tidak boleh 0000.", "Digits 13-16 of the NIK cannot be 0000."),
    "nav_transfers": ("Pindah kasus", "Transfers"),
    "renew_mou": ("Perpanjang MOU", "Renew the MOU"),
    "renew_mou_hint": ("MOU baru berlaku mulai sehari setelah MOU ini berakhir, untuk kabupaten dan layanan yang sama.",
                       "The new MOU runs from the day after this one ends, for the same kabupaten and services."),
    "renews_mou": ("Perpanjangan MOU sebelumnya", "Renews an earlier MOU"),
    "backbone_org": ("Lembaga penyangga (backbone)", "Backbone organisation"),
    "save_backbone": ("Tetapkan lembaga penyangga", "Name the backbone"),
    "backbone_hint": ("Kebutuhan yang tidak diterima lembaga MOU mana pun dialihkan ke lembaga ini. Kosongkan bila "
                      "tidak ada: kebutuhan itu lalu menunggu keputusan kabupaten.",
                      "A need no MOU provider takes goes to this organisation. Leave empty for none: such a need "
                      "then waits for the district."),
    "routes_to_family": ("Menghubungi keluarga", "Reaching the family"),
    "no_route_to_family": ("Kabupaten belum menunjuk kader atau fasilitator desa untuk dihubungi.",
                           "The district has not named a cadre or facilitator of the desa to call yet."),
    "guardian_phone": ("Nomor telepon wali", "Guardian's phone"),
    "share_contact_with_provider": ("Wali setuju nama dan teleponnya dilihat lembaga yang menerima rujukan",
                                    "The guardian agrees that a provider who accepts sees their name and phone"),
    "nav_contacts": ("Kontak desa", "Desa contacts"),
    "contacts_title": ("Kontak desa untuk lembaga layanan", "Who providers call in each desa"),
    "contacts_explained": ("Lembaga yang menerima rujukan melihat kader atau fasilitator desa ini untuk menghubungi "
                           "keluarga anak.", "A provider who accepts a referral sees this cadre or facilitator of "
                           "the desa, to reach the child's family."),
    "contact_function": ("Peran", "Role"),
    "contact_name": ("Nama", "Name"),
    "contact_phone": ("Nomor telepon", "Phone"),
    "contact_saved": ("Kontak desa disimpan.", "Desa contact saved."),
    "village_code": ("Desa/kelurahan (kode)", "Desa/kelurahan (code)"),
    "transfers_title": ("Pindah kasus antar kabupaten", "Cases moving between kabupaten"),
    "transfers_explained": ("Bila keluarga pindah ke kabupaten lain, kasus anak ikut pindah: kabupaten asal "
                            "mengusulkan, kabupaten tujuan menerima atau menolak. Setelah diterima, data, riwayat, "
                            "kunjungan dan kebutuhan anak pindah, dan kebutuhan yang belum terlayani ditawarkan "
                            "kepada lembaga MOU kabupaten tujuan.",
                            "When a family moves to another kabupaten, the child's case follows: the kabupaten it "
                            "leaves proposes, the one it moves to accepts or declines. Once accepted, the child's "
                            "record, history, visits and needs move, and the needs not yet served are offered to "
                            "the new kabupaten's MOU providers."),
    "transfers_incoming": ("Menunggu jawaban kabupaten ini", "Waiting for this kabupaten's answer"),
    "transfers_outgoing": ("Diusulkan kabupaten ini", "Proposed by this kabupaten"),
    "transfers_answered": ("Sudah dijawab", "Answered"),
    "propose_transfer": ("Usulkan pindah ke kabupaten lain", "Propose a move to another kabupaten"),
    "transfer_hint": ("Untuk pindah desa di kabupaten yang sama, ubah desa pada data anak.",
                      "For another desa of this kabupaten, change the desa on the child's record."),
    "to_kabupaten": ("Kabupaten/kota tujuan", "Kabupaten/kota moved to"),
    "new_desa": ("Desa/kelurahan anak di kabupaten ini", "The child's desa in this kabupaten"),
    "new_desa_if_known": ("Desa/kelurahan baru, bila diketahui", "The new desa, if known"),
    "proposed_desa": ("Desa yang diusulkan", "Desa proposed"),
    "from_place": ("Dari", "From"),
    "proposed_on": ("Diusulkan", "Proposed"),
    "accept_transfer": ("Terima kasus ini", "Accept this case"),
    "decline_transfer": ("Tolak", "Decline"),
    "cancel_transfer": ("Batalkan usulan", "Withdraw the proposal"),
    "open_child": ("Buka data anak", "Open the child's record"),
    "transfer_proposed": ("Usulan pindah terkirim; operator kabupaten tujuan diberi tahu.",
                          "Transfer proposed; the other kabupaten's operators were told."),
    "transfer_accepted": ("Kasus diterima: anak kini tercatat di kabupaten ini dan kebutuhannya ditawarkan kepada "
                          "lembaga MOU di sini.", "Case accepted: the child is now recorded in this kabupaten and "
                          "the open needs are offered to its MOU providers."),
    "transfer_declined": ("Usulan ditolak; kasus tetap di kabupaten asal.",
                          "Declined; the case stays where it was."),
    "transfer_cancelled": ("Usulan dibatalkan.", "Proposal withdrawn."),
    "ask_merge": ("Minta operator menggabungkan", "Ask the operator to merge"),
    "merge_asked": ("Operator kabupaten diberi tahu; mereka yang menggabungkan.",
                    "The district's operators were told; they merge."),
    "totp_code": ("Kode autentikator", "Authenticator code"),
    "totp_if_on": ("(jika faktor kedua aktif)", "(when you have a second factor)"),
    "security": ("Keamanan akun", "Account security"),
    "totp_on": ("Faktor kedua aktif: masuk perlu kode dari aplikasi autentikator.",
                "Second factor on: signing in needs the code of your authenticator app."),
    "totp_off": ("Faktor kedua belum aktif.", "No second factor yet."),
    "totp_required_notice": ("Kabupaten Anda mewajibkan faktor kedua: aktifkan dulu untuk melanjutkan.",
                             "Your kabupaten requires a second factor: set it up to go on."),
    "totp_start": ("Aktifkan faktor kedua", "Set up a second factor"),
    "totp_scan": ("Masukkan kunci ini di aplikasi autentikator (Google Authenticator, Aegis, dll.), lalu ketik "
                  "kode yang muncul.", "Enter this key in an authenticator app (Google Authenticator, Aegis...), "
                  "then type the code it shows."),
    "totp_key": ("Kunci", "Key"),
    "totp_confirm": ("Konfirmasi", "Confirm"),
    "totp_require": ("Wajibkan faktor kedua bagi operator kabupaten ini", "Require a second factor of this "
                     "kabupaten's operators"),
    "second_factor": ("Kode autentikator salah atau sudah dipakai.", "The authenticator code is wrong or used."),
    "find_place_by_name": ("Cari nama wilayah", "Find the place by name"),
    "type_a_name": ("ketik nama, mis. Kesilir", "type a name, e.g. Kesilir"),
    "queue_waiting": ("perubahan menunggu sinyal", "changes waiting for a signal"),
    "queue_title": ("Menunggu dikirim", "Waiting to be sent"),
    "queue_child": ("Pendaftaran anak", "A child registered"), "queue_visit": ("Kunjungan", "A visit"),
    "queue_assessment": ("Penilaian", "An assessment"),
    "queue_saved": ("Tersimpan di HP ini; dikirim otomatis saat ada sinyal.",
                    "Kept on this phone; sent by itself when there is a signal."),
    "queue_refused": ("Ditolak server:", "Refused by the server:"),
    "queue_discard": ("Buang", "Discard"), "queue_fix": ("Perbaiki", "Fix"),
    "queue_send": ("Kirim sekarang", "Send now"),
    "queue_visit_child": ("Catat kunjungan", "Record a visit"),
    "queue_orphan": ("Anaknya tidak jadi dikirim: buang kunjungan ini.", "Its child was not sent: discard this visit."),
    "queue_duplicate": ("Anak yang baru terkirim mungkin sudah terdaftar: periksa dan minta operator "
                        "menggabungkan", "A child just sent may be registered already: check, and ask the "
                        "operator to merge"),
    "queue_sign_in": ("Masuk lagi untuk mengirim.", "Sign in again to send."),
    "accounts": ("Pengguna dan akses", "People and access"),
    "one_time_help": ("berikan tautan atau kode ini kepada orangnya (hanya ditampilkan sekali, berlaku 24 jam); "
                      "ia memasang kata sandinya sendiri.", "give this link or code to the person (shown once, "
                      "valid 24 hours); they set their own password."),
    "one_time_code": ("Kode sekali pakai", "One-time code"),
    "secret_once": ("simpan rahasia klien ini sekarang: hanya ditampilkan sekali.",
                    "keep this client secret now: it is shown once."),
    "role_word": ("Peran", "Role"),
    "org_admin": ("admin lembaga", "organisation admin"),
    "org_admin_help": ("Admin lembaga (mengelola staf lembaganya)", "Organisation admin (manages its staff)"),
    "account_deactivate": ("Nonaktifkan", "Deactivate"), "account_reactivate": ("Aktifkan kembali", "Reactivate"),
    "account_reset": ("Atur ulang kata sandi", "Reset password"), "account_approve": ("Setujui", "Approve"),
    "account_move": ("Pindah desa", "Move"),
    "no_accounts": ("Belum ada pengguna.", "No accounts yet."),
    "new_account": ("Pengguna baru", "New account"),
    "username_hint": ("huruf kecil, angka, titik; bukan nama anak", "lower case, digits, dots; never a child's name"),
    "account_village_hint": ("untuk kader: desanya", "for a cadre: their desa"),
    "organization_id": ("Lembaga (id)", "Organisation (id)"),
    "organization_id_hint": ("untuk staf lembaga: lembaga yang ber-MOU dengan kabupaten (lihat Direktori)",
                             "for provider staff: an organisation with an MOU with the kabupaten (see Directory)"),
    "make_account": ("Buat akun", "Make the account"),
    "api_clients": ("Sistem yang terhubung (klien API)", "Connected systems (API clients)"),
    "client_id": ("Id klien", "Client id"), "scopes": ("Izin", "Scopes"), "revoke": ("Cabut", "Revoke"),
    "no_clients": ("Belum ada klien API.", "No API clients yet."),
    "make_client": ("Daftarkan klien", "Register the client"),
    "set_password": ("Pasang kata sandi", "Set your password"),
    "password_help": ("Minimal 10 karakter. Sebuah kalimat beberapa kata paling mudah diingat; kata sandi yang "
                      "pernah bocor ditolak.", "At least 10 characters. A phrase of a few words is easiest to "
                      "remember; passwords known from breaches are refused."),
    "new_password": ("Kata sandi baru", "New password"),
    "new_password_again": ("Ulangi kata sandi", "The password again"),
    "own_services": ("Layanan kami", "Our services"),
    "own_services_explain": ("Jaga kapasitas tetap benar: mesin rujukan hanya menawarkan kebutuhan anak ke layanan "
                             "yang masih punya tempat.", "Keep the capacity right: the referral engine offers a "
                             "child's need only to a service with a free place."),
    "capacity_saved": ("Kapasitas disimpan.", "Capacity saved."),
    "nav_desa_dashboard": ("Dasbor desa", "Desa dashboard"),
    "birth_dates_apart": ("Tanggal lahir berselisih {days} hari", "Birth dates {days} days apart"),
    "merge_here": ("Gabungkan ke catatan ini", "Merge into this record"),
    "find_duplicates": ("Cari catatan ganda", "Find duplicate records"),
    "edit_child": ("Perbaiki data anak", "Correct the child's record"),
    "edit_child_explain": ("Untuk nama, jenis kelamin, tanggal lahir atau NIK yang salah ketik. Jika orang lain "
                           "mengubah catatan ini sementara itu, Anda akan melihat datanya yang baru sebelum menyimpan.",
                           "For a name, sex, birth date or NIK typed wrong. If someone else changed the record "
                           "meanwhile, you see it as it is now before saving."),
    "rights_link": ("Hak atas data anak", "The child's data rights"),
    "rights_title": ("Hak atas data anak", "The child's data rights"),
    "export_title": ("Data anak untuk anak atau walinya", "The child's data for the child or guardian"),
    "export_explain": ("Semua yang disimpan registri dan mesin rujukan tentang anak ini, dalam satu berkas. "
                       "Pengunduhan ini dicatat.", "Everything the registry and the referral engine hold about "
                       "this child, in one file. The download is recorded."),
    "export_download": ("Unduh data anak (JSON)", "Download the child's data (JSON)"),
    "accesses_title": ("Siapa membaca atau mengubah catatan ini", "Who read or changed this record"),
    "when": ("Kapan", "When"), "who": ("Siapa", "Who"), "what": ("Apa", "What"),
    "access_other": ("mengakses catatan", "accessed the record"),
    "refused_attempt": ("ditolak", "refused"),
    "rights_two_people": ("Satu operator meminta, operator kedua mengonfirmasi.",
                          "One operator asks, a second confirms."),
    "rights_waiting": ("Menunggu konfirmasi operator kedua.", "Waiting for a second operator's confirmation."),
    "rights_asked_by": ("Diminta oleh", "Asked by"),
    "rights_cancel": ("Batalkan permintaan", "Withdraw the request"),
    "rights_asked": ("Permintaan tercatat; operator kedua mengonfirmasi.",
                     "Request recorded; a second operator confirms it."),
    "rights_cancelled": ("Permintaan dibatalkan.", "Request withdrawn."),
    "export_ask": ("Minta data anak", "Ask for the child's data"),
    "export_confirm": ("Konfirmasi pemberian data", "Confirm handing over the data"),
    "export_open": ("Dikonfirmasi: data dapat diunduh selama 24 jam.", "Confirmed: the data can be downloaded for "
                    "24 hours."),
    "export_until": ("Dapat diunduh sampai", "Can be downloaded until"),
    "erase_ask": ("Minta penghapusan data pribadi", "Ask to erase the personal data"),
    "erase_title": ("Hapus data pribadi anak", "Erase the child's personal data"),
    "erase_explain": ("Nama, NIK, alamat rumah tangga dan catatan ketikan dihapus; nomor, kode wilayah dan "
                      "riwayat kasus tetap agar laporan tetap benar. Tidak dapat dibatalkan.", "Name, NIK, household "
                      "and typed notes are erased; the id, place codes and case history stay so reports add up. "
                      "It cannot be undone."),
    "erase_basis": ("Dasar penghapusan", "Basis of the erasure"),
    "erase_reference": ("Nomor surat atau putusan", "Letter or decision number"),
    "erase_confirm": ("Saya mengerti penghapusan ini tidak dapat dibatalkan", "I understand this cannot be undone"),
    "erased": ("Data pribadi anak telah dihapus.", "The child's personal data was erased."),
    "terminate_mou": ("Akhiri MOU lebih awal", "End the MOU early"),
    "terminated_on": ("Berakhir pada", "Ends on"),
    "terminate_reason_hint": ("Alasannya, untuk catatan kabupaten (minimal 5 huruf)", "Why, for the kabupaten's "
                              "record (at least 5 characters)"),
    "merge_explain": ("Kunjungan, penandaan dan persetujuan catatan itu pindah ke catatan ini; catatan itu "
                      "ditutup sebagai data ganda.", "That record's visits, flags and consents move to this one; "
                      "that record is closed as a duplicate."),
    "merged": ("Catatan ganda digabungkan ke catatan ini.", "The duplicate record was merged into this one."),
    "refer_need": ("Kirim ke layanan tertentu", "Send to a named service"),
    "refer_none": ("Belum ada layanan ber-MOU yang dapat menerima kebutuhan ini hari ini (umur, jenis kelamin, "
                   "wilayah, tempat).", "No MOU service can take this need today (age, sex, area, places)."),
    "need_referred": ("Kebutuhan dikirim ke layanan yang dipilih.", "The need was sent to the chosen service."),
    "service": ("Layanan", "Service"),
    "rules_title": ("Aturan rujukan", "Referral rules"),
    "rules_intro": ("Cara mesin rujukan menawarkan kebutuhan anak kepada lembaga ber-MOU di kabupaten ini.",
                    "How the referral engine offers a child's needs to the MOU providers of this kabupaten."),
    "rules_saved": ("Aturan rujukan disimpan; berlaku untuk tawaran berikutnya.",
                    "Referral rules saved; they apply to the next offers."),
    "rules_change": ("Ubah aturan", "Change the rules"),
    "rules_source": ("Asal aturan", "Set by"),
    "rules_customised": ("Ditetapkan kabupaten", "The kabupaten"),
    "rules_default": ("Bawaan sistem (kabupaten belum menetapkan)", "The system's defaults (not set by the "
                      "kabupaten)"),
    "parallel_offers": ("Lembaga yang ditawari sekaligus", "Providers offered at once"),
    "parallel_offers_hint": ("1 sampai 10: lembaga pertama yang menerima mendapat rujukan", "1 to 10: the first "
                             "provider to accept gets the referral"),
    "sla_hours": ("Batas waktu menjawab", "Time to answer"),
    "sla_hours_hint": ("Dalam jam (1 sampai 720); tawaran yang tidak dijawab diteruskan ke lembaga berikutnya",
                       "In hours (1 to 720); an offer left unanswered goes to the next provider"),
    "weekends_count": ("Sabtu dan Minggu ikut dihitung", "Saturdays and Sundays count"),
    "hours_unit": ("jam", "hours"),
    "pilot_title": ("Desa percontohan dan targetnya", "Pilot villages and their targets"),
    "pilot_add": ("Jadikan desa percontohan", "Make a pilot village"),
    "pilot_saved": ("Target desa tersimpan.", "The village's targets are saved."),
    "pilot_none": ("Belum ada desa percontohan.", "No pilot village yet."),
    "mapping_target": ("Target pemetaan", "Mapping target"),
    "withdrawn_target": ("Target ditarik", "Withdrawn target"),
    "prevented_target": ("Target dicegah", "Prevented target"),
    "flag_waits": ("Kasus ditandai dan menunggu persetujuan operator kedua.",
                   "Case flagged; it waits for a second operator's approval."),
    "approve_flag": ("Setujui penandaan", "Approve the flag"),
    "needs": ("Kebutuhan layanan", "Service needs"),
    "need": ("Kebutuhan", "Need"),
    "referrals": ("Rujukan", "Referrals"),
    "timeline": ("Linimasa", "Timeline"),
    "gap": ("Kesenjangan", "Gap"),
    "no_case": ("Belum ada rujukan untuk anak ini.", "No referrals for this child yet."),
    "organisation": ("Lembaga", "Organisation"),
    "deadline": ("Batas waktu", "Deadline"),
    "offered_at": ("Ditawarkan", "Offered"),
    "backbone": ("lembaga induk", "backbone"),
    "cancel_referral": ("Batalkan rujukan", "Cancel the referral"),
    "reason": ("Alasan", "Reason"),
    "text_other": ("Keterangan", "Details"),
    # directory
    "directory_title": ("Lembaga layanan", "Service providers"),
    "new_organisation": ("Lembaga baru", "New organisation"),
    "kind": ("Jenis lembaga", "Kind"),
    "contact_person": ("Narahubung", "Contact person"),
    "phone": ("Telepon", "Phone"),
    "email": ("Surel", "Email"),
    "backbone_for": ("Lembaga induk untuk kabupaten (kode)", "Backbone for regencies (codes)"),
    "mous": ("Nota kesepahaman (MOU)", "MOUs"),
    "new_mou": ("MOU baru", "New MOU"),
    "mou_number": ("Nomor MOU", "MOU number"),
    "signed_date": ("Tanggal tanda tangan", "Signed on"),
    "valid_from": ("Berlaku mulai", "Valid from"),
    "valid_until": ("Berlaku sampai", "Valid until"),
    "service_categories": ("Kategori layanan", "Service categories"),
    "offerings": ("Layanan", "Services"),
    "new_offering": ("Layanan baru", "New service"),
    "category": ("Kategori", "Category"),
    "service_area": ("Wilayah layanan (kode desa/kecamatan, pisahkan dengan koma)",
                     "Service area (desa/kecamatan codes, comma separated)"),
    "min_age": ("Umur minimum", "Minimum age"),
    "max_age": ("Umur maksimum", "Maximum age"),
    "sexes": ("Untuk jenis kelamin", "For sexes"),
    "capacity": ("Kapasitas", "Capacity"),
    "open_referrals": ("Rujukan aktif", "Open referrals"),
    "course_type": ("Jenis kursus", "Course type"),
    "schedule": ("Jadwal", "Schedule"),
    "saved": ("Tersimpan.", "Saved."),
    # notifications
    "notifications": ("Pemberitahuan", "Notifications"),
    "unread": ("belum dibaca", "unread"),
    "no_notifications": ("Belum ada pemberitahuan.", "No notifications yet."),
    "mark_all_read": ("Tandai semua sudah dibaca", "Mark all read"),
    "notification_settings": ("Pengaturan pemberitahuan", "Notification settings"),
    "notification_language": ("Bahasa pemberitahuan", "Language of notifications"),
    "email_notifications_on": ("Kirim pemberitahuan lewat surel", "Send notifications by email"),
    "quiet_hours": ("Jam tenang", "Quiet hours"),
    "quiet_hours_help": ("Tidak ada pesan pada jam ini (waktu setempat), kecuali yang mendesak.",
                         "No messages in these hours (local time), apart from urgent ones."),
    "from": ("Dari", "From"),
    "until": ("Sampai", "Until"),
    "opt_out_email": ("Berhenti menerima surel, WhatsApp dan SMS sama sekali", "Stop all email, WhatsApp and SMS"),
    "phone_for_messages": ("Nomor HP (untuk WhatsApp dan SMS)", "Mobile number (for WhatsApp and SMS)"),
    "whatsapp_on": ("Kirim pemberitahuan lewat WhatsApp", "Send notifications by WhatsApp"),
    "sms_on": ("Kirim pemberitahuan lewat SMS", "Send notifications by SMS"),
    "when_to_send": ("Kapan dikirim", "When to send"),
    "digest_at": ("Jam ringkasan harian", "Time of the daily digest"),
    "digest_help": ("Dengan ringkasan harian, pemberitahuan yang tidak mendesak dikirim sekali sehari dalam satu "
                    "pesan; yang mendesak tetap langsung.", "With the daily digest, what is not urgent comes once a "
                    "day in one message; urgent notices still come at once."),
    "deliveries": ("Pengiriman pemberitahuan", "Notification deliveries"),
    "notification_kind": ("Pemberitahuan", "Notification"),
    "recipient": ("Penerima", "Recipient"),
    "attempts": ("Percobaan", "Attempts"),
    "no_deliveries": ("Tidak ada pengiriman.", "No deliveries."),
    "demo": ("contoh", "demo"),
    # imports
    "imports_title": ("Unggah file survei", "Upload a survey file"),
    "file": ("File (CSV atau XLSX)", "File (CSV or XLSX)"),
    "import_mode": ("Cara impor", "Import mode"),
    "upload": ("Unggah", "Upload"),
    "import_progress": ("Kemajuan impor", "Import progress"),
    "rows_total": ("Jumlah baris", "Rows"),
    "rows_processed": ("Diproses", "Processed"),
    "rows_valid": ("Valid", "Valid"),
    "rows_error": ("Bermasalah", "With errors"),
    "children_created": ("Anak baru", "Children created"),
    "rows_duplicate": ("Kemungkinan ganda", "Possible duplicates"),
    "row_issues": ("Unduh daftar masalah per baris (CSV)", "Download the row issues (CSV)"),
    "refreshes": ("Halaman ini diperbarui otomatis.", "This page refreshes by itself."),
    # reports
    "dashboard_title": ("Dasbor", "Dashboard"),
    "period_from": ("Dari", "From"),
    "period_to": ("Sampai", "To"),
    "place_code": ("Kode wilayah", "Place code"),
    "place_code_hint": ("35.09 (kabupaten), 35.09.11 (kecamatan) atau 35.09.11.2007 (desa)",
                        "35.09 (regency), 35.09.11 (district) or 35.09.11.2007 (village)"),
    "show": ("Tampilkan", "Show"),
    "chart_status": ("Anak menurut status kasus", "Children by case status"),
    "chart_classification": ("Anak menurut klasifikasi", "Children by classification"),
    "chart_pilot": ("Kemajuan pilot per desa", "Pilot progress per village"),
    "chart_funnel": ("Alur rujukan", "Referral funnel"),
    "chart_gaps": ("Kesenjangan layanan", "Service gaps"),
    "suppressed_note": ("Sel kecil disembunyikan (<5) untuk melindungi anak.",
                        "Small cells are hidden (<5) to protect children."),
    "reports_title": ("Unduh laporan", "Download reports"),
    "report_summary": ("Ringkasan", "Summary"),
    "report_pilot": ("Kemajuan pilot", "Pilot progress"),
    "report_kla": ("Indikator KLA", "KLA indicators"),
    "report_programme": ("Tabel program", "Programme tables"),
    "report_referrals": ("Kinerja rujukan", "Referral performance"),
    "report_gaps": ("Kesenjangan layanan", "Service gaps"),
    # The programme around the cases (issue 26)
    "nav_programme": ("Program desa", "Village programme"),
    "programme_title": ("Program desa", "Village programme"),
    "programme_explained": ("Kegiatan pencegahan, lembaga desa, peta jalan desa bebas pekerja anak, pendampingan "
                            "dan biaya remediasi.", "Prevention activities, village institutions, the roadmap to a "
                            "child-labour-free village, facilitators and remediation costs."),
    "activities_title": ("Kegiatan", "Activities"),
    "activities_explained": ("Sosialisasi, Forum Anak, kegiatan kelompok sepulang sekolah dan lainnya. Peserta tanpa "
                             "nama dihitung sebagai jangkauan; anak terdaftar yang ikut dihitung untuk pencegahan.",
                             "Socialisation, Forum Anak, group after-school activities and more. Anonymous "
                             "participants count as reach; registered children who take part count toward prevention."),
    "activity_kind": ("Jenis kegiatan", "Kind of activity"),
    "activity_topic": ("Tema kegiatan", "Topic"),
    "activity_recurring": ("Kegiatan rutin (kehadiran per pertemuan)", "Recurring (attendance per session)"),
    "activity_one_off": ("Sekali", "One-off"),
    "activity_organiser": ("Penyelenggara (lembaga desa)", "Organiser (village institution)"),
    "new_activity": ("Catat kegiatan baru", "Record a new activity"),
    "no_activities": ("Belum ada kegiatan.", "No activities yet."),
    "sessions": ("Pertemuan", "Sessions"),
    "no_sessions": ("Belum ada pertemuan.", "No sessions yet."),
    "record_session": ("Catat kehadiran pertemuan", "Record a session's attendance"),
    "held_on": ("Tanggal pertemuan", "Date of the session"),
    "anonymous_participants": ("Peserta tanpa nama", "Anonymous participants"),
    "anonymous_explained": ("Jumlah peserta menurut jenis kelamin dan umur; kosongkan bila tidak ada.",
                            "How many took part, by sex and age; leave empty when none."),
    "registered_children": ("Anak terdaftar", "Registered children"),
    "registered_children_took_part": ("Anak terdaftar di desa yang ikut", "Registered children of the desa who "
                                      "took part"),
    "session_saved": ("Kehadiran pertemuan tersimpan.", "The session's attendance is saved."),
    "caseload_title": ("Anak dampingan saya", "My caseload"),
    "caseloads_title": ("Beban dampingan fasilitator", "Facilitators' caseloads"),
    "visits_due_soon": ("Kunjungan minggu ini", "Visits due this week"),
    "no_caseload": ("Belum ada kasus yang didampingi.", "No cases assigned."),
    "cases_unassigned": ("Kasus terbuka tanpa fasilitator", "Open cases with no facilitator"),
    "facilitator": ("Fasilitator", "Facilitator"),
    "open_cases": ("Kasus terbuka", "Open cases"),
    "account_inactive": ("(akun nonaktif: alihkan kasusnya)", "(account deactivated: reassign its cases)"),
    "facilitator_saved": ("Fasilitator kasus tersimpan.", "The case's facilitator is saved."),
    "assign_facilitator": ("Tetapkan fasilitator", "Assign a facilitator"),
    "facilitator_none": ("Belum ada fasilitator.", "No facilitator yet."),
    "facilitator_history": ("Riwayat fasilitator", "Facilitator history"),
    "institutions_title": ("Lembaga desa", "Village institutions"),
    "readiness": ("Kesiapan lembaga desa", "The desa's institutions"),
    "institutions_formed": ("Terbentuk", "Formed"),
    "institutions_decreed": ("Ber-SK", "Decreed"),
    "institutions_active": ("Aktif", "Active"),
    "institution_missing": ("belum ada", "none yet"),
    "institution_type": ("Jenis lembaga", "Institution"),
    "institution_name": ("Nama lembaga", "Name"),
    "institution_status": ("Status", "Status"),
    "decree": ("SK", "Decree"),
    "decree_number": ("Nomor SK Kepala Desa", "Village head's decree number"),
    "decreed_on": ("Tanggal SK", "Decree date"),
    "formed_on": ("Tanggal terbentuk", "Formed on"),
    "members": ("Anggota", "Members"),
    "members_age_band": ("Kelompok umur anggota (Forum Anak)", "Members' age group (Forum Anak)"),
    "new_institution": ("Catat lembaga", "Record an institution"),
    "institution_saved": ("Lembaga tersimpan.", "The institution is saved."),
    "roadmap_title": ("Peta jalan desa bebas pekerja anak", "Roadmap to a child-labour-free village"),
    "roadmap_explained": ("Lokakarya dan RPJMDes dicatat kabupaten; lembaga ber-SK dan tidak adanya pekerja anak "
                          "tanpa remediasi dihitung dari data.", "The workshop and the RPJMDes are recorded by the "
                          "district; institutions decreed and no child labourer left without remediation follow from "
                          "the records."),
    "not_yet": ("belum", "not yet"),
    "no_roadmaps": ("Belum ada desa dengan peta jalan.", "No desa with a roadmap yet."),
    "record_milestone": ("Catat tahapan", "Record a milestone"),
    "milestone": ("Tahapan", "Milestone"),
    "reached_on": ("Tanggal tercapai", "Reached on"),
    "milestone_reference": ("Nomor dokumen (berita acara, RPJMDes)", "Document number (minutes, RPJMDes)"),
    "milestone_saved": ("Tahapan tersimpan.", "The milestone is saved."),
    "costs_title": ("Biaya remediasi", "Remediation costs"),
    "spent_on": ("Tanggal", "Date"),
    "amount_idr": ("Jumlah (Rp)", "Amount (IDR)"),
    "funding_source": ("Sumber dana", "Funding source"),
    "cost_for": ("Untuk", "Spent on"),
    "no_costs": ("Belum ada biaya tercatat.", "No costs recorded yet."),
    "record_cost": ("Catat biaya", "Record a cost"),
    "cost_activity": ("Kegiatan", "Activity"),
    "cost_referral": ("Atau: ID rujukan layanan yang diberikan", "Or: the referral id of a delivered service"),
    "cost_referral_hint": ("Dari halaman rujukan.", "From the referral's page."),
    "cost_saved": ("Biaya tersimpan.", "The cost is saved."),
    "periodic_period": ("Bulan (2026-11) atau triwulan (2026-Q4)", "Month (2026-11) or quarter (2026-Q4)"),
    "roadmap_dashboard": ("Peta jalan desa", "The desa's roadmaps"),
    "report_periodic": ("Laporan periodik (bulanan/triwulanan)", "Periodic report (monthly/quarterly)"),
    "download_lang": ("Bahasa judul kolom", "Header language"),
    "public_export": ("Untuk publikasi (sel kecil disembunyikan)", "For publication (small cells hidden)"),
    "kla_title": ("Skor Kabupaten/Kota Layak Anak", "Child-Friendly Regency scorecard"),
    "year": ("Tahun", "Year"),
    "indicator": ("Indikator", "Indicator"),
    "weight": ("Bobot", "Weight"),
    "achievement": ("Capaian (%)", "Achievement (%)"),
    "score": ("Nilai", "Score"),
    "evidence": ("Bukti", "Evidence"),
    "source": ("Sumber", "Source"),
    "total": ("Jumlah", "Total"),
    "enter_indicator": ("Isi indikator", "Enter an indicator"),
    "from_data": ("dari data", "from the data"),
    "entered": ("diisi kabupaten", "entered by the district"),
    # provider inbox
    "inbox_title": ("Rujukan untuk lembaga Anda", "Referrals for your organisation"),
    "no_referrals": ("Tidak ada rujukan.", "No referrals."),
    "referral": ("Rujukan", "Referral"),
    "child": ("Anak", "Child"),
    "accept": ("Terima", "Accept"),
    "decline": ("Tolak", "Decline"),
    "start": ("Mulai layanan", "Start the service"),
    "complete": ("Selesaikan", "Complete"),
    "done": ("Tersimpan.", "Done."),
    "child_details_note": ("Anda hanya melihat data anak yang diperlukan untuk rujukan ini.",
                           "You see only the child data this referral needs."),
    "child_details_pending": ("Data anak dibuka untuk Anda dalam beberapa detik; halaman ini memuat ulang sendiri.",
                              "The child's record opens to you in a few seconds; this page reloads itself."),
}

LABELS = VOCABULARY  # every code a person can see, with its labels (sprpa_contracts.labels)

# The 31 KLA indicators as the regulation names them (Permen PPPA No. 12/2011, shared/seeds); the reports
# service sends the English short names, shown as they are in English.
KLA_INDICATORS_ID: dict[int, str] = {
    1: "Adanya peraturan perundang-undangan dan kebijakan untuk pemenuhan hak anak",
    2: "Persentase anggaran untuk pemenuhan hak anak, termasuk anggaran untuk penguatan kelembagaan",
    3: "Jumlah peraturan perundang-undangan, kebijakan, program dan kegiatan yang mendapatkan masukan dari Forum "
       "Anak dan kelompok anak lainnya",
    4: "Tersedia sumber daya manusia (SDM) terlatih KHA dan mampu menerapkan hak anak ke dalam kebijakan, program "
       "dan kegiatan",
    5: "Tersedia data anak terpilah menurut jenis kelamin, umur, dan kecamatan",
    6: "Keterlibatan lembaga masyarakat dalam pemenuhan hak anak",
    7: "Keterlibatan dunia usaha dalam pemenuhan hak anak",
    8: "Persentase anak yang teregistrasi dan mendapatkan Kutipan Akta Kelahiran",
    9: "Tersedia fasilitas informasi layak anak",
    10: "Jumlah kelompok anak, termasuk Forum Anak, yang ada di kabupaten/kota, kecamatan dan desa/kelurahan",
    11: "Persentase usia perkawinan pertama di bawah 18 tahun",
    12: "Tersedia lembaga konsultasi bagi orang tua/keluarga tentang pengasuhan dan perawatan anak",
    13: "Tersedia lembaga kesejahteraan sosial anak (LKSA)",
    14: "Angka Kematian Bayi (AKB)",
    15: "Prevalensi kekurangan gizi pada balita",
    16: "Persentase ASI eksklusif",
    17: "Jumlah Pojok ASI",
    18: "Persentase imunisasi dasar lengkap",
    19: "Jumlah lembaga yang memberikan pelayanan kesehatan reproduksi dan mental",
    20: "Jumlah anak dari keluarga miskin yang memperoleh akses peningkatan kesejahteraan",
    21: "Persentase rumah tangga dengan akses air bersih",
    22: "Tersedia kawasan tanpa rokok",
    23: "Angka partisipasi pendidikan anak usia dini",
    24: "Persentase wajib belajar pendidikan 12 tahun",
    25: "Persentase sekolah ramah anak",
    26: "Jumlah sekolah yang memiliki program, sarana dan prasarana perjalanan anak ke dan dari sekolah",
    27: "Tersedia fasilitas untuk kegiatan kreatif dan rekreatif yang ramah anak, di luar sekolah, yang dapat "
        "diakses semua anak",
    28: "Persentase anak yang memerlukan perlindungan khusus yang memperoleh pelayanan",
    29: "Persentase kasus anak berhadapan dengan hukum (ABH) yang diselesaikan dengan pendekatan keadilan restoratif",
    30: "Adanya mekanisme penanggulangan bencana yang memperhatikan kepentingan anak",
    31: "Persentase anak yang dibebaskan dari bentuk-bentuk pekerjaan terburuk anak",
}

# Frequent messages of the services' validation, in plain Indonesian; others are shown as the service said.
_MESSAGES_ID: list[tuple[re.Pattern, str]] = [
    (re.compile(r"^Field required$"), "Wajib diisi."),
    (re.compile(r"^Input should be a valid date"), "Tanggal tidak valid."),
    (re.compile(r"^Input should be a valid (number|integer)"), "Harus berupa angka."),
    (re.compile(r"^Input should be greater than or equal to (\S+)"), r"Minimal \1."),
    (re.compile(r"^Input should be less than or equal to (\S+)"), r"Maksimal \1."),
    (re.compile(r"^String should have at least (\d+) characters?"), r"Minimal \1 karakter."),
    (re.compile(r"^String should have at most (\d+) characters?"), r"Maksimal \1 karakter."),
    (re.compile(r"^Input should be "), "Pilihan tidak valid."),
    (re.compile(r"^NIK must be exactly 16 digits$"), "NIK harus tepat 16 angka."),
    (re.compile(r"^digits 1-6 \((\d+)\) are not a kecamatan code"), r"Angka 1-6 (\1) bukan kode kecamatan."),
    (re.compile(r"^digits 7-12 \((\d+)\) are not a valid date"), r"Angka 7-12 (\1) bukan tanggal yang valid."),
    (re.compile(r"^digits 7-12 encode (\S+), not the birth date (\S+)"),
     r"Angka 7-12 berarti tanggal \1, bukan tanggal lahir \2."),
    (re.compile(r"^for a girl the day in digits 7-8 has 40 added"),
     "Untuk anak perempuan, tanggal pada angka 7-8 ditambah 40."),
    (re.compile(r"^the day in digits 7-8 has 40 added, which marks a female"),
     "Tanggal pada angka 7-8 ditambah 40, tanda anak perempuan."),
    (re.compile(r"^digits 13-16 cannot be 0000"), "Angka 13-16 tidak boleh 0000."),
    (re.compile(r"^hours_per_week cannot exceed 7 times hours_per_day"),
     "Jam per minggu tidak boleh lebih dari 7 kali jam per hari."),
    (re.compile(r"^the visit cannot be in the future"), "Tanggal kunjungan tidak boleh di masa depan."),
    (re.compile(r"^(\S+) is not an official desa/kelurahan"), r"\1 bukan kode desa/kelurahan resmi."),
]


def field_message(message: str, lang: str) -> str:
    message = message.removeprefix("Value error, ")
    if lang == "id":
        for pattern, indonesian in _MESSAGES_ID:
            match = pattern.search(message)
            if match:
                return match.expand(indonesian)
    return message


def problem_summary(error, lang: str) -> str:
    """One plain sentence for a service's problem."""
    key = {400: "invalid", 404: "not_found", 409: "conflict", 412: "conflict", 422: "invalid",
           403: "not_allowed", 503: "unavailable", 502: "unavailable", 504: "unavailable"}.get(error.status)
    if key is None:
        key = "unavailable" if error.status >= 500 else "invalid"
    sentence = text(key, lang)
    if error.detail and (error.status in (400, 409) or (error.status == 422 and not error.errors)):
        sentence += f" {text('service_said', lang)}: {error.detail}"
    return sentence


def text(key: str, lang: str) -> str:
    pair = TEXT.get(key)
    if pair is None:
        return key
    return pair[0] if lang == "id" else pair[1]


def label(kind: str, code: str | None, lang: str) -> str:
    return vocabulary_label(kind, code, lang) or ""


_VERBS = {"GET": ("membaca", "read"), "POST": ("mencatat", "recorded"), "PATCH": ("mengubah", "changed"),
          "PUT": ("mengubah", "changed"), "DELETE": ("menghapus", "deleted"), "IMPORT": ("mengimpor", "imported")}
_ACCESSED = {
    "children": ("catatan anak", "the child's record"), "visits": ("kunjungan", "visits"),
    "assessments": ("asesmen", "an assessment"), "flag": ("penandaan", "the flag"), "approve": ("persetujuan "
    "penandaan", "the flag's approval"), "reject": ("penolakan penandaan", "the flag's rejection"),
    "history": ("riwayat kasus", "the case history"), "duplicates": ("catatan ganda", "possible duplicates"),
    "merge": ("penggabungan catatan", "a merge"), "accesses": ("daftar pembaca", "who read the record"),
    "export": ("ekspor data anak", "the child's data export"), "erase": ("penghapusan data", "the erasure"),
    "close": ("penutupan kasus", "the case's closure"), "consent": ("persetujuan", "consent"),
    "imports": ("data survei", "survey data"), "referrals": ("rujukan", "referrals"), "cases": ("kasus", "the case"),
    "audit": ("log audit", "the audit log"),
}


class Translator:
    """`t("key")` for a sentence, `t.label("sex", code)` for a code's name, `t.options("sex")` for a select."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __call__(self, key: str) -> str:
        return text(key, self.lang)

    def label(self, kind: str, code: str | None) -> str:
        return label(kind, code, self.lang)

    def access(self, action: str) -> str:
        """An audit row's action (`GET /api/v1/children/{child_id}/visits`) as words: what was done to what."""
        method, _, path = action.partition(" ")
        parts = [part for part in path.split("/") if part and not part.startswith("{")]
        thing = next((_ACCESSED[part] for part in reversed(parts) if part in _ACCESSED), None)
        verb = _VERBS.get(method)
        if verb is None or thing is None:
            return text("access_other", self.lang)
        return f"{verb[0 if self.lang == 'id' else 1]} {thing[0 if self.lang == 'id' else 1]}"

    def duplicate_reason(self, code: str) -> str:
        """Why two records may be one child; `birth_date_3_days_apart` carries its number."""
        apart = re.fullmatch(r"birth_date_(\d+)_days_apart", code)
        if apart:
            return text("birth_dates_apart", self.lang).format(days=apart.group(1))
        return self.label("duplicate_reason", code)

    def when(self, instant: str | None, place_code: str | None) -> str:
        """An instant (ISO, UTC) as people in the place read it: "2 Des 2026 19:36 WIB"."""
        if not instant:
            return ""
        local = datetime.fromisoformat(instant).astimezone(zone_of(place_code or "35"))
        return f"{self.day(local.date())} {local:%H:%M} {local.tzname()}"

    def day(self, value: str | date | None) -> str:
        """A date as people write it: "2 Des 2026"."""
        if not value:
            return ""
        day = date.fromisoformat(value[:10]) if isinstance(value, str) else value
        return f"{day.day} {MONTHS[self.lang][day.month - 1]} {day.year}"

    def hours(self, per_day: float, per_week: float) -> str:
        """"5 jam per hari / 30 jam per minggu"."""
        return text("hours_per_day_week", self.lang).format(day=_number(per_day), week=_number(per_week))

    def indicator(self, number: int, english: str) -> str:
        return KLA_INDICATORS_ID.get(number, english) if self.lang == "id" else english

    def options(self, kind: str) -> list[tuple[str, str]]:
        return [(code, pair[0] if self.lang == "id" else pair[1]) for code, pair in LABELS[kind].items()]


MONTHS = {"id": ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"),
          "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")}


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def translator(lang: str) -> Translator:
    return Translator(lang if lang in LANGUAGES else "id")
