"""The catalogue's names of values: months, payers, DTSEN ``STATUS_KEBERADAAN``, Dukcapil
``STATUS_DASAR``, occupation groups, the sources, and the quarantine rules of the rejects
files (``expectations.predicates``).
"""

from __future__ import annotations

from domain.texts.lang import Lang, _t

VALUE_TEXTS: dict[str, dict[Lang, str]] = {
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
}
