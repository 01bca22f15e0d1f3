"""The catalogue's words of one person's assessment (``domain.assessment``): each
eligibility rule of PROGRAM.md, its outcome with the evidence value, and what to do next.
"""

from __future__ import annotations

from domain.texts.lang import Lang, _t

ASSESSMENT_TEXTS: dict[str, dict[Lang, str]] = {
    # -- the eligibility rules of PROGRAM.md for one person (domain.assessment) ----------
    "rule.DUKCAPIL_RECORD.label": _t("Dukcapil record", "Terdaftar di Dukcapil"),
    "rule.DUKCAPIL_RECORD.pass": _t(
        "present in the Dukcapil extract", "NIK Anda terdaftar di data Dukcapil"
    ),
    "rule.DUKCAPIL_RECORD.fail": _t(
        "no Dukcapil record with this NIK", "NIK Anda tidak ditemukan di data Dukcapil"
    ),
    "rule.ALIVE.label": _t("Dukcapil STATUS_DASAR = HIDUP", "Status kependudukan hidup"),
    "rule.ALIVE.pass": _t("STATUS_DASAR=HIDUP", "tercatat hidup"),
    "rule.ALIVE.fail": _t(
        "STATUS_DASAR={status_code} ({status}) on {date}", "tercatat {status} sejak {date}"
    ),
    "rule.DOMICILE.label": _t(
        "domicile in Kota Bekasi (32.75)", "Berdomisili (KTP) di Kota Bekasi (32.75)"
    ),
    "rule.DOMICILE.pass": _t(
        "domicile {region_code} ({region})", "domisili {region_code} ({region})"
    ),
    "rule.DOMICILE.fail": _t(
        "domicile {region_code} ({region}), not Kota Bekasi",
        "domisili {region_code} ({region}), bukan Kota Bekasi",
    ),
    "rule.DTSEN_RECORD.label": _t("DTSEN record", "Terdaftar di DTSEN"),
    "rule.DTSEN_RECORD.pass": _t(
        "present, ranked {ranked}", "terdaftar, pemeringkatan {ranked}"
    ),
    "rule.DTSEN_RECORD.fail": _t("no DTSEN record", "tidak terdaftar di DTSEN"),
    "rule.DESIL.label": _t("DTSEN desil 1..{max}", "Desil DTSEN 1 sampai {max}"),
    "rule.DESIL.pass": _t("DTSEN desil {desil}, maximum {max}", "desil {desil}, batas {max}"),
    "rule.DESIL.fail": _t(
        "DTSEN desil {desil}, maximum {max}", "desil {desil}, batas maksimum {max}"
    ),
    "rule.AGE.label": _t("age {min}..{max}", "Usia {min} sampai {max} tahun"),
    "rule.AGE.pass": _t(
        "age {age} on {on} (born {born})", "usia {age} tahun pada {on} (lahir {born})"
    ),
    "rule.AGE.fail": _t(
        "age {age} on {on} (born {born}), allowed {min}..{max}",
        "usia {age} tahun pada {on} (lahir {born}), syarat {min} sampai {max} tahun",
    ),
    "rule.NOT_FORMAL.label": _t("occupation not FORMAL", "Bukan pekerja formal"),
    "rule.NOT_FORMAL.pass": _t(
        "occupation '{occupation}' is {group}", "pekerjaan '{occupation}' ({group})"
    ),
    "rule.NOT_FORMAL.fail": _t(
        "occupation '{occupation}' is {group}", "pekerjaan '{occupation}' ({group})"
    ),
    "rule.WORKING.label": _t(
        "occupation not TIDAK_BEKERJA (not yet enrolled)", "Bekerja (bukan tidak bekerja)"
    ),
    "rule.WORKING.pass": _t(
        "occupation '{occupation}' is {group}", "pekerjaan '{occupation}' ({group})"
    ),
    "rule.WORKING.fail": _t(
        "occupation '{occupation}' is {group}", "pekerjaan '{occupation}' ({group})"
    ),
    "rule.DTSEN_PRESENT.label": _t(
        "DTSEN STATUS_KEBERADAAN = 1 (not yet enrolled)", "Tercatat ada di tempat menurut DTSEN"
    ),
    "rule.DTSEN_PRESENT.pass": _t(
        "DTSEN STATUS_KEBERADAAN 1 (present)", "status keberadaan DTSEN: ada"
    ),
    "rule.DTSEN_PRESENT.fail": _t(
        "DTSEN STATUS_KEBERADAAN {keberadaan_code} ({keberadaan}), must be 1 (present)",
        "status keberadaan DTSEN: {keberadaan}",
    ),
    "rule.NOT_COVERED.label": _t(
        "not already covered (no AKTIF BPJS row of any payer)",
        "Belum terlindungi BPJS Ketenagakerjaan dari pembayar lain",
    ),
    "rule.NOT_COVERED.pass": _t(
        "no AKTIF BPJS Ketenagakerjaan row with this NIK",
        "belum terdaftar aktif di BPJS Ketenagakerjaan",
    ),
    "rule.NOT_COVERED.fail": _t(
        "already covered: active {payer} participant (KPJ {kpj})",
        "sudah terdaftar aktif di BPJS Ketenagakerjaan, iuran dibayar {payer}",
    ),
    "rule.NOT_LINKED.label": _t(
        "not linked to a current participant", "Tidak terkait dengan peserta yang sudah ada"
    ),
    "rule.NOT_LINKED.pass": _t(
        "not linked to any participant", "tidak terkait dengan peserta lain"
    ),
    "rule.NOT_LINKED.fail": _t(
        "linked to KPJ {kpj} as the suggested NIK of a probable typo (decision {decision})",
        "ada data peserta BPJS Ketenagakerjaan dengan NIK yang berbeda sedikit dari NIK "
        "Anda (kemungkinan salah ketik) yang sedang diverifikasi ulang",
    ),
    # outcome words of one rule
    "result.pass": _t("pass", "memenuhi"),
    "result.fail": _t("FAIL", "tidak memenuhi"),
    "result.na": _t("n/a", "tidak berlaku"),
    "result.unknown": _t("not checked", "tidak dapat diperiksa"),
    "result.not_checked_dukcapil": _t(
        "no Dukcapil record to check", "tidak ada data Dukcapil untuk diperiksa"
    ),
    "result.not_checked_dtsen": _t(
        "no DTSEN record to check", "tidak ada data DTSEN untuk diperiksa"
    ),
    "result.participant_only": _t(
        "checked only for people not yet enrolled",
        "hanya diperiksa untuk warga yang belum menjadi peserta",
    ),
    # -- what to do next ----------------------------------------------------------------
    "next.update_dukcapil": _t(
        "update the population data (KTP/KK) at the kelurahan or Disdukcapil",
        "Perbarui data kependudukan (KTP/KK) Anda di kelurahan atau Disdukcapil Kota Bekasi.",
    ),
    "next.check_nik": _t(
        "check that the NIK is typed correctly (as on the KTP)",
        "Periksa kembali NIK Anda (sesuai KTP); jika NIK benar, perbarui data kependudukan "
        "di kelurahan atau Disdukcapil Kota Bekasi.",
    ),
    "next.domicile": _t(
        "the program is for Kota Bekasi residents (KTP 32.75); Kabupaten Bekasi (32.16) is "
        "another government",
        "Program SIGAP hanya untuk warga ber-KTP Kota Bekasi (32.75); Kabupaten Bekasi "
        "(32.16) adalah pemerintah daerah yang berbeda. Jika Anda sudah pindah ke Kota "
        "Bekasi, perbarui data kependudukan di kelurahan.",
    ),
    "next.dtsen_register": _t(
        "contact the DTSEN officer at the kelurahan to register the household in DTSEN",
        "Hubungi petugas DTSEN di kelurahan agar keluarga Anda didata dalam DTSEN.",
    ),
    "next.dtsen_update": _t(
        "contact the DTSEN officer at the kelurahan if the household's situation changed "
        "(DTSEN re-ranks every quarter)",
        "Hubungi petugas DTSEN di kelurahan jika kondisi ekonomi keluarga Anda berubah; "
        "desil DTSEN diperbarui setiap triwulan.",
    ),
    "next.age": _t(
        "nothing to update unless the birth date in Dukcapil is wrong",
        "Tidak ada yang perlu diperbarui, kecuali tanggal lahir di data kependudukan "
        "keliru.",
    ),
    "next.occupation": _t(
        "if the KTP occupation is out of date, update it at the kelurahan or Disdukcapil",
        "Jika pekerjaan di KTP Anda sudah tidak sesuai, perbarui data pekerjaan di "
        "kelurahan atau Disdukcapil Kota Bekasi.",
    ),
    "next.covered": _t(
        "nothing to do: already protected by BPJS Ketenagakerjaan",
        "Anda sudah terlindungi BPJS Ketenagakerjaan; tidak ada yang perlu dilakukan.",
    ),
    "next.linked": _t(
        "the kelurahan re-verifies the linked participant (`sigap explain --kpj`)",
        "Bawa KTP dan KK ke kelurahan untuk membantu verifikasi data tersebut.",
    ),
    "next.reverify": _t(
        "the kelurahan officer re-verifies the case (worklist)",
        "Petugas kelurahan akan memverifikasi ulang data Anda; siapkan KTP dan KK.",
    ),
    "next.quarantined": _t(
        "the {source} row broke the extract contract: the provider must correct it "
        "(rejects file)",
        "Data Anda dari {source} tidak dapat diproses karena tidak sesuai format; petugas "
        "akan meminta penyedia data memperbaikinya.",
    ),
    "next.waitlist": _t(
        "nothing to do: enrolled when a place frees up",
        "Tidak ada yang perlu dilakukan; Anda akan didaftarkan bila ada tempat.",
    ),
    "next.none": _t("nothing to do", "Tidak ada yang perlu dilakukan."),
    "next.deceased": _t(
        "the heirs may claim the JKM benefit at BPJS Ketenagakerjaan",
        "Ahli waris dapat mengajukan klaim JKM ke BPJS Ketenagakerjaan.",
    ),
}
