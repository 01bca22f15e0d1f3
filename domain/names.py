"""Personal names: normalisation and similarity.

Names are compared after normalisation (PROGRAM.md): ASCII-folded, upper case, honorifics
and academic titles removed, punctuation removed, spaces collapsed. Similarity is
Jaro-Winkler (``rapidfuzz.distance.JaroWinkler``) on the normalised names, in ``[0, 1]``.

Everything is vectorised: normalisation is a fixed chain of pandas ``.str`` operations
and regular expressions over the whole Series; similarity of aligned pairs is one
``rapidfuzz.process.cpdist`` call (C++), never a Python loop over people.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd
from rapidfuzz.distance import JaroWinkler
from rapidfuzz.process import cpdist

from core.errors import InvalidInput

#: Honorifics and titles removed before comparison, written with their usual dots. Each
#: also matches without dots and with a space after a dot (``S.KOM``, ``SKOM``, ``S. KOM``),
#: but only as a whole token (``H.`` is removed, the ``H`` in ``HASAN`` is not).
#: Two-letter academic titles that read like two initials (``S.P``, ``S.S``, ``M.A``,
#: ``M.H``, ``M.T``, ``M.E``) are deliberately absent, so ``M.T. HARYONO`` keeps ``M T``
#: (a lone ``H.`` is still read as *Haji*). Both sides of a comparison are normalised the
#: same way, so a wrongly removed token costs little similarity.
TITLES: tuple[str, ...] = (
    # religious and honorific
    "H.", "HJ.", "HJH.", "HAJI", "HAJJAH", "KH.",
    # professional and academic prefixes
    "PROF.", "DR.", "DRS.", "DRA.", "DRG.", "IR.", "NS.",
    # bachelor's (sarjana)
    "S.AG.", "S.AP.", "S.E.", "S.E.I.", "S.FARM.", "S.H.", "S.HUT.", "S.I.KOM.", "S.IP.",
    "S.KED.", "S.KEB.", "S.KEP.", "S.KM.", "S.KOM.", "S.PD.", "S.PD.I.", "S.PSI.",
    "S.SI.", "S.SOS.", "S.ST.", "S.T.", "S.TP.",
    # master's (magister)
    "M.AG.", "M.AP.", "M.HUM.", "M.KES.", "M.KOM.", "M.M.", "M.PD.", "M.SC.", "M.SI.",
    "M.SOS.",
    # diplomas (ahli madya)
    "A.MA.", "A.MD.", "A.MD.KEB.", "A.MD.KEP.",
)  # fmt: skip


def _title_pattern(title: str) -> str:
    parts = [re.escape(p) for p in title.split(".") if p]
    # dots optional, a space may follow a dot: S.KOM / SKOM / S. KOM / S.KOM.
    return r"\.?\s*".join(parts) + r"\.?"


# longest first, so that S.PD.I wins over S.PD and HJH over HJ
_TITLE_RE = (
    r"(?<![A-Z0-9])(?:"
    + "|".join(_title_pattern(t) for t in sorted(TITLES, key=lambda t: (-len(t), t)))
    + r")(?![A-Z0-9])"
)


def normalise_names(names: pd.Series) -> pd.Series:
    """Normalised names, aligned with ``names`` (null becomes the empty string).

    ASCII fold (Unicode NFKD, combining marks dropped: ``José`` -> ``JOSE``), upper case,
    apostrophes dropped (``MA'RUF`` -> ``MARUF``), titles of :data:`TITLES` removed, any
    other character but A-Z replaced by a space, spaces collapsed and stripped. The result
    holds only A-Z and single spaces, and normalising it again changes nothing.
    """
    s = names.astype("str").fillna("")
    # decompose, then drop the combining marks (U+0300..U+036F): É -> E, Ñ -> N; other
    # non-ASCII letters become spaces below
    s = s.str.normalize("NFKD").str.replace("[\u0300-\u036f]", "", regex=True)
    s = s.str.upper()
    s = s.str.replace(r"['`]", "", regex=True)
    # every other character but letters and the dots of titles separates words
    s = s.str.replace(r"[^A-Z.]+", " ", regex=True)
    s = s.str.replace(_TITLE_RE, " ", regex=True)
    s = s.str.replace(r"[^A-Z]+", " ", regex=True)
    return s.str.strip().astype("str")


def normalise_name(name: str | None) -> str:
    """One name normalised as :func:`normalise_names` does (for tests and look-ups)."""
    return str(normalise_names(pd.Series([name], dtype="str")).iloc[0])


def jaro_winkler(left: Sequence[str] | pd.Series, right: Sequence[str] | pd.Series) -> np.ndarray:
    """Jaro-Winkler similarity (0..1, float64) of aligned pairs of *normalised* names.

    A pair where either side is empty scores 0: an empty name never confirms anyone.
    """
    a = pd.Series(left, dtype="str").fillna("").to_numpy(dtype=object)
    b = pd.Series(right, dtype="str").fillna("").to_numpy(dtype=object)
    if len(a) != len(b):
        raise InvalidInput(f"jaro_winkler needs aligned pairs, got {len(a)} and {len(b)} names")
    if len(a) == 0:
        return np.zeros(0, dtype=np.float64)
    scores = cpdist(a, b, scorer=JaroWinkler.normalized_similarity, dtype=np.float64)
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    empty = (pd.Series(a).str.len().to_numpy() == 0) | (pd.Series(b).str.len().to_numpy() == 0)
    scores[empty] = 0.0
    return scores


def name_similarity(left: pd.Series, right: pd.Series) -> np.ndarray:
    """Similarity (0..1, float64) of aligned pairs of raw names: both are normalised with
    :func:`normalise_names`, then compared with :func:`jaro_winkler`."""
    return jaro_winkler(normalise_names(pd.Series(left)), normalise_names(pd.Series(right)))
