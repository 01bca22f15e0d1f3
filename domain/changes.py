"""Change detection: what changed in the population since the previous period.

The previous period's accepted extracts are the *baseline*; this period's are *current*.
:func:`detect_changes` compares them person by person (by NIK) for the people in scope
(participants' NIKs, ENROLL, WAITLIST) and returns one row per detected change, with the
before and after values as text and whether the change triggers re-verification.

Only the Dukcapil and DTSEN extracts are compared: a change in the BPJS list is not a
change of the population (it is what reconciliation itself reacts to).

How each change type is detected (``b`` = baseline row, ``c`` = current row, same NIK):

========================  ========  ===================================================
change type               source    detected when
========================  ========  ===================================================
``DIED``                  dukcapil  ``c.STATUS_DASAR = MATI`` and ``b`` was not MATI (or
                                    the NIK is new and appears as MATI)
``MOVED_OUT``             dukcapil  ``c.STATUS_DASAR = PINDAH`` and ``b`` was not PINDAH
                                    (or the NIK is new and appears as PINDAH); else the
                                    domicile ``NO_PROP``/``NO_KAB`` was 32.75 in ``b`` and
                                    is not in ``c``
``MOVED_WITHIN_CITY``     dukcapil  domicile in 32.75 in both, kelurahan code differs
``KK_CHANGED``            dukcapil  ``NO_KK`` differs
``NAME_CHANGED``          dukcapil  ``NAMA_LGKP`` differs after strip, upper case and
                                    collapsing inner spaces (padding/case noise is not a
                                    change; spelling is)
``BIRTH_DATE_CHANGED``    dukcapil  ``TGL_LHR`` differs
``OCCUPATION_CHANGED``    dukcapil  ``JENIS_PKRJN`` differs
``DESIL_CHANGED``         dtsen     ``DESIL`` differs
``DISAPPEARED``           either    NIK in the baseline extract of a source and absent
                                    from the current extract of the same source, unless
                                    the disappearance is explained (see below)
========================  ========  ===================================================

A disappearance is *explained*, and not reported, when the baseline Dukcapil record
already had ``STATUS_DASAR`` MATI or PINDAH (by the contract a person whose status
changed appears once more and then leaves the extract). For DTSEN it is also explained
when this period's Dukcapil record is MATI or PINDAH: that death or move is reported
itself (``DIED``/``MOVED_OUT``) and the DTSEN record leaving with it adds nothing.

Comparisons need a value on both sides: a null compared with a value is not a change
(the typed frames have no nulls in these columns except where the contract allows).

Before/after text formats (``before``/``after`` columns, always text, null where the
side does not exist):

* dates: ISO ``YYYY-MM-DD``;
* kelurahan: ``32.75.CC.NNNN`` (``NO_PROP.NO_KAB.NO_KEC(2).NO_KEL(4)``);
* desil and occupation code: the integer, e.g. ``7``, ``88``;
* name and KK: as in the extract, stripped;
* ``DIED``/``MOVED_OUT`` by status: the ``STATUS_DASAR`` values (``HIDUP`` -> ``MATI``;
  before is null for a NIK absent from the baseline); ``MOVED_OUT`` by domicile: the
  kelurahan codes (``32.75.01.1001`` -> ``32.16.05.2003``);
* ``DISAPPEARED``: before = the last known kelurahan (Dukcapil domicile, or DTSEN
  ``KODE_WILAYAH``), after = null.

Whether a change triggers re-verification is one table, :data:`REVERIFICATION_POLICY`.

Everything is vectorised: all NIKs are hashed once into integer codes, each source's
baseline and current rows are aligned by code (the equivalent of one merge per source),
columns are compared as arrays, and text is formatted only for the rows that changed.
Full city, 2.6M against 2.6M rows of both sources: 3-4 s and 0.6 GB above the input
frames on one core (measured with ``numpy``/``pyarrow`` of the locked environment).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core.errors import InvalidInput
from domain.codes import CITY_KAB, CITY_PROP, ChangeType, Source
from domain.identity import nik_keys
from domain.reference import occupation_group
from domain.rules import RuleParameters

#: the columns of :func:`detect_changes`' result, in order
CHANGE_COLUMNS: tuple[str, ...] = (
    "nik",
    "change_type",
    "before",
    "after",
    "source",
    "triggers_reverification",
)

#: Dukcapil statuses after which a person leaves the extract (the contract: appears once)
_LEAVING = ("MATI", "PINDAH")


class Trigger(StrEnum):
    """When a change type triggers re-verification."""

    ALWAYS = "always"
    NEVER = "never"
    #: only when the old and new occupation codes are in different groups
    #: (``FORMAL``/``INFORMAL``/``TIDAK_BEKERJA``, ``domain.reference.occupation_group``)
    OCCUPATION_GROUP_CHANGES = "occupation group changes"
    #: only when the old and new desil are on different sides of ``params.max_desil``
    CROSSES_MAX_DESIL = "crosses max_desil"


@dataclass(frozen=True)
class TriggerPolicy:
    trigger: Trigger
    why: str


#: The re-verification policy, one row per change type. A change *triggers* when it can
#: alter the person's eligibility or identity; certain exits do not open a case because
#: reconciliation terminates the participant outright.
REVERIFICATION_POLICY: dict[ChangeType, TriggerPolicy] = {
    ChangeType.DIED: TriggerPolicy(
        Trigger.NEVER, "certain: reconciliation TERMINATEs (DECEASED), no officer needed"
    ),
    ChangeType.MOVED_OUT: TriggerPolicy(
        Trigger.NEVER, "certain: reconciliation TERMINATEs (MOVED_OUT), no officer needed"
    ),
    ChangeType.MOVED_WITHIN_CITY: TriggerPolicy(
        Trigger.NEVER,
        "still a resident: it only moves an open case to the new kelurahan",
    ),
    ChangeType.KK_CHANGED: TriggerPolicy(
        Trigger.ALWAYS, "a family event: the household (and its DTSEN ranking) may change"
    ),
    ChangeType.NAME_CHANGED: TriggerPolicy(
        Trigger.ALWAYS, "identity: the participant's name must still match the person"
    ),
    ChangeType.BIRTH_DATE_CHANGED: TriggerPolicy(Trigger.ALWAYS, "identity and age eligibility"),
    ChangeType.OCCUPATION_CHANGED: TriggerPolicy(
        Trigger.OCCUPATION_GROUP_CHANGES,
        "eligibility only changes with the occupation group (e.g. INFORMAL -> FORMAL)",
    ),
    ChangeType.DESIL_CHANGED: TriggerPolicy(
        Trigger.CROSSES_MAX_DESIL,
        "eligibility only changes when the desil crosses the maximum (e.g. 5 -> 6)",
    ),
    ChangeType.DISAPPEARED: TriggerPolicy(
        Trigger.ALWAYS, "unexplained absence: the record must be found again"
    ),
}

_TYPE_ORDER = {t.value: i for i, t in enumerate(ChangeType)}

_DUKCAPIL_COLUMNS = (
    "NIK",
    "NO_KK",
    "NAMA_LGKP",
    "TGL_LHR",
    "JENIS_PKRJN",
    "NO_PROP",
    "NO_KAB",
    "NO_KEC",
    "NO_KEL",
    "STATUS_DASAR",
)
_DTSEN_COLUMNS = ("NIK", "DESIL", "KODE_WILAYAH")
#: the columns change detection reads from each source (a baseline is loaded with only
#: these: a fraction of the memory of the full frames)
COMPARED_COLUMNS: dict[Source, tuple[str, ...]] = {
    Source.DUKCAPIL: _DUKCAPIL_COLUMNS,
    Source.DTSEN: _DTSEN_COLUMNS,
}


def empty_changes() -> pd.DataFrame:
    """A change frame with no rows and the right columns and dtypes."""
    return pd.DataFrame(
        {
            "nik": pd.Series([], dtype="str"),
            "change_type": pd.Series([], dtype="str"),
            "before": pd.Series([], dtype="str"),
            "after": pd.Series([], dtype="str"),
            "source": pd.Series([], dtype="str"),
            "triggers_reverification": pd.Series([], dtype=bool),
        }
    )


def detect_changes(
    baseline: Mapping[Source, pd.DataFrame],
    current: Mapping[Source, pd.DataFrame],
    scope_niks: pd.Series,
    params: RuleParameters,
) -> pd.DataFrame:
    """Changes between the baseline and the current typed extracts, for NIKs in scope.

    ``baseline``/``current`` map a :class:`Source` to its typed, accepted frame (see
    ``docs/DESIGN.md``); only Dukcapil and DTSEN are read and a source missing from either
    side (e.g. the first period: no baseline) is not compared. ``scope_niks`` are the NIKs
    of the people in scope; changes of anyone else are not reported.

    Returns :data:`CHANGE_COLUMNS`: ``nik``, ``change_type`` (a :class:`ChangeType`
    value), ``before``, ``after`` (text, formats in the module docstring), ``source``
    (``dukcapil``/``dtsen``), ``triggers_reverification`` (bool, from
    :data:`REVERIFICATION_POLICY`). Sorted by NIK, then change type, then source; a
    person can have several rows.
    """
    frames = {
        "baseline dukcapil": _columns(baseline.get(Source.DUKCAPIL), _DUKCAPIL_COLUMNS),
        "current dukcapil": _columns(current.get(Source.DUKCAPIL), _DUKCAPIL_COLUMNS),
        "baseline dtsen": _columns(baseline.get(Source.DTSEN), _DTSEN_COLUMNS),
        "current dtsen": _columns(current.get(Source.DTSEN), _DTSEN_COLUMNS),
    }
    present = {name: f for name, f in frames.items() if f is not None}
    keys = _NikCodes({"scope": scope_niks, **{n: f["NIK"] for n, f in present.items()}})
    in_scope = keys.flags("scope")

    # NIKs whose Dukcapil record is MATI/PINDAH in either period (explains a DTSEN exit)
    leaving = np.zeros(keys.size + 1, dtype=bool)
    for name in ("baseline dukcapil", "current dukcapil"):
        if name in present:
            left = present[name]["STATUS_DASAR"].isin(_LEAVING).to_numpy()
            leaving[keys.codes(name)[left]] = True
    leaving[-1] = False

    parts: list[pd.DataFrame] = []
    if "baseline dukcapil" in present and "current dukcapil" in present:
        aligned = keys.align(present, "baseline dukcapil", "current dukcapil", in_scope)
        parts.extend(_dukcapil_changes(aligned))
    if "baseline dtsen" in present and "current dtsen" in present:
        aligned = keys.align(present, "baseline dtsen", "current dtsen", in_scope)
        parts.extend(_dtsen_changes(aligned, params, explained=leaving))

    parts = [p for p in parts if len(p)]
    if not parts:
        return empty_changes()
    out = pd.concat(parts, ignore_index=True)
    out["triggers_reverification"] = _apply_policy(out["change_type"], out.pop("_condition"))
    order = out["change_type"].map(_TYPE_ORDER)
    out = (
        out.assign(_order=order)
        .sort_values(["nik", "_order", "source"], kind="stable")
        .drop(columns="_order")
        .reset_index(drop=True)
    )
    for col in ("nik", "change_type", "before", "after", "source"):
        out[col] = out[col].astype("str")
    out["triggers_reverification"] = out["triggers_reverification"].astype(bool)
    return out[list(CHANGE_COLUMNS)]


# ------------------------------------------------------------------------------------
def _columns(frame: pd.DataFrame | None, columns: tuple[str, ...]) -> pd.DataFrame | None:
    """The columns change detection reads (``None`` when the source is not given)."""
    if frame is None:
        return None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InvalidInput(f"extract frame lacks column(s) {', '.join(missing)}")
    return frame[list(columns)]


def text_isin(values: pd.Series, pool: pd.Series | pd.Index) -> np.ndarray:
    """``values.isin(pool)`` for text keys (NIK, KPJ, case id) as a boolean array; null is
    never a member.

    pyarrow's hash-based ``is_in`` directly: pandas' ``isin`` on its pyarrow-backed
    ``str`` dtype builds one Python object per pool value (seconds per million keys).
    """
    left = _arrow_text(pd.Series(values))
    right = _arrow_text(pd.Series(pool))
    if len(right) == 0 or len(left) == 0:
        return np.zeros(len(left), dtype=bool)
    hit = pc.is_in(left, value_set=right, skip_nulls=True)
    return np.asarray(pc.fill_null(hit, False).to_numpy(zero_copy_only=False), dtype=bool)


def _arrow_text(values: pd.Series) -> pa.Array:
    arr = pa.array(pd.Series(values, dtype="str"), from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):  # e.g. a column made by pd.concat
        arr = arr.combine_chunks()
    return arr.cast(pa.large_string())


@dataclass(frozen=True)
class _Aligned:
    """One source's baseline and current rows of the people in scope, by NIK."""

    before: pd.DataFrame  # baseline rows (without NIK) of NIKs in both; row i pairs with
    after: pd.DataFrame  # ... current row i
    new: pd.DataFrame  # current rows whose NIK is not in the baseline
    gone: pd.DataFrame  # baseline rows whose NIK is not in the current extract
    gone_codes: np.ndarray  # the NIK codes of ``gone``


class _NikCodes:
    """The NIKs of the people in scope encoded once as dense integer codes; every other
    NIK column is mapped onto them, so that membership and alignment are integer array
    work. A NIK outside the scope, and a null NIK, get code ``size`` (the last slot of
    every per-code table, kept False/-1): only people in scope are ever compared.

    NIKs of 16 ASCII digits (all of an accepted Dukcapil or DTSEN extract) are handled as
    ``int64`` keys (``domain.identity.nik_keys``): sorted once, looked up by binary
    search. Anything else (a BPJS NIK typed wrongly) is a text key of its own, hashed;
    the two kinds can never be equal. (pandas' ``isin``/``merge`` on its pyarrow-backed
    ``str`` dtype would hash the same millions of keys again for every call.)
    """

    def __init__(self, columns: dict[str, pd.Series]) -> None:
        names = list(columns)
        scope_name = names[0]
        texts = {name: pd.Series(columns[name], dtype="str") for name in names}
        keys = {name: nik_keys(texts[name]) for name in names}
        scope_keys = keys[scope_name]
        self._valid = pd.Index(_sorted_unique(scope_keys[scope_keys >= 0]))
        odd = texts[scope_name][(scope_keys < 0) & texts[scope_name].notna().to_numpy()]
        self._odd = pd.Index(pd.unique(odd), dtype="str")
        self.size = len(self._valid) + len(self._odd)
        self._codes = {}
        for name in names:
            self._codes[name] = self._encode(texts[name], keys[name])
            if name != scope_name:
                _refuse_duplicates(name, texts[name], keys[name])

    def _encode(self, text: pd.Series, keys: np.ndarray) -> np.ndarray:
        shaped = keys >= 0
        if len(self._valid) and shaped.all():  # an accepted extract: every NIK is shaped
            codes = self._valid.get_indexer(keys)  # a hash lookup; -1: not in scope
            codes[codes < 0] = self.size
            return codes  # (no odd NIK: those are not 16 digits)
        codes = np.full(len(keys), self.size, dtype=np.int64)
        if len(self._valid) and shaped.any():
            pos = self._valid.get_indexer(keys[shaped])
            found = pos >= 0
            codes[np.flatnonzero(shaped)[found]] = pos[found]
        odd = ~shaped & text.notna().to_numpy()
        if len(self._odd) and odd.any():
            where = self._odd.get_indexer(text[odd])
            rows = np.flatnonzero(odd)
            codes[rows[where >= 0]] = len(self._valid) + where[where >= 0]
        return codes

    def codes(self, name: str) -> np.ndarray:
        return self._codes[name]

    def flags(self, name: str) -> np.ndarray:
        """Per-code table: True for the codes present in column ``name``."""
        table = np.zeros(self.size + 1, dtype=bool)
        table[self._codes[name]] = True
        table[self.size] = False
        return table

    def _positions(self, name: str) -> np.ndarray:
        codes = self._codes[name]
        table = np.full(self.size + 1, -1, dtype=np.int64)
        table[codes] = np.arange(len(codes))
        table[self.size] = -1
        return table

    def align(
        self, frames: dict[str, pd.DataFrame], before: str, after: str, in_scope: np.ndarray
    ) -> _Aligned:
        bc, ac = self._codes[before], self._codes[after]
        pos_b, pos_a = self._positions(before), self._positions(after)
        a_rows = np.flatnonzero(in_scope[ac])
        b_pos = pos_b[ac[a_rows]]
        paired = b_pos >= 0
        b_rows = np.flatnonzero(in_scope[bc] & (pos_a[bc] < 0))
        bf, af = frames[before], frames[after]
        compared = [c for c in bf.columns if c != "NIK"]  # the pair's NIK is the after's
        return _Aligned(
            before=_take_rows(bf, b_pos[paired], compared),
            after=_take_rows(af, a_rows[paired], af.columns),
            new=_take_rows(af, a_rows[~paired], af.columns),
            gone=_take_rows(bf, b_rows, bf.columns),
            gone_codes=bc[b_rows],
        )


def _take_rows(frame: pd.DataFrame, rows: np.ndarray, columns) -> pd.DataFrame:
    """``frame.iloc[rows][columns]`` with a fresh index (only the columns compared)."""
    return pd.DataFrame({name: frame[name].array.take(rows) for name in columns}, copy=False)


def _refuse_duplicates(name: str, text: pd.Series, keys: np.ndarray) -> None:
    """An extract's NIKs must be unique (the message never shows one)."""
    shaped = keys >= 0
    ordered = np.sort(keys[shaped])
    repeated = bool(len(ordered) > 1 and (ordered[1:] == ordered[:-1]).any())
    if not repeated:
        odd = text[~shaped & text.notna().to_numpy()]
        repeated = bool(odd.duplicated().any())
    if repeated:
        raise InvalidInput(f"{name} extract has duplicate NIKs: NIK must be unique")


def _sorted_unique(keys: np.ndarray) -> np.ndarray:
    """``np.unique`` for ``int64`` keys by one sort (numpy 2.4's ``np.unique`` takes
    ~0.3 s for 540,000 keys, a sort and a comparison ~0.03 s)."""
    ordered = np.sort(keys)
    if len(ordered) < 2:
        return ordered
    keep = np.empty(len(ordered), dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


def _apply_policy(change_type: pd.Series, condition: pd.Series) -> pd.Series:
    """The policy table applied row by row (vectorised per change type)."""
    out = pd.Series(False, index=change_type.index)
    for ctype, policy in REVERIFICATION_POLICY.items():
        rows = change_type == ctype.value
        if not rows.any():
            continue
        if policy.trigger is Trigger.ALWAYS:
            out[rows] = True
        elif policy.trigger is Trigger.NEVER:
            out[rows] = False
        else:  # conditional: the detector evaluated the condition in ``_condition``
            out[rows] = condition[rows].fillna(False).astype(bool)
    return out


def _rows(
    nik: pd.Series,
    change_type: ChangeType,
    before: pd.Series | None,
    after: pd.Series | None,
    source: Source,
    condition: np.ndarray | None = None,
) -> pd.DataFrame:
    n = len(nik)
    none = pd.Series([None] * n, dtype="str")
    return pd.DataFrame(
        {
            "nik": nik.to_numpy(),
            "change_type": change_type.value,
            "before": none.to_numpy() if before is None else before.astype("str").to_numpy(),
            "after": none.to_numpy() if after is None else after.astype("str").to_numpy(),
            "source": source.value,
            "_condition": (
                np.zeros(n, dtype=bool) if condition is None else np.asarray(condition, dtype=bool)
            ),
        }
    )


def kelurahan_code(prop: pd.Series, kab: pd.Series, kec: pd.Series, kel: pd.Series) -> pd.Series:
    """``32.75.01.1001`` from the four Dukcapil domicile integers (no nulls expected)."""

    def digits(s: pd.Series, width: int) -> pd.Series:
        return s.astype("int64").astype("str").str.zfill(width)

    return digits(prop, 2) + "." + digits(kab, 2) + "." + digits(kec, 2) + "." + digits(kel, 4)


def _kelurahan(frame: pd.DataFrame) -> pd.Series:
    return kelurahan_code(frame["NO_PROP"], frame["NO_KAB"], frame["NO_KEC"], frame["NO_KEL"])


def _in_city(frame: pd.DataFrame) -> np.ndarray:
    return (frame["NO_PROP"].eq(CITY_PROP) & frame["NO_KAB"].eq(CITY_KAB)).to_numpy(
        dtype=bool, na_value=False
    )


def _differs(left: pd.Series, right: pd.Series) -> np.ndarray:
    """True where both sides have a value and the values differ (aligned row by row)."""
    lv, rv = left.reset_index(drop=True), right.reset_index(drop=True)
    both = lv.notna() & rv.notna()
    return np.array((both & (lv != rv)).to_numpy(dtype=bool, na_value=False))  # writable


def normalise_name_light(names: pd.Series) -> pd.Series:
    """Strip, upper case, collapse inner white space: padding and case are not changes."""
    return names.astype("str").str.strip().str.upper().str.replace(r"\s+", " ", regex=True)


def _iso(dates: pd.Series) -> pd.Series:
    return pd.to_datetime(dates).dt.strftime("%Y-%m-%d")


def _int_text(values: pd.Series) -> pd.Series:
    return values.astype("Int64").astype("str")


def _dukcapil_changes(al: _Aligned) -> list[pd.DataFrame]:
    src = Source.DUKCAPIL
    b, c = al.before, al.after
    nik = c["NIK"]
    out: list[pd.DataFrame] = []

    # status: died or moved out during the period ------------------------------------
    st_b = b["STATUS_DASAR"].fillna("").to_numpy(dtype=object)
    st_c = c["STATUS_DASAR"].fillna("").to_numpy(dtype=object)
    for ctype, status in ((ChangeType.DIED, "MATI"), (ChangeType.MOVED_OUT, "PINDAH")):
        rows = (st_c == status) & (st_b != status)
        out.append(_rows(nik[rows], ctype, b["STATUS_DASAR"][rows], c["STATUS_DASAR"][rows], src))
    moved_by_status = (st_c == "PINDAH") & (st_b != "PINDAH")

    # domicile ----------------------------------------------------------------------
    city_b, city_c = _in_city(b), _in_city(c)
    rows = city_b & ~city_c & ~moved_by_status
    out.append(
        _rows(nik[rows], ChangeType.MOVED_OUT, _kelurahan(b[rows]), _kelurahan(c[rows]), src)
    )
    kel_diff = _differs(b["NO_KEC"], c["NO_KEC"]) | _differs(b["NO_KEL"], c["NO_KEL"])
    rows = city_b & city_c & kel_diff
    out.append(
        _rows(
            nik[rows], ChangeType.MOVED_WITHIN_CITY, _kelurahan(b[rows]), _kelurahan(c[rows]), src
        )
    )

    # family and identity -------------------------------------------------------------
    rows = _differs(b["NO_KK"], c["NO_KK"])
    out.append(_rows(nik[rows], ChangeType.KK_CHANGED, b["NO_KK"][rows], c["NO_KK"][rows], src))

    rows = _differs(b["NAMA_LGKP"], c["NAMA_LGKP"])  # cheap raw test first, then normalise
    real = (
        normalise_name_light(b["NAMA_LGKP"][rows]) != normalise_name_light(c["NAMA_LGKP"][rows])
    ).to_numpy(dtype=bool)
    rows[rows] = real
    out.append(
        _rows(
            nik[rows],
            ChangeType.NAME_CHANGED,
            b["NAMA_LGKP"][rows].str.strip(),
            c["NAMA_LGKP"][rows].str.strip(),
            src,
        )
    )

    rows = _differs(b["TGL_LHR"], c["TGL_LHR"])
    out.append(
        _rows(
            nik[rows],
            ChangeType.BIRTH_DATE_CHANGED,
            _iso(b["TGL_LHR"][rows]),
            _iso(c["TGL_LHR"][rows]),
            src,
        )
    )

    rows = _differs(b["JENIS_PKRJN"], c["JENIS_PKRJN"])
    before, after = b["JENIS_PKRJN"][rows], c["JENIS_PKRJN"][rows]
    group_changes = occupation_group(before).fillna("UNKNOWN").to_numpy(
        dtype=object
    ) != occupation_group(after).fillna("UNKNOWN").to_numpy(dtype=object)
    out.append(
        _rows(
            nik[rows],
            ChangeType.OCCUPATION_CHANGED,
            _int_text(before),
            _int_text(after),
            src,
            condition=group_changes,
        )
    )

    # people on one side only ---------------------------------------------------------
    new = al.new
    for ctype, status in ((ChangeType.DIED, "MATI"), (ChangeType.MOVED_OUT, "PINDAH")):
        appeared = new[(new["STATUS_DASAR"] == status).to_numpy(dtype=bool)]
        out.append(_rows(appeared["NIK"], ctype, None, appeared["STATUS_DASAR"], src))

    gone = al.gone[~al.gone["STATUS_DASAR"].isin(_LEAVING).to_numpy(dtype=bool)]
    out.append(_rows(gone["NIK"], ChangeType.DISAPPEARED, _kelurahan(gone), None, src))
    return out


def _dtsen_changes(
    al: _Aligned, params: RuleParameters, explained: np.ndarray
) -> list[pd.DataFrame]:
    src = Source.DTSEN
    b, c = al.before, al.after
    rows = _differs(b["DESIL"], c["DESIL"])
    before = b["DESIL"][rows].astype("int64").to_numpy()
    after = c["DESIL"][rows].astype("int64").to_numpy()
    crosses = (before <= params.max_desil) != (after <= params.max_desil)
    changed = _rows(
        c["NIK"][rows],
        ChangeType.DESIL_CHANGED,
        _int_text(b["DESIL"][rows]),
        _int_text(c["DESIL"][rows]),
        src,
        condition=crosses,
    )
    gone = al.gone[~explained[al.gone_codes]]
    disappeared = _rows(gone["NIK"], ChangeType.DISAPPEARED, gone["KODE_WILAYAH"], None, src)
    return [changed, disappeared]
