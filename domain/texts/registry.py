"""The catalogue's words of the registry: what a reason, a population change and a
decision mean, and the evidence clauses of ``registry_entry.evidence`` (the English
template *is* the published text; see ``domain.explain``).
"""

from __future__ import annotations

from domain.texts.lang import Lang, _t

REGISTRY_TEXTS: dict[str, dict[Lang, str]] = {
    # -- reasons (registry_entry.reasons) ------------------------------------------------
    "reason.DECEASED": _t("Died according to Dukcapil", "Meninggal dunia menurut Dukcapil"),
    "reason.MOVED_OUT": _t("Moved out of Kota Bekasi", "Pindah ke luar Kota Bekasi"),
    "reason.AGE_ABOVE_LIMIT": _t("Age above the maximum", "Usia di atas batas maksimum"),
    "reason.DUPLICATE_ENROLLMENT": _t(
        "Enrolled more than once (duplicate KPJ)", "Terdaftar lebih dari satu kali (KPJ ganda)"
    ),
    "reason.TERMINATION_PENDING": _t(
        "Last period's termination not yet processed by BPJS Ketenagakerjaan",
        "Penghentian bulan lalu belum diproses BPJS Ketenagakerjaan",
    ),
    "reason.NIK_NOT_FOUND": _t("NIK not found in Dukcapil", "NIK tidak ditemukan di Dukcapil"),
    "reason.NIK_PROBABLE_TYPO": _t("NIK probably mistyped", "NIK kemungkinan salah ketik"),
    "reason.IDENTITY_MISMATCH": _t(
        "Name or birth date does not match Dukcapil",
        "Nama atau tanggal lahir tidak cocok dengan Dukcapil",
    ),
    "reason.NOT_IN_DTSEN": _t("Not registered in DTSEN", "Tidak terdaftar di DTSEN"),
    "reason.DESIL_ABOVE_LIMIT": _t("DTSEN desil above the limit", "Desil DTSEN di atas batas"),
    "reason.FORMAL_OCCUPATION": _t(
        "Dukcapil occupation is formal employment",
        "Pekerjaan di Dukcapil termasuk pekerja formal",
    ),
    "reason.DOUBLE_FUNDED": _t(
        "Contribution also paid by another payer (double funding)",
        "Iuran juga dibayar pihak lain (pembiayaan ganda)",
    ),
    "reason.REPORTED_DECEASED": _t(
        "Reported deceased in DTSEN, alive in Dukcapil",
        "Dilaporkan meninggal di DTSEN, masih hidup di Dukcapil",
    ),
    "reason.JKM_CLAIM_ALERT": _t(
        "The heirs may claim the JKM benefit", "Ahli waris dapat mengajukan klaim JKM"
    ),
    "reason.VERIFIED_ELIGIBLE": _t("Verified: eligible", "Sudah diverifikasi: layak"),
    "reason.VERIFIED_INELIGIBLE": _t("Verified: not eligible", "Sudah diverifikasi: tidak layak"),
    "reason.NIK_CORRECTED": _t(
        "NIK corrected by re-verification", "NIK sudah dikoreksi melalui verifikasi"
    ),
    # -- population changes (population_change.change_type) ------------------------------
    "change.DIED": _t("Died", "Meninggal dunia"),
    "change.MOVED_OUT": _t("Moved out of Kota Bekasi", "Pindah ke luar Kota Bekasi"),
    "change.MOVED_WITHIN_CITY": _t(
        "Moved to another kelurahan within Kota Bekasi", "Pindah kelurahan di dalam Kota Bekasi"
    ),
    "change.KK_CHANGED": _t("Family card (KK) number changed", "Nomor KK berubah"),
    "change.NAME_CHANGED": _t("Name changed", "Nama berubah"),
    "change.BIRTH_DATE_CHANGED": _t("Birth date changed", "Tanggal lahir berubah"),
    "change.DESIL_CHANGED": _t("DTSEN desil changed", "Desil DTSEN berubah"),
    "change.OCCUPATION_CHANGED": _t("Occupation changed", "Pekerjaan berubah"),
    "change.DISAPPEARED": _t(
        "No longer in the Dukcapil or DTSEN data", "Tidak ada lagi di data Dukcapil atau DTSEN"
    ),
    # -- decisions ----------------------------------------------------------------------
    "decision.KEEP": _t(
        "KEEP: stays a participant, the city keeps paying",
        "Anda tetap menjadi peserta SIGAP; iuran JKK dan JKM Anda tetap dibayar "
        "Pemerintah Kota Bekasi.",
    ),
    "decision.REVERIFY": _t(
        "REVERIFY: the city keeps paying this period while the kelurahan re-verifies the data",
        "Anda tetap menjadi peserta pada periode ini, tetapi data Anda perlu diverifikasi "
        "ulang oleh petugas kelurahan.",
    ),
    "decision.TERMINATE": _t(
        "TERMINATE: the city stops paying after this period",
        "Kepesertaan Anda yang dibayar Pemerintah Kota Bekasi dihentikan setelah periode ini.",
    ),
    "decision.ENROLL": _t(
        "ENROLL: eligible, to be registered; the city starts paying",
        "Anda memenuhi syarat dan akan didaftarkan sebagai peserta SIGAP; iuran JKK dan "
        "JKM Anda dibayar Pemerintah Kota Bekasi.",
    ),
    "decision.WAITLIST": _t(
        "WAITLIST: eligible, beyond this period's places (rank {rank})",
        "Anda memenuhi syarat, tetapi kuota periode ini sudah penuh: Anda masuk daftar "
        "tunggu dengan nomor urut {rank} dan akan didaftarkan bila ada tempat.",
    ),
    # -- evidence clauses: the English template is the published evidence text ------------
    "evidence.DECEASED": _t(
        "Dukcapil STATUS_DASAR=MATI on {date}",
        "Dukcapil mencatat meninggal dunia (STATUS_DASAR=MATI) pada {date}",
    ),
    "evidence.JKM_CLAIM_ALERT": _t(
        "died {died} on or after TGL_AKTIF {aktif}, the heirs may claim the JKM benefit",
        "meninggal {died}, pada atau setelah TGL_AKTIF {aktif}: ahli waris dapat mengajukan "
        "klaim JKM",
    ),
    "evidence.JKM_CLAIM_ALERT.unknown_start": _t(
        "died {died} and TGL_AKTIF is unknown (BPJS delivered none readable): check the "
        "coverage start, the heirs may claim the JKM benefit",
        "meninggal {died} dan TGL_AKTIF tidak diketahui (BPJS tidak mengirim tanggal yang "
        "dapat dibaca): periksa awal kepesertaan, ahli waris dapat mengajukan klaim JKM",
    ),
    "evidence.MOVED_OUT.status": _t(
        "Dukcapil STATUS_DASAR=PINDAH on {date}",
        "Dukcapil mencatat pindah (STATUS_DASAR=PINDAH) pada {date}",
    ),
    "evidence.MOVED_OUT.domicile": _t(
        "Dukcapil domicile NO_PROP={prop} NO_KAB={kab}, outside 32.75",
        "domisili Dukcapil NO_PROP={prop} NO_KAB={kab}, di luar Kota Bekasi (32.75)",
    ),
    "evidence.AGE_ABOVE_LIMIT": _t(
        "age {age} on {on} (Dukcapil TGL_LHR {born}), maximum {max}",
        "usia {age} tahun pada {on} (TGL_LHR Dukcapil {born}), batas maksimum {max}",
    ),
    "evidence.DUPLICATE_ENROLLMENT": _t(
        "same NIK on active city-paid KPJ {kpj} (TGL_AKTIF {aktif}), which is kept",
        "NIK yang sama juga aktif pada KPJ {kpj} yang dibayar APBD Kota (TGL_AKTIF {aktif}); "
        "KPJ itu yang dipertahankan",
    ),
    "evidence.TERMINATION_PENDING": _t(
        "TERMINATE in the previous period's release, BPJS still lists "
        "STATUS_KEPESERTAAN=AKTIF: send the deactivation again",
        "sudah dihentikan (TERMINATE) pada rilis periode sebelumnya, tetapi BPJS masih "
        "mencatat STATUS_KEPESERTAAN=AKTIF: kirim ulang penonaktifan",
    ),
    "evidence.NIK_NOT_FOUND": _t(
        "BPJS NIK {nik} not in Dukcapil, no probable match",
        "NIK BPJS {nik} tidak ditemukan di Dukcapil, tidak ada kecocokan yang mungkin",
    ),
    "evidence.NIK_NOT_FOUND.malformed": _t(
        "BPJS NIK {nik} (not 16 digits) not in Dukcapil, no probable match",
        "NIK BPJS {nik} (bukan 16 digit) tidak ditemukan di Dukcapil, tidak ada kecocokan "
        "yang mungkin",
    ),
    "evidence.NIK_NOT_FOUND.ambiguous": _t(
        "BPJS NIK {nik} not in Dukcapil, {candidates} Dukcapil records fit the typo rule "
        "(ambiguous, none suggested)",
        "NIK BPJS {nik} tidak ditemukan di Dukcapil; {candidates} data Dukcapil cocok dengan "
        "aturan salah ketik (tidak pasti, tidak ada usulan)",
    ),
    "evidence.NIK_NOT_FOUND.malformed_ambiguous": _t(
        "BPJS NIK {nik} (not 16 digits) not in Dukcapil, {candidates} Dukcapil records fit "
        "the typo rule (ambiguous, none suggested)",
        "NIK BPJS {nik} (bukan 16 digit) tidak ditemukan di Dukcapil; {candidates} data "
        "Dukcapil cocok dengan aturan salah ketik (tidak pasti, tidak ada usulan)",
    ),
    "evidence.NIK_PROBABLE_TYPO": _t(
        "suggested {nik}, birth date {born} equal, name similarity {similarity}, "
        "{edits} digit edits",
        "usulan NIK {nik}, tanggal lahir {born} sama, kemiripan nama {similarity}, "
        "{edits} digit berbeda",
    ),
    "evidence.NIK_PROBABLE_TYPO.one": _t(
        "suggested {nik}, birth date {born} equal, name similarity {similarity}, "
        "{edits} digit edit",
        "usulan NIK {nik}, tanggal lahir {born} sama, kemiripan nama {similarity}, "
        "{edits} digit berbeda",
    ),
    "evidence.IDENTITY_MISMATCH.birth": _t(
        "BPJS TGL_LAHIR {bpjs_born} vs Dukcapil TGL_LHR {born}",
        "TGL_LAHIR BPJS {bpjs_born} berbeda dengan TGL_LHR Dukcapil {born}",
    ),
    "evidence.IDENTITY_MISMATCH.name": _t(
        "name similarity {similarity} (minimum {minimum})",
        "kemiripan nama {similarity} (minimum {minimum})",
    ),
    "evidence.IDENTITY_MISMATCH.both": _t(
        "BPJS TGL_LAHIR {bpjs_born} vs Dukcapil TGL_LHR {born}, name similarity {similarity} "
        "(minimum {minimum})",
        "TGL_LAHIR BPJS {bpjs_born} berbeda dengan TGL_LHR Dukcapil {born}, kemiripan nama "
        "{similarity} (minimum {minimum})",
    ),
    "evidence.NOT_IN_DTSEN": _t(
        "NIK {nik} has no DTSEN record", "NIK {nik} tidak terdaftar di DTSEN"
    ),
    "evidence.DESIL_ABOVE_LIMIT": _t(
        "DTSEN desil {desil} (ranked {ranked}), maximum {max}",
        "desil DTSEN {desil} (pemeringkatan {ranked}), batas maksimum {max}",
    ),
    "evidence.FORMAL_OCCUPATION": _t(
        "Dukcapil occupation {occupation}", "pekerjaan di Dukcapil {occupation}"
    ),
    "evidence.DOUBLE_FUNDED": _t(
        "also AKTIF under {payer} (KPJ {kpj})", "juga AKTIF dengan pembayar {payer} (KPJ {kpj})"
    ),
    "evidence.REPORTED_DECEASED": _t(
        "DTSEN STATUS_KEBERADAAN=2 (died, ranked {ranked}) but Dukcapil STATUS_DASAR=HIDUP",
        "DTSEN STATUS_KEBERADAAN=2 (meninggal, pemeringkatan {ranked}) tetapi Dukcapil "
        "STATUS_DASAR=HIDUP",
    ),
    "evidence.NIK_CORRECTED": _t(
        "re-verification corrected BPJS NIK {old} to {new}",
        "verifikasi ulang mengoreksi NIK BPJS {old} menjadi {new}",
    ),
    "evidence.VERIFIED_ELIGIBLE": _t(
        "re-verification (LAYAK) confirmed eligible",
        "verifikasi ulang (LAYAK) menyatakan layak",
    ),
    "evidence.VERIFIED_INELIGIBLE": _t(
        "re-verification (TIDAK_LAYAK) found not eligible",
        "verifikasi ulang (TIDAK_LAYAK) menyatakan tidak layak",
    ),
    "evidence.CLEARED": _t(
        "{reasons} by re-verification (LAYAK)",
        "{reasons} dinyatakan selesai oleh verifikasi ulang (LAYAK)",
    ),
    "evidence.ELIGIBLE": _t(
        "desil {desil}, age {age}, occupation {occupation}",
        "memenuhi syarat: desil {desil}, usia {age}, pekerjaan {occupation}",
    ),
    "evidence.ELIGIBLE.pkh": _t(
        "desil {desil}, age {age}, occupation {occupation}, PKH",
        "memenuhi syarat: desil {desil}, usia {age}, pekerjaan {occupation}, penerima PKH",
    ),
    "evidence.PRIORITY": _t(
        "rank {rank} of {total} (free places {free})",
        "peringkat {rank} dari {total} (tempat tersedia {free})",
    ),
    #: the body of a population change clause of a case (``domain.cases``):
    #: ``CODE: before -> after (source)``
    "evidence.CHANGE": _t("{before} -> {after} ({source})", "{before} -> {after} ({source})"),
    "value.unknown": _t("unknown", "tidak diketahui"),
    "value.empty": _t("(empty)", "(kosong)"),
}
