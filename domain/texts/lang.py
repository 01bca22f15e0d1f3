"""The two languages of the catalogue (:class:`Lang`) and ``_t``, which pairs a
template's English and Bahasa Indonesia wordings.
"""

from __future__ import annotations

from enum import StrEnum


class Lang(StrEnum):
    EN = "en"
    ID = "id"


_E, _I = Lang.EN, Lang.ID


def _t(en: str, id_: str) -> dict[Lang, str]:
    return {_E: en, _I: id_}
