"""The money view (PROGRAM.md, "Money"): what BPJS bills the city against what the
registry says. It changes no decision and no reason.

From the accepted BPJS list, the Dukcapil frame (dates of death), the previous period's
terminations and the release's entries, for the period ``P``:

* **billed**: the sum of ``IURAN_BULANAN`` over city-paid ``AKTIF`` rows (split by the
  registry's decision of each KPJ), against the registry's cost (the
  ``monthly_contribution_idr`` of its ``KEEP`` + ``REVERIFY`` entries); the rows whose
  contribution differs from the configured one (``CONTRIBUTION_DIFFERS``: KPJ, amount,
  the monthly difference).
* **paid for people the city has stopped**, to recover from BPJS:
  ``TERMINATION_PENDING_BILLED``: rows still ``AKTIF`` whose KPJ the previous period's
  release terminated (every such row counts as a person; the months paid after the
  termination are ``BULAN_IURAN_TERAKHIR - (P - 1)`` when positive);
  ``BILLED_AFTER_DEATH``: participants the release terminates as ``DECEASED`` whose last
  month paid is after the month of death (Dukcapil ``TGL_PERISTIWA``): months
  ``BULAN_IURAN_TERAKHIR`` minus the month of death. Rupiah = months x the row's
  ``IURAN_BULANAN``. A KPJ in both counts once in ``to_recover`` (its larger months).
* **arrears** (``ARREARS``, coverage at risk): participants the city keeps paying
  (``KEEP``/``REVERIFY``) whose ``BULAN_IURAN_TERAKHIR`` is more than one month before
  ``P``: months in arrears ``P - BULAN_IURAN_TERAKHIR`` (the unpaid months up to and
  including ``P``), rupiah = months x ``IURAN_BULANAN``.

A value that cannot be read (an empty or malformed ``BULAN_IURAN_TERAKHIR``, a null
``IURAN_BULANAN``) is unknown, never a crash: such rows are counted as "not readable"
(``unreadable``) and left out of the sums they would enter.

The finance office's list (:attr:`MoneyView.rows`) has one row per KPJ and situation:
``kpj``, ``kode_kelurahan`` (the release's, null when the NIK did not match),
``situation``, ``iuran_bulanan``, ``bulan_iuran_terakhir``, ``months``, ``idr``. No NIK, no
name. Vectorised over the BPJS list (tens of thousands of rows) and the few deceased.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from domain.codes import Decision, Reason
from domain.periods import parse_period
from domain.reconcile import current_participants
from domain.rules import RuleParameters


class MoneySituation(StrEnum):
    """The situations of the finance office's list (``situasi`` in the outbox file)."""

    CONTRIBUTION_DIFFERS = "CONTRIBUTION_DIFFERS"
    TERMINATION_PENDING_BILLED = "TERMINATION_PENDING_BILLED"
    BILLED_AFTER_DEATH = "BILLED_AFTER_DEATH"
    ARREARS = "ARREARS"


ROW_COLUMNS: tuple[str, ...] = (
    "kpj", "kode_kelurahan", "situation", "iuran_bulanan", "bulan_iuran_terakhir", "months",
    "idr",
)  # fmt: skip

#: the finance office's file (``keuangan_YYYYMM_vN.csv``): its columns, from :data:`ROW_COLUMNS`
FINANCE_COLUMNS: dict[str, str] = {
    "kpj": "kpj", "kode_kelurahan": "kode_kelurahan", "situation": "situasi",
    "iuran_bulanan": "iuran_bulanan", "bulan_iuran_terakhir": "bulan_iuran_terakhir",
    "months": "bulan", "idr": "rupiah",
}  # fmt: skip

#: a participant is in arrears when the last month paid is more than this many months
#: before the period
ARREARS_AFTER_MONTHS = 1


def month_number(text: pd.Series) -> pd.Series:
    """``YYYY-MM`` -> ``12 * year + month - 1`` (``Int64``); null for anything else
    (``2026-1``, ``2026-13``, empty...). Arrow compute: no Python work per value."""
    values = pc.utf8_trim_whitespace(pa.array(text.astype("str"), from_pandas=True))
    ok = pc.fill_null(pc.match_substring_regex(values, r"^\d{4}-(0[1-9]|1[0-2])$"), False)
    shaped = pc.if_else(ok, values, pa.scalar("0000-01", values.type))
    year = pc.cast(pc.utf8_slice_codeunits(shaped, 0, 4), pa.int64())
    month = pc.cast(pc.utf8_slice_codeunits(shaped, 5, 7), pa.int64())
    number = pc.if_else(ok, pc.add(pc.multiply(year, 12), pc.subtract(month, 1)), None)
    return pd.Series(pd.array(number, dtype="Int64"), index=text.index)


def _period_number(period: str) -> int:
    year, month = parse_period(period)
    return 12 * year + month - 1


@dataclass(frozen=True)
class MoneyView:
    """The summary (JSON-able, stored with the release) and the finance office's list."""

    summary: dict
    rows: pd.DataFrame = field(repr=False)


def _people_months_idr(months: pd.Series, iuran: pd.Series) -> dict:
    """People (every row), months and rupiah (rows whose months and contribution are
    known), unreadable rows (months or contribution unknown)."""
    known = months.notna() & iuran.notna()
    m = months[known].astype("int64")
    return {
        "people": len(months),
        "months": int(m.sum()),
        "idr": int((m * iuran[known].astype("int64")).sum()),
        "unreadable": int((~known).sum()),
    }


def money_view(
    period: str,
    bpjstk: pd.DataFrame,
    dukcapil: pd.DataFrame,
    entries: pd.DataFrame,
    previous_terminated_kpjs: frozenset[str] | set[str],
    params: RuleParameters,
) -> MoneyView:
    """The money view of one period (see the module docstring). ``bpjstk``: the accepted
    BPJS frame; ``dukcapil``: the accepted Dukcapil frame (``NIK``, ``STATUS_DASAR``,
    ``TGL_PERISTIWA``); ``entries``: the release's (ENTRY_COLUMNS)."""
    p = _period_number(period)
    contribution = int(params.monthly_contribution_idr)
    city = current_participants(bpjstk)
    kpj = city["KPJ"].astype("str").reset_index(drop=True)
    iuran = (
        pd.to_numeric(city["IURAN_BULANAN"], errors="coerce").astype("Int64").reset_index(drop=True)
    )
    last_text = city["BULAN_IURAN_TERAKHIR"].astype("str").reset_index(drop=True)
    last = month_number(last_text)

    participants = entries[entries["kpj"].notna().to_numpy(dtype=bool)]
    by_kpj = (
        participants.assign(kpj=participants["kpj"].astype("str"))
        .drop_duplicates("kpj")
        .set_index("kpj")
    )
    decision = kpj.map(by_kpj["decision"].astype("str")).astype("str")
    kelurahan = kpj.map(by_kpj["kode_kelurahan"]).astype("str")
    reasons = kpj.map(by_kpj["reasons"].astype("str")).fillna("").astype("str")
    paid = decision.isin([Decision.KEEP.value, Decision.REVERIFY.value])

    # billed against the registry's cost ---------------------------------------------------
    billed = int(iuran.sum(skipna=True))
    by_decision = {
        d.value: int(iuran[decision == d.value].sum(skipna=True))
        for d in (Decision.KEEP, Decision.REVERIFY, Decision.TERMINATE)
    }
    in_registry = (
        entries["decision"].astype("str").isin([Decision.KEEP.value, Decision.REVERIFY.value])
    )
    registry_cost = int(
        pd.to_numeric(
            entries.loc[in_registry.to_numpy(dtype=bool), "monthly_contribution_idr"]
        ).sum()
    )

    frames: list[pd.DataFrame] = []

    def listed(
        mask: pd.Series, situation: MoneySituation, months: pd.Series, idr: pd.Series
    ) -> None:
        mask = mask.fillna(False).to_numpy(dtype=bool)
        if not mask.any():
            return
        frames.append(
            pd.DataFrame(
                {
                    "kpj": kpj[mask].to_numpy(),
                    "kode_kelurahan": kelurahan[mask].to_numpy(),
                    "situation": situation.value,
                    "iuran_bulanan": iuran[mask].to_numpy(),
                    "bulan_iuran_terakhir": last_text[mask].to_numpy(),
                    "months": months[mask].to_numpy(),
                    "idr": idr[mask].to_numpy(),
                }
            )
        )

    # contribution differs ---------------------------------------------------------------------
    differs = iuran.notna() & (iuran != contribution)
    difference = (iuran - contribution).astype("Int64")
    listed(
        differs,
        MoneySituation.CONTRIBUTION_DIFFERS,
        pd.Series(pd.NA, index=kpj.index, dtype="Int64"),
        difference,
    )

    # terminations not processed ----------------------------------------------------------------
    pending = kpj.isin({str(k).strip() for k in previous_terminated_kpjs})
    pending_months = (last - (p - 1)).clip(lower=0).astype("Int64")
    listed(
        pending, MoneySituation.TERMINATION_PENDING_BILLED, pending_months, pending_months * iuran
    )

    # billed after death --------------------------------------------------------------------------
    deceased = reasons.str.contains(rf"(?:^|;){Reason.DECEASED.value}(?:;|$)", regex=True)
    deceased = deceased.fillna(False).astype(bool)
    death = pd.Series(pd.NA, index=kpj.index, dtype="Int64")
    if deceased.any():
        niks = kpj[deceased].map(by_kpj["nik"].astype("str"))
        # the few deceased first (a city's Dukcapil has millions of rows), then their status
        dead = dukcapil.loc[
            dukcapil["NIK"].isin(set(niks.dropna())).to_numpy(dtype=bool),
            ["NIK", "STATUS_DASAR", "TGL_PERISTIWA"],
        ]
        dead = dead[
            dead["STATUS_DASAR"]
            .astype("str")
            .str.strip()
            .str.upper()
            .eq("MATI")
            .to_numpy(dtype=bool)
        ]
        dead = dead.drop_duplicates("NIK")
        when = pd.to_datetime(dead["TGL_PERISTIWA"], errors="coerce")
        died = pd.Series(
            (when.dt.year * 12 + when.dt.month - 1).to_numpy(), index=dead["NIK"].astype("str")
        )
        death.loc[deceased] = niks.map(died).astype("Int64").to_numpy()
    after_death = (last - death).astype("Int64")
    billed_after_death = deceased & (after_death > 0).fillna(False)
    unknown_death = deceased & after_death.isna()
    listed(billed_after_death, MoneySituation.BILLED_AFTER_DEATH, after_death, after_death * iuran)

    # arrears ---------------------------------------------------------------------------------------
    behind = (p - last).astype("Int64")
    arrears = paid & (behind > ARREARS_AFTER_MONTHS).fillna(False)
    listed(arrears, MoneySituation.ARREARS, behind, behind * iuran)

    rows = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame({c: pd.Series(dtype="object") for c in ROW_COLUMNS})
    )
    rows = rows.astype({"kpj": "str", "kode_kelurahan": "str", "situation": "str",
                        "iuran_bulanan": "Int64", "bulan_iuran_terakhir": "str",
                        "months": "Int64", "idr": "Int64"})  # fmt: skip
    rows = rows.sort_values(["situation", "kpj"], kind="stable").reset_index(drop=True)

    def subset(mask: pd.Series) -> tuple[pd.Series, pd.Series]:
        m = mask.fillna(False).to_numpy(dtype=bool)
        return m, iuran[m]

    m_pending, i_pending = subset(pending)
    m_dead, i_dead = subset(billed_after_death)
    m_arrears, i_arrears = subset(arrears)
    recover = pd.DataFrame(
        {
            "kpj": pd.concat([kpj[m_pending], kpj[m_dead]]),
            "months": pd.concat([pending_months[m_pending], after_death[m_dead]]),
            "iuran": pd.concat([i_pending, i_dead]),
        }
    )
    recover = recover[recover["months"].fillna(0) > 0]
    recover = recover.sort_values("months", ascending=False, kind="stable").drop_duplicates("kpj")
    summary = {
        "period": period,
        "contribution_idr": contribution,
        "billed": {
            "rows": len(kpj),
            "idr": billed,
            "unreadable": int(iuran.isna().sum()),
            "by_decision_idr": by_decision,
        },
        "registry_cost_idr": registry_cost,
        "difference_idr": billed - registry_cost,
        "contribution_differs": {
            "rows": int(differs.sum()),
            "difference_idr": int(difference[differs.fillna(False).to_numpy(dtype=bool)].sum()),
        },
        "termination_pending": _people_months_idr(pending_months[m_pending], i_pending),
        "billed_after_death": {
            **_people_months_idr(after_death[m_dead], i_dead),
            "unreadable": int(unknown_death.sum()),
        },
        "to_recover": {
            "people": len(recover),
            "months": int(recover["months"].astype("int64").sum()),
            "idr": int(
                (
                    recover["months"].astype("int64") * recover["iuran"].fillna(0).astype("int64")
                ).sum()
            ),
        },
        "arrears": _people_months_idr(behind[m_arrears], i_arrears),
        "last_month_paid_unreadable": int(last.isna().sum()),
    }
    return MoneyView(summary=summary, rows=rows[list(ROW_COLUMNS)])


def finance_list(rows: pd.DataFrame, descriptions: dict[str, str]) -> pd.DataFrame:
    """The finance office's file from :attr:`MoneyView.rows`: the columns of
    :data:`FINANCE_COLUMNS` and, after ``situasi``, ``keterangan`` (``descriptions`` of
    each situation, in the office's language)."""
    out = rows[list(FINANCE_COLUMNS)].rename(columns=FINANCE_COLUMNS)
    out.insert(
        out.columns.get_loc("situasi") + 1,
        "keterangan",
        out["situasi"].map(descriptions).fillna("").astype("str"),
    )
    return out.reset_index(drop=True)
