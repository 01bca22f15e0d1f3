"""A population built so that the rules which cross partitions all occur, many times
over (so that, for every partition count tested, some instances *do* cross), and the
identity check shared by the partition tests.

Every situation below is planted ``k`` times with distinct NIKs:

* probable typos (one digit substituted in the serial): the suggested record is eligible
  and must not be enrolled again;
* ambiguous typos: two records fit, no suggestion, both remain candidates;
* duplicate enrolments: two city-paid KPJs on one NIK, and one made by a correction;
* double funding: a MANDIRI row on the same NIK, also reached through a correction of a
  malformed BPJS NIK;
* corrections whose *original* BPJS NIK is another resident (covered by that BPJS row);
* re-verification outcomes (LAYAK, TIDAK_LAYAK), pending terminations, deaths with the
  JKM alert, moves, malformed and empty NIKs, non-active and other-payer rows;
* plenty of eligible residents with varied desil/PKH/age, so the quota splits them.
"""

from __future__ import annotations

import pandas as pd

from domain.partition import partition_of
from domain.reconcile import ReconcileInputs, Reconciliation
from domain.rules import RuleParameters
from tests.unit.domain.frames import PERIOD, bpjstk, dtsen, dukcapil

FIRST = ["SITI", "AHMAD", "DEWI", "BUDI", "RINA", "AGUS", "NUR", "HENDRA", "SRI", "JOKO"]
LAST = ["AMINAH", "SUBARJO", "LESTARI", "SANTOSO", "MARLINA", "SETIAWAN", "HAYATI", "GUNAWAN"]


def name(i: int) -> str:
    return f"{FIRST[i % len(FIRST)]} {LAST[(i // len(FIRST)) % len(LAST)]} {chr(65 + i % 26)}"


def birth(i: int) -> str:
    return f"{1960 + i % 40}-{1 + i % 12:02d}-{1 + i % 28:02d}"


def nik(kec: int, i: int, serial_base: int = 1000) -> str:
    """A well-formed NIK: 3275 + kecamatan + DDMMYY (fixed) + serial."""
    return f"3275{kec:02d}{1 + i % 28:02d}{1 + i % 12:02d}{(60 + i % 40) % 100:02d}{serial_base + i:04d}"


def cross_partition_population(k: int = 12) -> tuple[ReconcileInputs, RuleParameters]:
    duk: list[dict] = []
    dts: list[dict] = []
    bp: list[dict] = []
    verified: list[dict] = []
    terminated: list[str] = []
    kpj_no = iter(range(10_000_000_001, 10_000_100_000))

    def resident(n: str, i: int, **duk_fields) -> None:
        duk.append({"NIK": n, "NAMA_LGKP": name(i), "TGL_LHR": birth(i), **duk_fields})
        dts.append({"NIK": n, "DESIL": 1 + i % 5, "PENERIMA_PKH": i % 3 == 0})

    def participant(n: str | None, i: int, **fields) -> str:
        kpj = str(next(kpj_no))
        bp.append({"KPJ": kpj, "NIK": n, "NAMA": name(i), "TGL_LAHIR": birth(i), **fields})
        return kpj

    for j in range(k):
        # a probable typo: serial digit 15 substituted
        i = 100 + j
        real = nik(1, i)
        resident(real, i)
        typed = real[:15] + str((int(real[15]) + 5) % 10)
        participant(typed, i)
        # an ambiguous typo: two records one substitution away, same birth date and name
        i = 200 + j
        typed = nik(2, i)
        for pos, digit in ((13, "7"), (14, "8")):
            other = typed[:pos] + digit + typed[pos + 1 :]
            duk.append({"NIK": other, "NAMA_LGKP": name(i), "TGL_LHR": birth(i)})
            dts.append({"NIK": other, "DESIL": 2, "PENERIMA_PKH": True})
        participant(typed, i)
        # a duplicate enrolment
        i = 300 + j
        resident(nik(3, i), i)
        participant(nik(3, i), i, TGL_AKTIF="2024-01-01")
        participant(nik(3, i), i, TGL_AKTIF="2025-01-01")
        # a duplicate made by a correction whose original NIK is another (eligible) resident
        i = 400 + j
        resident(nik(4, i), i)
        resident(nik(5, i), i + 1)
        participant(nik(4, i), i)
        wrong = participant(nik(5, i), i, TGL_AKTIF="2020-02-02")
        verified.append({"kpj": wrong, "nik": nik(5, i), "hasil": "NIK_DIKOREKSI",
                         "nik_baru": nik(4, i), "triggers": "NIK_NOT_FOUND"})  # fmt: skip
        # double funding, directly and through the correction of a malformed NIK
        i = 500 + j
        resident(nik(6, i), i)
        participant(nik(6, i), i)
        participant(nik(6, i), i, SUMBER_IURAN="MANDIRI")
        resident(nik(7, i), i)
        participant(nik(7, i), i, SUMBER_IURAN="CSR")
        broken = participant(nik(7, i)[:5] + "O" + nik(7, i)[6:], i)
        verified.append({"kpj": broken, "nik": None, "hasil": "NIK_DIKOREKSI",
                         "nik_baru": nik(7, i), "triggers": ""})  # fmt: skip
        # re-verification outcomes and pending terminations
        i = 600 + j
        resident(nik(8, i), i)
        dts[-1]["DESIL"] = 7
        kpj = participant(nik(8, i), i)
        hasil = ("LAYAK", "TIDAK_LAYAK", "LAYAK")[j % 3]
        verified.append({"kpj": kpj, "nik": nik(8, i), "hasil": hasil,
                         "nik_baru": None, "triggers": "DESIL_ABOVE_LIMIT"})  # fmt: skip
        if j % 4 == 0:
            terminated.append(kpj)
        # deaths (JKM alert), moves, the limits
        i = 700 + j
        resident(nik(9, i), i, STATUS_DASAR="MATI", TGL_PERISTIWA="2026-10-03")
        participant(nik(9, i), i, TGL_AKTIF="2025-11-05")
        resident(nik(10, i), i, NO_KAB=16)
        participant(nik(10, i), i)
        # malformed, empty and null NIKs; inactive and other-payer-only rows
        i = 800 + j
        participant((nik(11, i)[:15], "", None, nik(11, i) + "9")[j % 4], i)
        resident(nik(12, i), i)
        participant(nik(12, i), i, STATUS_KEPESERTAAN="NONAKTIF")
        resident(nik(12, i + 50), i + 50)
        participant(nik(12, i + 50), i + 50, SUMBER_IURAN="APBD_PROV")
    # plenty of eligible residents for the ranking
    for i in range(900, 900 + 8 * k):
        resident(nik(1 + i % 12, i, serial_base=5000), i, JENIS_PKRJN=(84, 88, 89)[i % 3])
    # outcomes that concern no participant
    verified.append(
        {"kpj": "99999999999", "nik": None, "hasil": "LAYAK", "nik_baru": None, "triggers": ""}
    )
    verified.append(
        {"kpj": None, "nik": nik(1, 100), "hasil": "TIDAK_LAYAK", "nik_baru": None, "triggers": ""}
    )

    inputs = ReconcileInputs(
        period=PERIOD,
        dukcapil=dukcapil(duk),
        dtsen=dtsen(dts),
        bpjstk=bpjstk(bp),
        previous_terminated_kpjs=frozenset(terminated),
        verified=pd.DataFrame(verified, columns=["kpj", "nik", "hasil", "nik_baru", "triggers"]),
    )
    current = sum(1 for r in bp if r.get("SUMBER_IURAN", "APBD_KOTA") == "APBD_KOTA"
                  and r.get("STATUS_KEPESERTAAN", "AKTIF") == "AKTIF")  # fmt: skip
    return inputs, RuleParameters(quota=current + 4 * k)


def crossing(a: pd.Series, b: pd.Series, n: int) -> int:
    """How many pairs (a[i], b[i]) of NIKs fall in different partitions of ``n``."""
    return int((partition_of(a, n) != partition_of(b, n)).sum())


def assert_identical(expected: Reconciliation, actual: Reconciliation) -> None:
    """The partitioned result is the single-process one: entries (rows, order, values,
    dtypes, index), quota, counts, reason counts, period and rules version."""
    pd.testing.assert_frame_equal(expected.entries, actual.entries, check_exact=True)
    assert actual.quota == expected.quota
    assert actual.counts == expected.counts
    assert actual.reason_counts == expected.reason_counts
    assert (actual.period, actual.rules_version) == (expected.period, expected.rules_version)
