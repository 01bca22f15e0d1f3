"""The catalogue, :data:`CATALOGUE` (every key of :mod:`.registry`, :mod:`.assessment`,
:mod:`.values` and :mod:`.explain`, in that order), and the functions that read it: fill a
template (:func:`text`), for whole columns (:func:`render`), read a rendering back
(:func:`pattern`, :func:`variants`), dates and periods in words.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from datetime import date

import pandas as pd

from domain.texts.assessment import ASSESSMENT_TEXTS
from domain.texts.explain import EXPLAIN_TEXTS
from domain.texts.lang import Lang
from domain.texts.registry import REGISTRY_TEXTS
from domain.texts.values import VALUE_TEXTS

CATALOGUE: dict[str, dict[Lang, str]] = {
    **REGISTRY_TEXTS,
    **ASSESSMENT_TEXTS,
    **VALUE_TEXTS,
    **EXPLAIN_TEXTS,
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
