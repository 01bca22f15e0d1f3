"""A NUL byte in a delivered name never reaches the registry (issue 15, point 3): it used to
pass validation and then block the whole period at PostgreSQL's COPY
(``CharacterNotInRepertoire``, no row named). Now Dukcapil's row is rejected at
validation, with its line, and the BPJS name is blanked (the participant keeps its
decision); the period publishes on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import pandas as pd
import pytest

from domain.changes import empty_changes
from domain.extracts import DUKCAPIL
from tests.unit.expectations.city import City, build_city, decisions_by_kpj


@pytest.fixture(scope="module")
def city(tmp_path_factory) -> City:
    return build_city(tmp_path_factory.mktemp("city"))


def _dukcapil_lines(city: City) -> list[str]:
    import gzip

    return gzip.decompress(city.files["dukcapil"].read_bytes()).decode("utf-8").split("\n")


def test_a_nul_in_a_name_is_stopped_at_validation_and_the_period_publishes(city, engine, make_request):
    entries = city.clean.entries
    keep = entries[(entries["decision"] == "KEEP")].sort_values("kpj")
    resident_nik, participant_kpj = keep["nik"].iloc[0], keep["kpj"].iloc[1]

    # Dukcapil: the name of a participant's civil-registry record holds a NUL
    lines = _dukcapil_lines(city)
    header = lines[0].split("|")
    nik_at, name_at = header.index("NIK"), header.index("NAMA_LGKP")
    line = next(i for i, text in enumerate(lines) if text.split("|")[nik_at:nik_at + 1] == [resident_nik])
    fields = lines[line].split("|")
    fields[name_at] = fields[name_at][:2] + "\x00" + fields[name_at][2:]
    lines[line] = "|".join(fields)
    dukcapil_path = city.write(lines, name=DUKCAPIL.file_name("2026-10"))
    outcome = city.validate(dukcapil_path, DUKCAPIL)
    assert outcome.rejects_by_rule == {("NAMA_LGKP", "CONTROL_CHARACTER"): 1}
    rejects = pd.read_csv(outcome.rejects_path, sep="|", dtype=str, keep_default_na=False)
    assert rejects["line"].tolist() == [str(line + 1)]  # the row is named

    # BPJS: another participant's name holds a NUL
    bpjs = city.bpjs_lines()
    name = bpjs[city.line_of(participant_kpj)].split("|")[city.header().index("NAMA")]
    bpjs_path = city.write(city.with_value(bpjs, participant_kpj, "NAMA", name + "\x00"))

    result = city.reconcile(dukcapil=outcome.accepted, bpjstk=city.accepted(bpjs_path))
    decided = decisions_by_kpj(result)
    assert decided[participant_kpj] == "KEEP"
    text = result.entries.select_dtypes(include=["object", "string"])
    assert not text.apply(lambda c: c.str.contains("\x00", regex=False).fillna(False).any()).any()

    import connectors.registry_db as db

    published = db.publish_release(
        engine, make_request(entries=result.entries, changes=empty_changes())
    )
    assert published.status == "PUBLISHED"
    stored = db.release_entries(engine, published.release_id)
    assert len(stored) == len(result.entries)
    assert stored.loc[stored["kpj"] == participant_kpj, "nama"].tolist() != []
