"""The samples the tests generate (see ``conftest.py``)."""

#: a small city over three periods that cross a quarter boundary (re-ranking)
SMALL = {"residents": 1_000, "periods": ["2026-08", "2026-09", "2026-10"], "seed": 7}
#: a larger city over two periods
MEDIUM = {"residents": 20_000, "periods": ["2026-11", "2026-12"], "seed": 42}
