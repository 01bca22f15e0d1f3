"""Linking BPJS participants to their civil-registry (Dukcapil) record.

The rule book (PROGRAM.md, ``NIK_NOT_FOUND`` / ``NIK_PROBABLE_TYPO``):

1. **Exact**: the participant's NIK is a Dukcapil NIK (``NIK_EXACT``; ``NIK_CORRECTED``
   when the NIK is one a re-verification result corrected).
2. **Probable typo**: otherwise, when *exactly one* Dukcapil record has the same birth
   date, a name similarity of at least ``params.typo_name_similarity`` and a NIK at most
   ``params.max_nik_edits`` digit edits away, that record's NIK is *suggested*
   (``NIK_PROBABLE_TYPO``). Two or more such records are ambiguous: no suggestion.
3. Otherwise no match (``NONE``).

**Digit edits** are substitutions and adjacent transpositions only (:func:`digit_edits`):
the restricted Damerau-Levenshtein (optimal string alignment) distance *without*
insertions and deletions. A Dukcapil NIK always has 16 digits, so only a BPJS NIK of
exactly 16 characters can be a typo of one. This is the documented choice for malformed
BPJS NIKs: one with letters in 16 characters (``O`` for ``0``) still qualifies (the letter
counts as one substituted digit); one with 15 or 17 characters, or an empty one, does not
(rapidfuzz's OSA would call a dropped digit one *insertion*, which the rule's "substitution
or adjacent transposition" excludes), so it ends as ``NIK_NOT_FOUND``.

**Blocking**: the typo rule only compares a participant with the Dukcapil records born on
the same day (a join on the birth date), never every pair.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.errors import InvalidInput
from domain.codes import MatchMethod
from domain.identity import nik_keys
from domain.names import jaro_winkler, normalise_names
from domain.rules import RuleParameters

#: the length of every NIK (and therefore of any BPJS NIK that can be a typo of one)
NIK_LENGTH = 16

#: columns of :func:`match_participants`' result
MATCH_COLUMNS: tuple[str, ...] = (
    "match_method", "dukcapil_row", "name_similarity", "birth_date_equal",
    "suggested_nik", "suggested_row", "typo_candidates", "nik_edits",
)  # fmt: skip


class NikIndex:
    """Row positions of NIKs in one source's frame (Dukcapil or DTSEN), built once per run.

    The NIKs are held as sorted ``int64`` keys (:func:`domain.identity.nik_keys`) and looked
    up by binary search: about 60 MB for 2.6 million NIKs, where a hash index would take
    over 200 MB, at a similar speed (a few tenths of a second for millions of look-ups).
    The frame must carry unique, 16-digit NIKs (validation guarantees it); anything else
    raises ``ValueError``.
    """

    #: look-ups of more keys than this sort them first (binary search is cache-friendlier)
    _SORT_QUERIES_ABOVE = 100_000

    def __init__(self, niks: pd.Series, source: str) -> None:
        keys = nik_keys(niks)
        bad = int((keys < 0).sum())
        if bad:
            raise InvalidInput(
                f"{source}: {bad:,} NIKs are not 16 digits; validate the extract first"
            )
        # the keys are unique (checked below), so any sort gives the one order: numpy's
        # default (vectorised with AVX-512 where the CPU has it) is 3-4x its stable sort
        self._order = np.argsort(keys).astype(
            np.int32 if len(keys) < 2**31 else np.int64
        )
        self._sorted = keys[self._order]
        dupes = int(np.count_nonzero(self._sorted[1:] == self._sorted[:-1]))
        if dupes:
            raise InvalidInput(
                f"{source}: {dupes:,} NIKs occur more than once; validate the extract first"
            )
        self._keys = keys
        self.source = source

    def __len__(self) -> int:
        return len(self._keys)

    @property
    def keys(self) -> np.ndarray:
        """The ``int64`` key of every row, in row order."""
        return self._keys

    def rows(self, keys: np.ndarray) -> np.ndarray:
        """Row position of each key (``int64``), ``-1`` where absent (as for key ``-1``)."""
        query = np.asarray(keys, dtype=np.int64)
        out = np.full(len(query), -1, dtype=np.int64)
        if len(query) == 0 or len(self._sorted) == 0:
            return out
        if len(query) > self._SORT_QUERIES_ABOVE:
            order = np.argsort(query)
            pos = np.empty(len(query), dtype=np.int64)
            pos[order] = np.searchsorted(self._sorted, query[order])
        else:
            pos = np.searchsorted(self._sorted, query)
        pos = np.minimum(pos, len(self._sorted) - 1)
        found = self._sorted[pos] == query
        out[found] = self._order[pos[found]]
        return out

    def rows_of(self, other: NikIndex) -> np.ndarray:
        """:meth:`rows` for every row of ``other`` (in ``other``'s row order), using the
        order ``other`` already sorted its keys in: one sorted merge, no second sort of
        millions of keys."""
        out = np.full(len(other), -1, dtype=np.int64)
        if len(other) == 0 or len(self._sorted) == 0:
            return out
        pos = np.minimum(np.searchsorted(self._sorted, other._sorted), len(self._sorted) - 1)
        found = self._sorted[pos] == other._sorted
        out[other._order[found]] = self._order[pos[found]]
        return out


def day_numbers(dates: np.ndarray | pd.Series) -> np.ndarray:
    """Days since 1970-01-01 (``int64``) of datetime values of any resolution; NaT gives
    the smallest ``int64`` (equal to nothing a real date gives)."""
    return np.asarray(dates, dtype="datetime64[ns]").astype("datetime64[D]").astype(np.int64)


def _codepoints(texts: pd.Series, width: int) -> tuple[np.ndarray, np.ndarray]:
    """(n, width) code points of each text of exactly ``width`` characters, and that mask."""
    s = pd.Series(texts, dtype="str").fillna("")
    ok = (s.str.len() == width).to_numpy(dtype=bool)
    safe = s.where(ok, "\0" * width).to_numpy(dtype=object)
    points = np.asarray(safe, dtype=f"<U{width}").view(np.uint32).reshape(len(s), width)
    return points, ok


def digit_edits(left: pd.Series, right: pd.Series, width: int = NIK_LENGTH) -> np.ndarray:
    """Fewest substitutions and adjacent transpositions turning each ``left`` into the
    aligned ``right`` (``int16``), each position edited at most once (as in OSA).

    Pairs where either text is not exactly ``width`` characters long get ``width + 1``:
    more than any number of such edits. Vectorised: one dynamic-programming step per
    character position over all pairs at once.
    """
    a, ok_a = _codepoints(left, width)
    b, ok_b = _codepoints(right, width)
    if len(a) != len(b):
        raise InvalidInput(f"digit_edits needs aligned pairs, got {len(a)} and {len(b)}")
    n = len(a)
    prev2 = np.zeros(n, dtype=np.int16)  # cost of the prefix of length i-1
    prev1 = (a[:, 0] != b[:, 0]).astype(np.int16)  # cost of the prefix of length i
    for i in range(1, width):
        step = prev1 + (a[:, i] != b[:, i])
        swap = (a[:, i] == b[:, i - 1]) & (a[:, i - 1] == b[:, i]) & (a[:, i] != b[:, i])
        current = np.where(swap, np.minimum(step, prev2 + 1), step).astype(np.int16)
        prev2, prev1 = prev1, current
    prev1[~(ok_a & ok_b)] = width + 1
    return prev1


def match_participants(
    participants: pd.DataFrame,
    dukcapil: pd.DataFrame,
    params: RuleParameters,
    *,
    dukcapil_index: NikIndex | None = None,
    corrected: np.ndarray | pd.Series | None = None,
) -> pd.DataFrame:
    """Link each participant to a Dukcapil record (see the module's rules).

    ``participants``: columns ``NIK`` (stripped, may be malformed or null), ``NAMA``,
    ``TGL_LAHIR``. ``corrected``: True where the NIK comes from a re-verification
    correction (an exact hit is then ``NIK_CORRECTED``). ``dukcapil_index``: a prebuilt
    :class:`NikIndex` of ``dukcapil["NIK"]`` (built here when absent).

    Returns a frame aligned with ``participants`` with :data:`MATCH_COLUMNS`:
    ``match_method``; ``dukcapil_row`` (row position of the exactly matched record, -1);
    ``name_similarity`` and ``birth_date_equal`` with the matched record (exact) or the
    suggested one (typo; equal by construction); ``suggested_nik`` / ``suggested_row``
    (probable typo, else null / -1); ``typo_candidates`` (how many Dukcapil records met
    the typo rule: 1 gives the suggestion, 2 or more are ambiguous and give none);
    ``nik_edits`` (digit edits to the suggestion).
    """
    index = dukcapil_index if dukcapil_index is not None else NikIndex(dukcapil["NIK"], "dukcapil")
    n = len(participants)
    nik = participants["NIK"].astype("str")
    birth = pd.to_datetime(participants["TGL_LAHIR"]).to_numpy()
    corrected_mask = (
        np.zeros(n, dtype=bool) if corrected is None else np.asarray(corrected, dtype=bool)
    )

    method = np.full(n, MatchMethod.NONE.value, dtype=object)
    similarity = np.full(n, np.nan)
    birth_equal = np.zeros(n, dtype=bool)
    suggested_row = np.full(n, -1, dtype=np.int64)
    candidates = np.zeros(n, dtype=np.int32)
    edits_out = np.full(n, -1, dtype=np.int16)

    # 1. exact NIK ------------------------------------------------------------------
    rows = index.rows(nik_keys(nik))
    exact = rows >= 0
    method[exact & corrected_mask] = MatchMethod.NIK_CORRECTED.value
    method[exact & ~corrected_mask] = MatchMethod.NIK_EXACT.value
    if exact.any():
        hit = rows[exact]
        similarity[exact] = jaro_winkler(
            normalise_names(participants["NAMA"].iloc[np.flatnonzero(exact)]),
            normalise_names(dukcapil["NAMA_LGKP"].iloc[hit]),
        )
        dk_day = day_numbers(dukcapil["TGL_LHR"].iloc[hit].to_numpy())
        birth_equal[exact] = (day_numbers(birth[exact]) == dk_day) & ~pd.isna(birth[exact])

    # 2. probable typo, blocked on the birth date -----------------------------------
    # only a 16-character NIK can be within substitutions/transpositions of a NIK
    typo_able = ~exact & ~pd.isna(birth) & (nik.str.len() == NIK_LENGTH).fillna(False).to_numpy()
    if typo_able.any():
        pairs = typo_pairs(
            np.flatnonzero(typo_able), nik, participants["NAMA"], birth, dukcapil, params
        )
        per_pid = pairs.groupby("pid").size()
        candidates[per_pid.index.to_numpy()] = per_pid.to_numpy()
        single = pairs[candidates[pairs["pid"].to_numpy()] == 1]
        pid = single["pid"].to_numpy()
        method[pid] = MatchMethod.NIK_PROBABLE_TYPO.value
        suggested_row[pid] = single["row"].to_numpy()
        similarity[pid] = single["sim"].to_numpy()
        edits_out[pid] = single["edits"].to_numpy()
        birth_equal[pid] = True

    suggested = pd.Series(None, index=participants.index, dtype="str")
    has_suggestion = suggested_row >= 0
    if has_suggestion.any():
        suggested[has_suggestion] = dukcapil["NIK"].iloc[suggested_row[has_suggestion]].to_numpy()
    return pd.DataFrame(
        {
            "match_method": pd.Series(method, index=participants.index, dtype="str"),
            "dukcapil_row": np.where(exact, rows, -1),
            "name_similarity": similarity,
            "birth_date_equal": birth_equal,
            "suggested_nik": suggested,
            "suggested_row": suggested_row,
            "typo_candidates": candidates,
            "nik_edits": pd.Series(edits_out, index=participants.index)
            .where(has_suggestion)
            .astype("Int16"),
        },
        index=participants.index,
    )


def typo_pairs(
    pids: np.ndarray,
    nik: pd.Series,
    names: pd.Series,
    birth: np.ndarray,
    dukcapil: pd.DataFrame,
    params: RuleParameters,
) -> pd.DataFrame:
    """Pairs (participant position ``pid``, Dukcapil ``row``) meeting the typo rule, with
    their ``edits`` and name similarity ``sim``: born the same day, NIK within
    ``max_nik_edits`` digit edits, name similarity at least ``typo_name_similarity``."""
    # day numbers: a join key independent of the datetime resolution of each frame; the
    # few birth dates are looked up in the whole registry with a hash set (no big copies)
    left = pd.DataFrame({"pid": pids, "day": day_numbers(birth[pids])})
    dates = pd.DatetimeIndex(np.unique(birth[pids]))
    same_day = np.flatnonzero(dukcapil["TGL_LHR"].isin(dates).to_numpy(dtype=bool))
    right = pd.DataFrame(
        {"row": same_day, "day": day_numbers(dukcapil["TGL_LHR"].iloc[same_day].to_numpy())}
    )
    pairs = left.merge(right, on="day", how="inner")[["pid", "row"]]
    if len(pairs) == 0:
        return pairs.assign(edits=np.zeros(0, np.int16), sim=np.zeros(0))
    edits = digit_edits(
        nik.iloc[pairs["pid"].to_numpy()], dukcapil["NIK"].iloc[pairs["row"].to_numpy()]
    )
    pairs = pairs.assign(edits=edits)[edits <= params.max_nik_edits]
    sim = jaro_winkler(
        normalise_names(names.iloc[pairs["pid"].to_numpy()]),
        normalise_names(dukcapil["NAMA_LGKP"].iloc[pairs["row"].to_numpy()]),
    )
    return pairs.assign(sim=sim)[sim >= params.typo_name_similarity]
