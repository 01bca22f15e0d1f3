"""Every text of the run report, in Bahasa Indonesia (``id``, the default) and English
(``en``): headings, sentences, table headers, and the labels of codes (decisions and
reasons by their enum values, breakdown categories, money situations, change types).

The codes themselves (``KEEP``, ``DECEASED``...) are the registry's public interface and
appear as they are; a label says what they mean. ``reports.release_report`` takes every
word it prints from here (``tests/unit/core/test_report.py`` checks that both languages
have every key).
"""

from __future__ import annotations

from typing import Literal

from domain.codes import ChangeType, Decision, Reason
from domain.money import MoneySituation

Language = Literal["id", "en"]
LANGUAGES: tuple[Language, ...] = ("id", "en")

#: sentences and headings; ``{name}`` placeholders are filled by :func:`text`
TEXTS: dict[str, dict[str, str]] = {
    "title": {
        "id": "Laporan Rekonsiliasi SIGAP {period} (versi {version})",
        "en": "SIGAP Reconciliation Report {period} (version {version})",
    },
    "release_line": {
        "id": "Rilis `{release_id}` ({status}), versi aturan `{rules}`, Kota Bekasi.",
        "en": "Release `{release_id}` ({status}), rules version `{rules}`, Kota Bekasi.",
    },
    "no_personal_data": {
        "id": "Laporan ini tidak memuat nama maupun NIK lengkap.",
        "en": "This report shows no names and no full NIKs.",
    },
    # -- summary --------------------------------------------------------------------------
    "h_summary": {"id": "Ringkasan", "en": "Summary"},
    "summary_coverage": {
        "id": "Penduduk layak: **{eligible}**; tertanggung (dibayar kota, KEEP + REVERIFY): **{covered}** ({rate}); didaftarkan periode ini: **{enroll}**; daftar tunggu: **{waitlist}**.",
        "en": "Eligible residents: **{eligible}**; covered (paid by the city, KEEP + REVERIFY): **{covered}** ({rate}); enrolled this period: **{enroll}**; waitlist: **{waitlist}**.",
    },
    "summary_women": {
        "id": "Perempuan: {covered} dari {eligible} yang layak tertanggung ({rate}); laki-laki: {m_covered} dari {m_eligible} ({m_rate}).",
        "en": "Women: {covered} of {eligible} eligible are covered ({rate}); men: {m_covered} of {m_eligible} ({m_rate}).",
    },
    "summary_disability": {
        "id": "Penyandang disabilitas: {covered} dari {eligible} yang layak tertanggung ({rate}).",
        "en": "People with a disability: {covered} of {eligible} eligible are covered ({rate}).",
    },
    "summary_money": {
        "id": "Tagihan BPJS bulan ini {billed} terhadap biaya menurut registri {registry}; untuk ditagih kembali: {recover_people} orang, {recover_months} bulan, {recover_idr}; peserta menunggak: {arrears}.",
        "en": "BPJS billed {billed} this month against the registry's cost of {registry}; to recover: {recover_people} people, {recover_months} months, {recover_idr}; participants in arrears: {arrears}.",
    },
    "definitions": {
        "id": "Layak = KEEP + REVERIFY + ENROLL + WAITLIST (orang dalam cakupan yang memenuhi setiap aturan kelayakan sejauh diketahui rilis ini); tertanggung = KEEP + REVERIFY; cakupan = tertanggung / layak.",
        "en": "Eligible = KEEP + REVERIFY + ENROLL + WAITLIST (people in scope who meet every eligibility rule as far as this release knows); covered = KEEP + REVERIFY; coverage = covered / eligible.",
    },
    # -- decisions, quota -----------------------------------------------------------------
    "h_decisions": {"id": "Keputusan", "en": "Decisions"},
    "h_quota": {"id": "Kuota dan anggaran", "en": "Quota and budget"},
    "quota_cap": {
        "id": "Batas tempat: **{cap}** peserta (kuota {quota}{budget_part})",
        "en": "Cap: **{cap}** participants (quota {quota}{budget_part})",
    },
    "quota_budget_part": {
        "id": ", anggaran tahunan membiayai {budget_cap}",
        "en": ", the annual budget pays for {budget_cap}",
    },
    "quota_used": {
        "id": "Tempat terpakai (KEEP + REVERIFY): {used}; tempat kosong: {free}",
        "en": "Places used (KEEP + REVERIFY): {used}; free places: {free}",
    },
    "quota_new": {"id": "ENROLL: {enrolled}; WAITLIST: {waitlisted}", "en": "ENROLL: {enrolled}; WAITLIST: {waitlisted}"},
    "quota_cost": {
        "id": "Biaya bulanan: {monthly}; tahunan: {annual} (dengan {contribution} per peserta per bulan)",
        "en": "Monthly cost: {monthly}; annual: {annual} (at {contribution} per participant per month)",
    },
    "quota_budget": {
        "id": "Anggaran tahunan: {budget}; anggaran itu membiayai {covers} peserta selama dua belas bulan",
        "en": "Annual budget: {budget}; it pays for {covers} participants for twelve months",
    },
    "quota_no_budget": {
        "id": "Anggaran tahunan tidak ditetapkan (`rules.annual_budget_idr`): batas tempat adalah kuota.",
        "en": "No annual budget is set (`rules.annual_budget_idr`): the cap is the quota.",
    },
    # -- coverage -------------------------------------------------------------------------
    "h_coverage": {
        "id": "Cakupan menurut jenis kelamin, umur, pekerjaan, kategori dan disabilitas",
        "en": "Coverage by sex, age, occupation, category and disability",
    },
    "h_by_sex": {"id": "Menurut jenis kelamin", "en": "By sex"},
    "h_by_age": {"id": "Menurut kelompok umur", "en": "By age band"},
    "h_by_occupation_group": {"id": "Menurut kelompok pekerjaan (Dukcapil)", "en": "By occupation group (Dukcapil)"},
    "h_by_occupation": {
        "id": "Pekerjaan dengan penduduk layak terbanyak (Dukcapil JENIS_PKRJN)",
        "en": "Occupations with the most eligible residents (Dukcapil JENIS_PKRJN)",
    },
    "h_women_by_occupation": {
        "id": "Perempuan menurut pekerjaan (pekerja informal perempuan: pedagang, pekerja rumah tangga, buruh...)",
        "en": "Women by occupation (women informal workers: traders, domestic workers, labourers...)",
    },
    "h_by_category": {
        "id": "Menurut kategori peserta BPJS (ENROLL dan WAITLIST belum berkategori)",
        "en": "By BPJS participant category (ENROLL and WAITLIST have none yet)",
    },
    "h_by_disability": {"id": "Menurut disabilitas (DTSEN)", "en": "By disability (DTSEN)"},
    "disability_not_available": {
        "id": "Data disabilitas **tidak tersedia** untuk rilis ini: ekstrak DTSEN tidak memuat kolom opsional `DISABILITAS` (atau mengosongkannya).",
        "en": "Disability figures are **not available** for this release: the DTSEN extract does not carry the optional `DISABILITAS` column (or leaves it empty).",
    },
    "h_by_kecamatan": {"id": "Cakupan per kecamatan", "en": "Coverage by kecamatan"},
    "h_by_kelurahan": {"id": "Cakupan per kelurahan", "en": "Coverage by kelurahan"},
    "internal_counts": {
        "id": "Angka di laporan ini belum disensor (untuk internal pemerintah kota); angka yang boleh diterbitkan ada di berkas data terbuka `{file}`.",
        "en": "The figures in this report are not suppressed (for the city's own use); the figures that may be published are in the open-data file `{file}`.",
    },
    # -- waitlist -------------------------------------------------------------------------
    "h_waitlist": {"id": "Komposisi daftar tunggu", "en": "Waitlist composition"},
    "waitlist_total": {
        "id": "{people} orang di daftar tunggu (WAITLIST), diurutkan menurut desil, penerima PKH, umur, NIK.",
        "en": "{people} people on the waitlist (WAITLIST), ranked by desil, PKH, age, NIK.",
    },
    "waitlist_empty": {"id": "Daftar tunggu kosong.", "en": "The waitlist is empty."},
    # -- trend ----------------------------------------------------------------------------
    "h_trend": {"id": "Tren bulanan terhadap anggaran tahunan", "en": "Monthly trend against the annual budget"},
    "trend_note": {
        "id": "Satu baris per periode, dari rilis yang berlaku (PUBLISHED) tiap periode sampai periode ini. Biaya s.d. bulan ini = jumlah biaya bulanan periode tahun kalender yang sama.",
        "en": "One row per period, from each period's current (PUBLISHED) release up to this one. Year-to-date cost = the sum of the monthly costs of the same calendar year's periods.",
    },
    "trend_budget": {
        "id": "Anggaran tahunan: {budget}.",
        "en": "Annual budget: {budget}.",
    },
    # -- money ----------------------------------------------------------------------------
    "h_money": {"id": "Uang: tagihan BPJS dan catatan registri", "en": "Money: what BPJS bills and what the registry says"},
    "money_not_available": {
        "id": "Tidak ada tampilan uang untuk rilis ini.",
        "en": "This release has no money view.",
    },
    "money_billed": {
        "id": "Ditagih BPJS (jumlah IURAN_BULANAN baris APBD_KOTA yang AKTIF): **{billed}** untuk {rows} baris; biaya menurut registri (KEEP + REVERIFY): **{registry}**; selisih: **{difference}**.",
        "en": "Billed by BPJS (the sum of IURAN_BULANAN over city-paid AKTIF rows): **{billed}** for {rows} rows; the registry's cost (KEEP + REVERIFY): **{registry}**; difference: **{difference}**.",
    },
    "money_by_decision": {
        "id": "Tagihan menurut keputusan registri: KEEP {keep}, REVERIFY {reverify}, TERMINATE {terminate} (peserta yang dihentikan setelah periode ini).",
        "en": "Billed by the registry's decision: KEEP {keep}, REVERIFY {reverify}, TERMINATE {terminate} (participants stopped after this period).",
    },
    "money_unreadable": {
        "id": "Nilai yang tidak terbaca (kosong atau salah bentuk) dihitung sebagai tidak diketahui: {iuran} baris tanpa IURAN_BULANAN, {months} baris tanpa BULAN_IURAN_TERAKHIR.",
        "en": "Values that cannot be read (empty or malformed) are unknown: {iuran} rows without IURAN_BULANAN, {months} rows without BULAN_IURAN_TERAKHIR.",
    },
    "money_finance_file": {
        "id": "Daftar untuk bagian keuangan (KPJ, kelurahan, situasi, bulan, rupiah; tanpa NIK): `{file}`.",
        "en": "The finance office's list (KPJ, kelurahan, situation, months, rupiah; no NIK): `{file}`.",
    },
    "money_no_decision": {
        "id": "Tampilan ini tidak mengubah keputusan atau alasan mana pun.",
        "en": "This view changes no decision and no reason.",
    },
    # -- other sections -------------------------------------------------------------------
    "h_kecamatan_decisions": {"id": "Keputusan per kecamatan", "en": "Decisions by kecamatan"},
    "h_reasons": {"id": "Alasan", "en": "Reasons"},
    "no_reasons": {"id": "Tidak ada alasan.", "en": "No reasons."},
    "jkm_alerts": {
        "id": "Peringatan klaim JKM (peserta meninggal; ahli waris dapat mengklaim): **{n}**",
        "en": "JKM claim alerts (deceased participants whose heirs may claim): **{n}**",
    },
    "h_validation": {"id": "Validasi ekstrak", "en": "Extract validation"},
    "rejects_by_rule": {
        "id": "{source}: baris dikeluarkan menurut aturan: {rules}",
        "en": "{source} rows removed by rule: {rules}",
    },
    "repairs_by_rule": {
        "id": "{source}: baris tetap dipakai dengan satu nilai dikosongkan (tercatat KEPT di berkas penolakan): {rules}",
        "en": "{source} rows kept with a value nulled (listed as KEPT in the rejects file): {rules}",
    },
    "extra_columns": {
        "id": "{source}: kolom tambahan (diabaikan): {columns}",
        "en": "{source} extra columns (ignored): {columns}",
    },
    "accepted_flags": {
        "id": "**Diterima operator meskipun pemeriksaan gagal:** {sources}",
        "en": "**Accepted by an operator despite failed checks:** {sources}",
    },
    "h_population_changes": {"id": "Perubahan data kependudukan", "en": "Population data changes"},
    "no_changes": {
        "id": "Tidak ada perubahan terhadap data dasar periode sebelumnya.",
        "en": "No changes against the previous period's baseline.",
    },
    "h_cases": {"id": "Verifikasi ulang", "en": "Re-verification"},
    "cases_line": {
        "id": "Kasus dibuka: {opened}; masih terbuka dan terlihat lagi: {seen}; selesai: {resolved}; dieskalasi: {escalated}",
        "en": "Cases opened: {opened}; still open and seen again: {seen}; resolved: {resolved}; escalated: {escalated}",
    },
    "verification_rejected": {
        "id": "Berkas hasil verifikasi ditolak: {why}; tidak ada isinya yang diterapkan",
        "en": "Re-verification results file rejected: {why}; nothing of it was applied",
    },
    "cases_problems": {
        "id": "Baris hasil verifikasi yang tidak dapat diterapkan: {n}",
        "en": "Results rows that could not be applied: {n}",
    },
    "escalated": {"id": "Dieskalasi (terbuka lebih lama dari yang diizinkan):", "en": "Escalated (open longer than allowed):"},
    "h_open_data": {"id": "Data terbuka", "en": "Open data"},
    "open_data_line": {
        "id": "`{file}` (dengan kamus data `{dictionary}`): agregat per kelurahan, kecamatan dan kota tanpa data pribadi. Angka 1 sampai {below} ditahan, beserta angka pelengkap agar tidak dapat dihitung ulang dari total: {withheld} dari {cells} sel ditahan.",
        "en": "`{file}` (with its data dictionary `{dictionary}`): aggregates by kelurahan, kecamatan and city, no personal data. Counts from 1 to {below} are withheld, with the complements that keep them from being recomputed from the totals: {withheld} of {cells} cells withheld.",
    },
    "h_digests": {"id": "Sidik ekstrak (sha256)", "en": "Input digests (sha256)"},
    "h_history": {"id": "Riwayat periode", "en": "Period history"},
    "history_based_on": {"id": "- Dibangun di atas: {base}", "en": "- Built on: {base}"},
    "history_first": {
        "id": "tidak ada rilis sebelumnya (periode pertama registri)",
        "en": "no earlier release (the registry's first period)",
    },
    "history_stale": {
        "id": "**Rilis yang menjadi usang karena versi ini** (jalankan ulang berurutan, mis. `sigap run --period {period} --cascade`):",
        "en": "**Releases made stale by this version** (re-run them in order, e.g. `sigap run --period {period} --cascade`):",
    },
    "history_since": {"id": "Perubahan sejak versi {version}", "en": "Changes since version {version}"},
    "history_inputs_changed": {
        "id": "Ekstrak yang berubah (sha256, 16 digit heksa pertama):",
        "en": "Inputs changed (sha256, first 16 hex digits):",
    },
    "history_inputs_same": {
        "id": "Ekstrak: berkas yang sama dengan versi sebelumnya.",
        "en": "Inputs: the same files as the previous version.",
    },
    "history_rules": {"id": "- Aturan: `{old}` -> `{new}`", "en": "- Rules: `{old}` -> `{new}`"},
    "history_base_changed": {
        "id": "- Rilis dasar berubah: {old} -> {new}",
        "en": "- Base release changed: {old} -> {new}",
    },
    "history_base_same": {"id": "- Rilis dasar: tidak berubah", "en": "- Base release: unchanged"},
    "history_people": {
        "id": "Keputusan berubah untuk **{people}** orang (per orang di `{file}`):",
        "en": "Decisions changed for **{people}** people (person by person in `{file}`):",
    },
    "history_no_change": {"id": "Tidak ada keputusan yang berubah.", "en": "No decision changed."},
    # -- table headers --------------------------------------------------------------------
    "col_decision": {"id": "Keputusan", "en": "Decision"},
    "col_meaning": {"id": "Arti", "en": "Meaning"},
    "col_input": {"id": "Ekstrak", "en": "Input"},
    "col_before": {"id": "Sebelumnya", "en": "Before"},
    "col_now": {"id": "Sekarang", "en": "Now"},
    "col_decision_change": {"id": "Perubahan keputusan", "en": "Decision change"},
    "col_people": {"id": "Orang", "en": "People"},
    "col_reason": {"id": "Alasan", "en": "Reason"},
    "col_category": {"id": "Kategori", "en": "Category"},
    "col_eligible": {"id": "Layak", "en": "Eligible"},
    "col_covered": {"id": "Tertanggung", "en": "Covered"},
    "col_enroll": {"id": "Didaftarkan", "en": "Enrolled"},
    "col_waitlist": {"id": "Daftar tunggu", "en": "Waitlist"},
    "col_coverage": {"id": "Cakupan", "en": "Coverage"},
    "col_share": {"id": "Porsi", "en": "Share"},
    "col_kecamatan": {"id": "Kecamatan", "en": "Kecamatan"},
    "col_kelurahan": {"id": "Kelurahan", "en": "Kelurahan"},
    "col_total": {"id": "Jumlah", "en": "Total"},
    "col_period": {"id": "Periode", "en": "Period"},
    "col_version": {"id": "Versi", "en": "Version"},
    "col_monthly_cost": {"id": "Biaya bulanan", "en": "Monthly cost"},
    "col_billed": {"id": "Ditagih BPJS", "en": "Billed by BPJS"},
    "col_ytd": {"id": "Biaya s.d. bulan ini", "en": "Year-to-date cost"},
    "col_budget_used": {"id": "Terpakai dari anggaran", "en": "Budget used"},
    "col_annualised": {"id": "Biaya disetahunkan", "en": "Annualised cost"},
    "col_situation": {"id": "Situasi", "en": "Situation"},
    "col_months": {"id": "Bulan", "en": "Months"},
    "col_rupiah": {"id": "Rupiah", "en": "Rupiah"},
    "col_rows": {"id": "Baris", "en": "Rows"},
    "col_source": {"id": "Sumber", "en": "Source"},
    "col_file_rows": {"id": "Baris", "en": "Rows"},
    "col_accepted": {"id": "Diterima", "en": "Accepted"},
    "col_rejected": {"id": "Ditolak", "en": "Rejected"},
    "col_reject_pct": {"id": "% ditolak", "en": "Reject %"},
    "col_outcome": {"id": "Hasil", "en": "Outcome"},
    "col_change": {"id": "Perubahan", "en": "Change"},
    "col_desil": {"id": "Desil", "en": "Desil"},
    "outcome_passed": {"id": "lolos", "en": "passed"},
    "outcome_operator": {"id": "diterima operator", "en": "accepted by operator"},
    "outcome_failed": {"id": "GAGAL", "en": "FAILED"},
    "unknown": {"id": "tidak diketahui", "en": "unknown"},
    "none": {"id": "-", "en": "-"},
    "desil_n": {"id": "desil {n}", "en": "desil {n}"},
    # -- charts ---------------------------------------------------------------------------
    "chart_kecamatan": {"id": "Keputusan per kecamatan", "en": "Decisions by kecamatan"},
    "chart_desil": {"id": "Desil orang dalam cakupan", "en": "Desil mix of people in scope"},
    "chart_places": {"id": "Tempat: terpakai, baru didaftarkan, batas", "en": "Places: used, newly enrolled, cap"},
    "chart_places_caption": {
        "id": "terpakai {used} + didaftarkan {enrolled} dari batas {cap}",
        "en": "used {used} + enrolled {enrolled} of cap {cap}",
    },
    "chart_sex": {"id": "Cakupan menurut jenis kelamin", "en": "Coverage by sex"},
    "chart_age": {"id": "Cakupan menurut kelompok umur", "en": "Coverage by age band"},
    "chart_occupation": {"id": "Cakupan menurut kelompok pekerjaan", "en": "Coverage by occupation group"},
    "chart_disability": {"id": "Cakupan menurut disabilitas", "en": "Coverage by disability"},
    "chart_coverage_kecamatan": {"id": "Cakupan per kecamatan", "en": "Coverage by kecamatan"},
    "chart_trend_coverage": {"id": "Cakupan per periode", "en": "Coverage by period"},
    "chart_trend_cost": {
        "id": "Biaya bulanan per periode (garis: anggaran tahunan / 12)",
        "en": "Monthly cost by period (line: annual budget / 12)",
    },
    "chart_money": {"id": "Uang bulan ini", "en": "Money this month"},
    "money_bar_billed": {"id": "Ditagih BPJS", "en": "Billed by BPJS"},
    "money_bar_registry": {"id": "Biaya menurut registri", "en": "Registry's cost"},
    "money_bar_recover": {"id": "Untuk ditagih kembali", "en": "To recover"},
    "money_bar_arrears": {"id": "Tunggakan", "en": "Arrears"},
}

#: labels of the decisions (by enum value)
DECISION_LABELS: dict[str, dict[str, str]] = {
    Decision.KEEP.value: {"id": "tetap dibayar", "en": "keep paying"},
    Decision.REVERIFY.value: {"id": "dibayar, verifikasi ulang", "en": "keep paying, re-verify"},
    Decision.TERMINATE.value: {"id": "dihentikan setelah periode ini", "en": "stop after this period"},
    Decision.ENROLL.value: {"id": "didaftarkan", "en": "enrol"},
    Decision.WAITLIST.value: {"id": "daftar tunggu", "en": "waitlist"},
}

#: labels of the reasons (by enum value)
REASON_LABELS: dict[str, dict[str, str]] = {
    Reason.DECEASED.value: {"id": "meninggal (Dukcapil MATI)", "en": "deceased (Dukcapil MATI)"},
    Reason.MOVED_OUT.value: {"id": "pindah ke luar kota", "en": "moved out of the city"},
    Reason.AGE_ABOVE_LIMIT.value: {"id": "melewati batas umur", "en": "above the age limit"},
    Reason.DUPLICATE_ENROLLMENT.value: {"id": "terdaftar ganda", "en": "enrolled twice"},
    Reason.TERMINATION_PENDING.value: {
        "id": "penghentian belum diproses BPJS", "en": "termination not processed by BPJS",
    },
    Reason.NIK_NOT_FOUND.value: {"id": "NIK tidak ditemukan di Dukcapil", "en": "NIK not found in Dukcapil"},
    Reason.NIK_PROBABLE_TYPO.value: {"id": "NIK kemungkinan salah ketik", "en": "NIK probably mistyped"},
    Reason.IDENTITY_MISMATCH.value: {"id": "identitas tidak cocok", "en": "identity mismatch"},
    Reason.NOT_IN_DTSEN.value: {"id": "tidak ada di DTSEN", "en": "not in DTSEN"},
    Reason.DESIL_ABOVE_LIMIT.value: {"id": "desil di atas batas", "en": "desil above the limit"},
    Reason.FORMAL_OCCUPATION.value: {"id": "pekerjaan formal", "en": "formal occupation"},
    Reason.DOUBLE_FUNDED.value: {"id": "juga dibayar pihak lain", "en": "also paid by another payer"},
    Reason.REPORTED_DECEASED.value: {"id": "DTSEN melaporkan meninggal", "en": "reported deceased by DTSEN"},
    Reason.JKM_CLAIM_ALERT.value: {"id": "ahli waris dapat mengklaim JKM", "en": "heirs may claim JKM"},
    Reason.VERIFIED_ELIGIBLE.value: {"id": "diverifikasi layak", "en": "verified eligible"},
    Reason.VERIFIED_INELIGIBLE.value: {"id": "diverifikasi tidak layak", "en": "verified ineligible"},
    Reason.NIK_CORRECTED.value: {"id": "NIK dikoreksi", "en": "NIK corrected"},
}  # fmt: skip

#: labels of the population change types (by enum value)
CHANGE_LABELS: dict[str, dict[str, str]] = {
    ChangeType.DIED.value: {"id": "meninggal", "en": "died"},
    ChangeType.MOVED_OUT.value: {"id": "pindah keluar kota", "en": "moved out"},
    ChangeType.MOVED_WITHIN_CITY.value: {"id": "pindah dalam kota", "en": "moved within the city"},
    ChangeType.KK_CHANGED.value: {"id": "ganti kartu keluarga", "en": "family card changed"},
    ChangeType.NAME_CHANGED.value: {"id": "ganti nama", "en": "name changed"},
    ChangeType.BIRTH_DATE_CHANGED.value: {"id": "ganti tanggal lahir", "en": "birth date changed"},
    ChangeType.DESIL_CHANGED.value: {"id": "ganti desil", "en": "desil changed"},
    ChangeType.OCCUPATION_CHANGED.value: {"id": "ganti pekerjaan", "en": "occupation changed"},
    ChangeType.DISAPPEARED.value: {"id": "hilang dari ekstrak", "en": "disappeared from the extract"},
}

#: labels of the money view's situations (by enum value)
MONEY_LABELS: dict[str, dict[str, str]] = {
    MoneySituation.CONTRIBUTION_DIFFERS.value: {
        "id": "iuran berbeda dari yang ditetapkan (selisih per bulan)",
        "en": "contribution differs from the configured one (monthly difference)",
    },
    MoneySituation.TERMINATION_PENDING_BILLED.value: {
        "id": "masih ditagih setelah dihentikan (penghentian belum diproses)",
        "en": "still billed after termination (termination not processed)",
    },
    MoneySituation.BILLED_AFTER_DEATH.value: {
        "id": "ditagih untuk bulan setelah meninggal",
        "en": "billed for months after death",
    },
    MoneySituation.ARREARS.value: {
        "id": "menunggak lebih dari satu bulan (perlindungan berisiko)",
        "en": "in arrears more than one month (coverage at risk)",
    },
}

#: labels of breakdown categories (codes of ``domain.statistics``)
CATEGORY_LABELS: dict[str, dict[str, str]] = {
    "L": {"id": "laki-laki", "en": "male"},
    "P": {"id": "perempuan", "en": "female"},
    "TIDAK_DIKETAHUI": {"id": "tidak diketahui", "en": "unknown"},
    "LAINNYA": {"id": "lainnya (di luar 15-65 atau tidak diketahui)", "en": "other (outside 15-65 or unknown)"},
    "INFORMAL": {"id": "informal", "en": "informal"},
    "FORMAL": {"id": "formal", "en": "formal"},
    "TIDAK_BEKERJA": {"id": "tidak bekerja", "en": "not working"},
    "YA": {"id": "penyandang disabilitas", "en": "with a disability"},
    "TIDAK": {"id": "tanpa disabilitas", "en": "without a disability"},
}  # fmt: skip

#: labels of the BPJS categories (``KATEGORI``)
KATEGORI_LABELS: dict[str, dict[str, str]] = {
    "OJOL": {"id": "ojek daring", "en": "ride-hailing driver"},
    "ORGANDA": {"id": "anggota Organda (angkutan)", "en": "Organda member (transport)"},
    "PKL": {"id": "pedagang kaki lima", "en": "street vendor"},
    "UMKM": {"id": "pelaku UMKM", "en": "micro-business owner"},
    "PKH": {"id": "penerima PKH", "en": "PKH recipient"},
    "RT_RW": {"id": "ketua RT/RW", "en": "RT/RW head"},
    "KADER_POSYANDU": {"id": "kader Posyandu", "en": "Posyandu cadre"},
    "HONORER": {"id": "tenaga honorer", "en": "honorary staff"},
    "PEMULUNG": {"id": "pemulung", "en": "scavenger"},
    "BURUH_HARIAN": {"id": "buruh harian", "en": "day labourer"},
    "PRT": {"id": "pekerja rumah tangga", "en": "domestic worker"},
    "LAINNYA": {"id": "lainnya", "en": "other"},
}

#: every catalogue keyed by code, for the completeness test
CATALOGUES: dict[str, dict[str, dict[str, str]]] = {
    "texts": TEXTS,
    "decisions": DECISION_LABELS,
    "reasons": REASON_LABELS,
    "changes": CHANGE_LABELS,
    "money": MONEY_LABELS,
    "categories": CATEGORY_LABELS,
    "kategori": KATEGORI_LABELS,
}


def text(key: str, language: Language, /, **values: object) -> str:
    """The sentence ``key`` in ``language`` with its ``{placeholders}`` filled."""
    template = TEXTS[key][language]
    return template.format(**values) if values else template


def label(catalogue: dict[str, dict[str, str]], code: str, language: Language) -> str:
    """The label of ``code`` in a catalogue; the code itself when it has none."""
    entry = catalogue.get(str(code))
    return entry[language] if entry else str(code)


def number(value: float | None, language: Language) -> str:
    """A whole number with the language's thousands separator (``1.234`` / ``1,234``)."""
    if value is None or value != value:  # noqa: PLR0124 - NaN
        return "-"
    text_ = f"{round(value):,}"
    return text_.replace(",", ".") if language == "id" else text_


def percent(share: float | None, language: Language) -> str:
    """A share (0..1) as a percentage with one decimal (``45,5%`` / ``45.5%``)."""
    if share is None or share != share:  # noqa: PLR0124 - NaN
        return "-"
    text_ = f"{100 * share:.1f}%"
    return text_.replace(".", ",") if language == "id" else text_


def rupiah(value: float | None, language: Language = "id") -> str:
    """``Rp16.800`` (thousands with ``.`` in both languages: the rupiah's own notation)."""
    if value is None or value != value:  # noqa: PLR0124 - NaN
        return "-"
    sign = "-" if value < 0 else ""
    return f"{sign}Rp" + f"{abs(int(value)):,}".replace(",", ".")
