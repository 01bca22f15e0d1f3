import pandas as pd

from domain.privacy import mask_name, mask_nik, mask_nik_series


def test_mask_nik_keeps_region_and_serial_only():
    assert mask_nik("3275014101900123") == "3275********0123"
    assert mask_nik(None) == "<empty>"
    assert mask_nik("12ab") == "****"


def test_mask_series_matches_scalar():
    s = pd.Series(["3275014101900123", "327501", None])
    out = mask_nik_series(s).tolist()
    assert out[0] == mask_nik("3275014101900123")
    assert "327501" not in out[1]


def test_mask_name():
    assert mask_name("Siti Aminah") == "S*** A*****"
