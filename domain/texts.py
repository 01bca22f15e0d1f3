"""Every user-facing sentence of SIGAP, in English and Bahasa Indonesia, in one catalogue.

:data:`CATALOGUE` maps a stable key to one template per language (:class:`Lang`).
Templates use ``{name}`` placeholders; the Indonesian template never needs a value the
English one does not have (it may leave some out: the citizen's letter shows no KPJ).
The keys are a public interface of this module (the report and the worklists reuse them):
add keys, never rename one.

=========================  =================================================================
``reason.<Reason>``        what a reason code means (short, capitalised)
``change.<ChangeType>``    what a population change means
``decision.<Decision>``    what a decision means
``evidence.<name>``        one evidence clause of ``registry_entry.evidence`` (the English
                           template *is* the published text; see ``domain.explain``)
``rule.<Rule>.label``      an eligibility rule of PROGRAM.md (``domain.assessment.Rule``)
``rule.<Rule>.<result>``   its outcome for one person, with the evidence value
``next.<step>``            what to do next (the citizen's letter, the operator's view)
``payer.<SUMBER_IURAN>``   a BPJS payer
``keberadaan.<code>``      a DTSEN ``STATUS_KEBERADAAN`` value
``status.<STATUS_DASAR>``  a Dukcapil ``STATUS_DASAR`` value
``reject.<rule>``          a quarantine (rejects file) rule, for people whose row was rejected
``source.<Source>``        the name of an extract's provider
``month.<1..12>``          month names
``explain.*``, ``letter.*``  the lines of ``sigap explain`` (operator) and of the letter
=========================  =================================================================

:func:`text` fills one template; :func:`render` fills one template for whole columns
(pandas string concatenation: no per-row Python), which is how the evidence is built.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from datetime import date
from enum import StrEnum

import pandas as pd


class Lang(StrEnum):
    EN = "en"
    ID = "id"


_E, _I = Lang.EN, Lang.ID


def _t(en: str, id_: str) -> dict[Lang, str]:
    return {_E: en, _I: id_}


CATALOGUE: dict[str, dict[Lang, str]] = {
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
    # -- month names --------------------------------------------------------------------
    "month.1": _t("January", "Januari"),
    "month.2": _t("February", "Februari"),
    "month.3": _t("March", "Maret"),
    "month.4": _t("April", "April"),
    "month.5": _t("May", "Mei"),
    "month.6": _t("June", "Juni"),
    "month.7": _t("July", "Juli"),
    "month.8": _t("August", "Agustus"),
    "month.9": _t("September", "September"),
    "month.10": _t("October", "Oktober"),
    "month.11": _t("November", "November"),
    "month.12": _t("December", "Desember"),
    # -- value names --------------------------------------------------------------------
    "payer.APBD_KOTA": _t("APBD_KOTA", "APBD Kota Bekasi"),
    "payer.MANDIRI": _t("MANDIRI", "sendiri (mandiri)"),
    "payer.APBD_PROV": _t("APBD_PROV", "APBD Provinsi"),
    "payer.CSR": _t("CSR", "program CSR perusahaan"),
    "keberadaan.1": _t("present", "ada"),
    "keberadaan.2": _t("died", "meninggal"),
    "keberadaan.3": _t("moved", "pindah"),
    "keberadaan.4": _t("abroad", "di luar negeri"),
    "keberadaan.6": _t("not found", "tidak ditemukan"),
    "status.HIDUP": _t("alive", "hidup"),
    "status.MATI": _t("deceased", "meninggal dunia"),
    "status.PINDAH": _t("moved away", "pindah"),
    "group.FORMAL": _t("FORMAL", "pekerja formal"),
    "group.INFORMAL": _t("INFORMAL", "pekerja informal"),
    "group.TIDAK_BEKERJA": _t("TIDAK_BEKERJA", "tidak bekerja"),
    "source.dukcapil": _t("Dukcapil", "Dukcapil"),
    "source.dtsen": _t("DTSEN", "DTSEN"),
    "source.bpjstk": _t("BPJS Ketenagakerjaan", "BPJS Ketenagakerjaan"),
    # -- quarantine rules (expectations.predicates; rejects files) ------------------------
    "reject.REQUIRED": _t("a required value is empty", "ada isian wajib yang kosong"),
    "reject.NIK_FORMAT": _t("the NIK is not 16 digits", "NIK tidak terdiri dari 16 digit"),
    "reject.NIK_REGION": _t(
        "the NIK's region code does not exist", "kode wilayah pada NIK tidak dikenal"
    ),
    "reject.NIK_DATE": _t(
        "the NIK's birth date part is not a date", "bagian tanggal lahir pada NIK tidak valid"
    ),
    "reject.NIK_SERIAL": _t("the NIK's serial is 0000", "nomor urut NIK tidak valid"),
    "reject.INT_FORMAT": _t("a number is not a whole number", "isian angka tidak valid"),
    "reject.INT_RANGE": _t("a number is out of range", "isian angka di luar rentang"),
    "reject.DATE_FORMAT": _t("a date is not in the contract's format", "format tanggal tidak valid"),
    "reject.DATE_RANGE": _t("a date is out of range", "tanggal di luar rentang"),
    "reject.DATE_IN_FUTURE": _t("a date is in the future", "tanggal berada di masa depan"),
    "reject.ALLOWED_VALUES": _t("a code is not an allowed value", "kode isian tidak dikenal"),
    "reject.KELURAHAN_UNKNOWN": _t("the kelurahan code does not exist", "kode kelurahan tidak dikenal"),
    "reject.KODE_WILAYAH_FORMAT": _t(
        "the region code is malformed", "format kode wilayah tidak valid"
    ),
    "reject.DUPLICATE_KEY": _t(
        "the NIK occurs more than once in the file", "NIK tercatat lebih dari sekali"
    ),
    "reject.TGL_PERISTIWA_IFF_NOT_HIDUP": _t(
        "the event date does not fit STATUS_DASAR", "tanggal peristiwa tidak sesuai status"
    ),
    "reject.TGL_PERISTIWA_BEFORE_BIRTH": _t(
        "the event date is before the birth date", "tanggal peristiwa sebelum tanggal lahir"
    ),
    "reject.NIK_DATE_MISMATCH": _t(
        "the NIK's date differs from the birth date", "tanggal pada NIK berbeda dengan tanggal lahir"
    ),
    "reject.NIK_BARU_REQUIRED": _t("NIK_BARU is missing", "NIK baru tidak diisi"),
    "reject.FIELD_COUNT": _t(
        "the line could not be split into the contract's fields",
        "baris data tidak dapat dibaca (jumlah kolom salah)",
    ),
    "reject.STRAY_CR": _t("a stray carriage return in the line", "ada karakter tidak valid"),
    "reject.DIGITS": _t("a number has the wrong number of digits", "jumlah digit tidak sesuai"),
    "reject.other": _t("the row broke rule {rule}", "data tidak sesuai aturan {rule}"),
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


def text(key: str, lang: Lang | str = Lang.EN, /, **values: object) -> str:
    """The template ``key`` in ``lang``, filled with ``values`` (extra values are ignored:
    the letter leaves some out). ``KeyError`` for an unknown key."""
    return CATALOGUE[key][Lang(lang)].format(**{k: "" if v is None else v for k, v in values.items()})


def has(key: str) -> bool:
    return key in CATALOGUE


def long_date(value: date, lang: Lang | str) -> str:
    """``31 August 2026`` / ``31 Agustus 2026``."""
    return f"{value.day} {text(f'month.{value.month}', lang)} {value.year}"


def period_words(period: str, lang: Lang | str) -> str:
    """``2026-08`` (English: the period as the operator types it) / ``Agustus 2026``."""
    if Lang(lang) is Lang.EN:
        return period
    return f"{text(f'month.{int(period[5:7])}', lang)} {period[:4]}"


def fields(template: str) -> list[str]:
    """The placeholder names of a template, in order."""
    return [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]


def render(
    key: str, lang: Lang | str, index: pd.Index, prefix: str = "", **values: pd.Series | str
) -> pd.Series:
    """``prefix`` and ``key``'s template filled column-wise: each value is a string Series
    on ``index`` or one string for every row. String concatenation, no per-row Python:
    one-string values and literals are joined first, so a template with one column costs
    at most two concatenations over the rows."""
    pieces: list[pd.Series | str] = [prefix] if prefix else []
    for literal, name, _, _ in string.Formatter().parse(CATALOGUE[key][Lang(lang)]):
        if literal:
            pieces.append(literal)
        if name is not None:
            pieces.append(values[name])
    folded: list[pd.Series | str] = []
    for piece in pieces:
        if isinstance(piece, str) and folded and isinstance(folded[-1], str):
            folded[-1] = folded[-1] + piece
        else:
            folded.append(piece)
    if not any(isinstance(p, pd.Series) for p in folded):
        return pd.Series("".join(folded), index=index, dtype="str")  # type: ignore[arg-type]
    out = folded[0]
    for piece in folded[1:]:
        out = out + piece
    return out  # type: ignore[return-value]


# -- reading a rendered English template back (for translation at rendering time) ---------
def pattern(key: str) -> re.Pattern[str]:
    """A regular expression that matches exactly the English rendering of ``key`` and
    captures each placeholder by name (non-greedy; anchored at both ends)."""
    parts = []
    for literal, name, _, _ in string.Formatter().parse(CATALOGUE[key][Lang.EN]):
        parts.append(re.escape(literal))
        if name is not None:
            parts.append(f"(?P<{name}>.*?)")
    return re.compile("^" + "".join(parts) + "$", re.DOTALL)


def variants(prefix: str) -> list[str]:
    """The keys ``prefix`` and ``prefix.<variant>``, most specific first (longest literal
    text first), so that a rendering is read back by the template that made it."""
    keys = [k for k in CATALOGUE if k == prefix or k.startswith(prefix + ".")]

    def literal_length(key: str) -> int:
        return sum(len(lit) for lit, _, _, _ in string.Formatter().parse(CATALOGUE[key][Lang.EN]))

    return sorted(keys, key=lambda k: (-literal_length(k), k))


def describe(kind: str, codes: Iterable[object], lang: Lang | str) -> dict[str, str]:
    """``{code: text}`` of ``<kind>.<code>`` for each code (unknown codes as themselves)."""
    return {str(c): CATALOGUE.get(f"{kind}.{c}", {}).get(Lang(lang), str(c)) for c in codes}
