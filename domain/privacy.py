"""Masking of personal data for logs, the orchestrator's UI, reports and errors.

Masking is the default path; only the published registry and the kelurahan worklists
carry full NIKs and names.
"""

from __future__ import annotations

import pandas as pd


def mask_nik(nik: object) -> str:
    """``3275014101900123`` -> ``3275**********0123``; anything else is masked whole."""
    text = "" if nik is None else str(nik)
    if len(text) >= 8:
        return text[:4] + "*" * (len(text) - 8) + text[-4:]
    return "*" * len(text) if text else "<empty>"


def mask_nik_series(niks: pd.Series) -> pd.Series:
    s = niks.astype("string").fillna("")
    long = s.str.len() >= 8
    masked = s.str[:4] + s.str[4:-4].str.replace(r".", "*", regex=True) + s.str[-4:]
    return masked.where(long, s.str.replace(r".", "*", regex=True))


def mask_name(name: object) -> str:
    """``SITI AMINAH`` -> ``S*** A*****``: initials only."""
    text = "" if name is None else str(name)
    return " ".join(w[:1] + "*" * (len(w) - 1) for w in text.split())
