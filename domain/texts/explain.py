"""The catalogue's lines of ``sigap explain``: the operator's view (English) and the
citizen's letter (Bahasa Indonesia).
"""

from __future__ import annotations

from domain.texts.lang import Lang, _t

EXPLAIN_TEXTS: dict[str, dict[Lang, str]] = {
    # -- sigap explain: the operator's view (en) and the citizen's letter (id) ----------
    "explain.release": _t(
        "{period_label} release v{version} (id {release_id}, rules {rules_version})",
        "Periode {period_label}, rilis versi {version}",
    ),
    "explain.rules_differ": _t(
        "note: today's rules ({current}) differ from the release's ({release}): the checks "
        "below use today's parameters",
        "Catatan: aturan yang berlaku saat ini berbeda dengan aturan rilis ini.",
    ),
    "explain.person": _t("NIK {nik}: {name}", "NIK: {nik}"),
    "explain.name": _t("name {name}", "Nama: {name}"),
    "explain.kelurahan": _t(
        "kelurahan {kelurahan_code} ({kelurahan}, kecamatan {kecamatan})",
        "Kelurahan: {kelurahan}, Kecamatan {kecamatan} ({kelurahan_code})",
    ),
    "explain.rules_heading": _t(
        "eligibility rules (PROGRAM.md) on {on}:",
        "Syarat kepesertaan yang diperiksa (per {on}):",
    ),
    "explain.in_scope": _t("outcome: in scope", "Hasil:"),
    "explain.out_of_scope": _t(
        "outcome: OUT OF SCOPE (not eligible or already covered): {rules}",
        "Hasil: Anda belum memenuhi syarat kepesertaan SIGAP pada periode ini.",
    ),
    "explain.inconsistent": _t(
        "outcome: every rule passes, yet the release has no entry for this NIK: the release "
        "was made with other rules or inputs",
        "Hasil: data Anda perlu diperiksa oleh petugas.",
    ),
    "explain.not_found": _t(
        "outcome: NIK found in no accepted extract of {period}",
        "Hasil: NIK Anda tidak ditemukan dalam data Dukcapil, DTSEN, maupun BPJS "
        "Ketenagakerjaan periode ini.",
    ),
    "explain.searched": _t("extracts searched:", "Data yang diperiksa:"),
    "explain.searched_one": _t(
        "{source_name}: {file}, sha256 {sha256}..., {rows} row(s) with this NIK",
        "{source_name} ({file})",
    ),
    "explain.searched_missing": _t(
        "{source_name}: no accepted extract recorded on the release",
        "{source_name} (tidak tersedia)",
    ),
    "explain.quarantined_heading": _t(
        "quarantined rows with this NIK (rejected by validation, not in the accepted extract):",
        "Data Anda yang tidak dapat diproses:",
    ),
    "explain.quarantined_one": _t(
        "{source_name}: {file} line {line}, column {column}, rule {rule} ({rule_text})",
        "{source_name}: {rule_text} (kolom {column})",
    ),
    "explain.no_quarantine": _t(
        "no quarantined row with this NIK", "Tidak ada data Anda yang ditolak."
    ),
    "explain.baselines_gone": _t(
        "the accepted extracts of release v{version} are no longer stored ({missing}): "
        "only the release's entries can be shown",
        "Data periode ini tidak lagi tersimpan; hanya keputusan yang tercatat dapat "
        "ditampilkan.",
    ),
    "explain.entries": _t("entries in the release:", "Keputusan:"),
    "explain.no_entry": _t(
        "no entry for this NIK in the release", "Tidak ada keputusan untuk NIK ini."
    ),
    "explain.next_heading": _t("next:", "Langkah selanjutnya:"),
    "explain.linked_kpj": _t(
        "linked participant: KPJ {kpj} ({decision}, {reasons}); see `sigap explain --kpj {kpj}`",
        "peserta terkait: KPJ {kpj} ({decision})",
    ),
    "letter.title": _t(
        "SIGAP KOTA BEKASI: RESULT OF THE DATA CHECK",
        "SURAT KETERANGAN HASIL PEMERIKSAAN DATA PROGRAM SIGAP KOTA BEKASI",
    ),
    "letter.subtitle": _t(
        "(BPJS Ketenagakerjaan JKK and JKM cover for informal workers, contributions paid by "
        "the Kota Bekasi government)",
        "(perlindungan BPJS Ketenagakerjaan JKK dan JKM bagi pekerja informal, iuran dibayar "
        "Pemerintah Kota Bekasi)",
    ),
    "letter.reasons": _t("Reasons: {reasons}", "Alasan: {reasons}"),
    "letter.footer": _t(
        "This letter was made from the Dukcapil, DTSEN and BPJS Ketenagakerjaan data of "
        "{period_label} and holds only your own data. Questions: ask the kelurahan officer.",
        "Surat ini dibuat dari data Dukcapil, DTSEN dan BPJS Ketenagakerjaan periode "
        "{period_label} dan hanya memuat data Anda sendiri. Pertanyaan dapat disampaikan "
        "kepada petugas kelurahan.",
    ),
}
