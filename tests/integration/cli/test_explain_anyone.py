"""`sigap explain` for anybody (issue 19, point 1): every eligibility rule with its outcome
and evidence for a resident out of scope, the extracts searched and the quarantine for a
NIK found nowhere, in English (the operator's view) and as a letter in Bahasa Indonesia,
with no other person's data; past releases and deleted baselines.

The period is run as the monthly flow runs it, without Prefect: each extract validated
(rejects files under ``runs/<period>/rejects``), its accepted rows kept as the Parquet
baseline named by its digest, reconciled and published with those digests. Each
out-of-scope cause is a planted situation of the sample generator (its ground truth names
it); the quarantined row is a hostile value written into the delivered file.
"""

from __future__ import annotations

import gzip
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from connectors import registry_db
from connectors.baselines import BaselineStore
from core.errors import SigapError
from core.settings import RuleSettings, Settings
from domain.changes import empty_changes
from domain.codes import Source
from domain.extracts import SPECS
from domain.reconcile import ReconcileInputs, reconcile
from domain.reference import occupations
from domain.rules import RuleParameters
from sigap.cli import app
from sigap.explain import explain

PERIOD = "2026-08"
QUOTA = 280
runner = CliRunner()


def _raw(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep="|", dtype=str, keep_default_na=False, compression="gzip")


def _rewrite(path: Path, nik: str, column: str, value: str) -> None:
    """Write ``value`` into ``column`` of the row of ``nik`` in a delivered gzip extract."""
    lines = gzip.decompress(path.read_bytes()).decode("utf-8-sig").splitlines()
    header = lines[0].split("|")
    at, col = header.index("NIK"), header.index(column)
    out = [lines[0]]
    for line in lines[1:]:
        fields = line.split("|")
        if fields[at] == nik:
            fields[col] = value
        out.append("|".join(fields))
    path.write_bytes(gzip.compress(("\n".join(out) + "\n").encode(), mtime=0))


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    from devkit.sample import generate, read_truth
    from expectations.validate import validate_extract

    root = tmp_path_factory.mktemp("explain-anyone")
    sample = generate(root / "sample", residents=3_000, periods=[PERIOD], seed=5)
    files = {s: Path(sample.sftp_root) / s.value / SPECS[s].remote_path(PERIOD) for s in Source}
    raw = {s: _raw(files[s]) for s in Source}
    truth, _ = read_truth(Path(sample.truth_root), PERIOD)

    # a background resident in Dukcapil and DTSEN, not in the BPJS list nor the truth, born
    # on a day no BPJS row has (no typo look-alike can change): both rows are quarantined
    duk, dts, bpjs = raw[Source.DUKCAPIL], raw[Source.DTSEN], raw[Source.BPJSTK]
    bpjs_births = set(pd.to_datetime(bpjs["TGL_LAHIR"], errors="coerce").dt.date)
    births = pd.to_datetime(duk["TGL_LHR"], format="%d-%m-%Y").dt.date
    pick = duk[
        duk["NIK"].isin(dts["NIK"]) & ~duk["NIK"].isin(bpjs["NIK"].str.strip())
        & ~duk["NIK"].isin(truth["nik"]) & ~births.isin(bpjs_births)
        & (duk["STATUS_DASAR"] == "HIDUP")
    ]  # fmt: skip
    quarantined = pick["NIK"].iloc[0]
    _rewrite(files[Source.DUKCAPIL], quarantined, "TGL_LHR", "31-02-1990")
    _rewrite(files[Source.DTSEN], quarantined, "DESIL", "X")

    data_dir = root / "data"
    store = BaselineStore(data_dir / "baselines")
    frames, digests = {}, {}
    for source in Source:
        outcome = validate_extract(
            files[source], SPECS[source], PERIOD, work_dir=data_dir / "runs" / PERIOD,
            max_reject_share=0.01, row_count_tolerance=0.1, previous_rows=None,
            max_uncompressed_bytes=2**30,
        )  # fmt: skip
        store.save(source, PERIOD, outcome.sha256, outcome.accepted)
        frames[source], digests[source.value] = outcome.accepted, outcome.sha256
    params = RuleParameters(quota=QUOTA)
    result = reconcile(
        ReconcileInputs(PERIOD, frames[Source.DUKCAPIL], frames[Source.DTSEN],
                        frames[Source.BPJSTK]), params,
    )  # fmt: skip
    url = f"sqlite:///{data_dir / 'registry.sqlite'}"
    registry_db.upgrade(url)
    engine = registry_db.make_engine(url)
    for force in (False, True):  # v1, then v2 (the same inputs, published again)
        registry_db.publish_release(engine, registry_db.PublishRequest(
            period=PERIOD, rules_version=result.rules_version, input_digests=digests,
            flow_run_id=None, counts=result.counts, monthly_cost_idr=result.quota.monthly_cost_idr,
            quota=result.quota.cap, entries=result.entries, changes=empty_changes(), force=force,
            deliveries=[{"source": s.value, "file_name": files[s].name, "sha256": digests[s.value],
                         "rows_total": len(raw[s]), "rows_accepted": len(frames[s]),
                         "rows_rejected": 0, "status": "ACCEPTED"} for s in Source],
        ))  # fmt: skip
    engine.dispose()

    # nobody's NIK: a well-formed NIK that no extract holds
    everyone = set(duk["NIK"]) | set(dts["NIK"]) | set(bpjs["NIK"].str.strip())
    nobody = next(f"3275014101{n:06d}" for n in range(800_001, 900_000)
                  if f"3275014101{n:06d}" not in everyone)  # fmt: skip
    return {
        "settings": Settings(data_dir=data_dir, rules=RuleSettings(quota=QUOTA)),
        "truth": truth, "raw": raw, "result": result, "quarantined": quarantined,
        "nobody": nobody, "data_dir": data_dir, "digests": digests,
    }  # fmt: skip


def _case(city, case: str) -> pd.Series:
    truth = city["truth"]
    return truth[truth["case"] == case].iloc[0]


def _both(city, nik: str) -> tuple[str, str]:
    en = explain(city["settings"], PERIOD, nik=nik)
    letter = explain(city["settings"], PERIOD, nik=nik, lang="id")
    _assert_only_own_data(city, nik, en, letter=False)
    _assert_only_own_data(city, nik, letter, letter=True)
    return en, letter


def _assert_only_own_data(city, nik: str, out: str, *, letter: bool) -> None:
    """No other person's NIK or name (nor, in the letter, any KPJ) in ``out``."""
    raw = city["raw"]
    duk, dts, bpjs = raw[Source.DUKCAPIL], raw[Source.DTSEN], raw[Source.BPJSTK]
    own_names = {
        *duk.loc[duk["NIK"] == nik, "NAMA_LGKP"], *dts.loc[dts["NIK"] == nik, "NAMA"],
        *bpjs.loc[bpjs["NIK"].str.strip() == nik, "NAMA"],
    }  # fmt: skip
    for digits in re.findall(r"(?<!\d)\d{16}(?!\d)", out):
        assert digits == nik, f"another NIK in the output: {digits[:4]}..."
    others = {n.strip() for n in bpjs["NIK"]} - {nik, ""}
    assert not [n for n in others if n in out], "a BPJS NIK of someone else in the output"
    names = (set(duk["NAMA_LGKP"]) | set(dts["NAMA"]) | set(bpjs["NAMA"])) - own_names - {""}
    scrubbed = out
    for own in sorted(own_names, key=len, reverse=True):  # a one-word name inside one's own
        scrubbed = scrubbed.replace(own, "")
    leaked = [n for n in names if re.search(rf"(?<![A-Z]){re.escape(n)}(?![A-Z])", scrubbed)]
    assert not leaked, f"another person's name in the output ({len(leaked)})"
    if letter:
        assert not re.search(r"(?<!\d)\d{11}(?!\d)", out), "a KPJ in the citizen's letter"


def _rule_line(out: str, label: str) -> str:
    lines = [line for line in out.splitlines() if label in line]
    assert lines, f"no line with {label!r}:\n{out}"
    return lines[0]


def test_desil_above_the_maximum(city):
    nik = _case(city, "not_in_scope_desil_6")["nik"]
    en, letter = _both(city, nik)
    assert "outcome: OUT OF SCOPE" in en and "DESIL" in en
    assert "[FAIL]" in _rule_line(en, "DTSEN desil 6, maximum 5")
    assert "[pass]" in _rule_line(en, "Dukcapil record")
    assert "Anda belum memenuhi syarat" in letter
    assert "[tidak memenuhi]" in _rule_line(letter, "desil 6, batas maksimum 5")
    assert "Hubungi petugas DTSEN di kelurahan" in letter


def test_formal_occupation(city):
    nik = _case(city, "not_in_scope_formal_occupation")["nik"]
    code = int(city["raw"][Source.DUKCAPIL].set_index("NIK").loc[nik, "JENIS_PKRJN"])
    name = occupations().set_index("kode").loc[code, "nama"]
    en, letter = _both(city, nik)
    assert "[FAIL]" in _rule_line(en, f"occupation '{name}' is FORMAL")
    assert "[tidak memenuhi]" in _rule_line(letter, f"pekerjaan '{name}' (pekerja formal)")
    assert "perbarui data pekerjaan" in letter


def test_no_dtsen_record(city):
    nik = _case(city, "not_in_scope_not_in_dtsen")["nik"]
    en, letter = _both(city, nik)
    assert "[FAIL]" in _rule_line(en, "DTSEN record: no DTSEN record")
    assert "[not checked]" in _rule_line(en, "DTSEN desil 1..5: no DTSEN record to check")
    assert "[tidak memenuhi]" in _rule_line(letter, "tidak terdaftar di DTSEN")
    assert "agar keluarga Anda didata dalam DTSEN" in letter


def test_domicile_in_kabupaten_bekasi(city):
    nik = _case(city, "not_in_scope_domicile_kabupaten")["nik"]
    en, letter = _both(city, nik)
    assert "[FAIL]" in _rule_line(en, "domicile 32.16 (Kabupaten Bekasi), not Kota Bekasi")
    assert "[tidak memenuhi]" in _rule_line(letter, "domisili 32.16 (Kabupaten Bekasi)")
    assert "Kabupaten Bekasi (32.16) adalah pemerintah daerah yang berbeda" in letter


def test_already_covered_by_an_active_mandiri_row(city):
    nik = _case(city, "not_in_scope_covered_mandiri")["nik"]
    bpjs = city["raw"][Source.BPJSTK]
    kpj = bpjs.loc[(bpjs["NIK"].str.strip() == nik) & (bpjs["SUMBER_IURAN"] == "MANDIRI"), "KPJ"]
    en, letter = _both(city, nik)
    assert "[FAIL]" in _rule_line(en, f"already covered: active MANDIRI participant (KPJ {kpj.iloc[0]})")
    assert "[tidak memenuhi]" in _rule_line(letter, "iuran dibayar sendiri (mandiri)")
    assert kpj.iloc[0] not in letter  # the letter names no KPJ
    assert "sudah terlindungi BPJS Ketenagakerjaan" in letter


def test_suggested_nik_of_a_probable_typo(city):
    row = _case(city, "typo_one_substitution")
    nik, kpj, typed = row["suggested_nik"], row["kpj"], row["nik"]
    en, letter = _both(city, nik)
    assert "[FAIL]" in _rule_line(
        en, f"linked to KPJ {kpj} as the suggested NIK of a probable typo (decision REVERIFY)"
    )
    assert f"sigap explain --kpj {kpj}" in en
    assert typed not in en and typed not in letter  # the typed NIK is the participant's record
    assert "[tidak memenuhi]" in _rule_line(letter, "kemungkinan salah ketik")
    # every other rule passes: the link alone keeps the resident out
    assert en.count("[FAIL]") == 1


def test_nik_found_nowhere(city):
    nik = city["nobody"]
    en, letter = _both(city, nik)
    assert f"outcome: NIK found in no accepted extract of {PERIOD}" in en
    for source in Source:
        sha = city["digests"][source.value]
        assert f"{SPECS[source].file_name(PERIOD)}, sha256 {sha[:12]}..., 0 row(s)" in en
    assert "no quarantined row with this NIK" in en
    assert "tidak ditemukan dalam data Dukcapil, DTSEN, maupun BPJS" in letter
    assert "Periksa kembali NIK Anda" in letter
    assert "[" not in letter  # no rule was checked: nothing to tick


def test_quarantined_rows(city):
    nik = city["quarantined"]
    en, letter = _both(city, nik)
    assert f"outcome: NIK found in no accepted extract of {PERIOD}" in en
    duk_file, dts_file = SPECS[Source.DUKCAPIL].file_name(PERIOD), SPECS[Source.DTSEN].file_name(PERIOD)
    assert re.search(rf"Dukcapil: {re.escape(duk_file)} line \d+, column TGL_LHR, rule DATE_\w+", en)
    assert re.search(rf"DTSEN: {re.escape(dts_file)} line \d+, column DESIL, rule INT_FORMAT", en)
    assert "31-02-1990" not in en  # never the row's values
    assert "Data Anda yang tidak dapat diproses" in letter
    assert "(kolom TGL_LHR)" in letter and "(kolom DESIL)" in letter
    assert "Data Anda dari Dukcapil tidak dapat diproses" in letter


def test_in_scope_resident_shows_the_rules_and_the_decision(city):
    nik = _case(city, "eligible_clean")["nik"]
    en, letter = _both(city, nik)
    assert "outcome: in scope: ENROLL" in en or "outcome: in scope: WAITLIST" in en
    assert "[FAIL]" not in en
    assert "decision      " in en and "PRIORITY: rank" in en  # the entry's own explanation
    assert "Anda memenuhi syarat" in letter
    assert "[tidak memenuhi]" not in letter


def test_participant_by_kpj(city):
    row = _case(city, "dtsen_desil_above_limit")
    en, letter = (explain(city["settings"], PERIOD, kpj=row["kpj"], lang=lang) for lang in ("en", "id"))
    assert "outcome: in scope: REVERIFY" in en and "DESIL_ABOVE_LIMIT" in en
    assert "[n/a]" in _rule_line(en, "DTSEN STATUS_KEBERADAAN = 1")  # only for new enrolments
    assert "data Anda perlu diverifikasi ulang" in letter and "Desil DTSEN di atas batas" in letter
    _assert_only_own_data(city, row["nik"], letter, letter=True)


def test_older_release_and_deleted_baselines(city, tmp_path):
    nik = _case(city, "not_in_scope_desil_6")["nik"]
    assert explain(city["settings"], PERIOD, nik=nik).startswith(f"{PERIOD} release v2 ")
    assert explain(city["settings"], PERIOD, nik=nik, release_version=1).startswith(
        f"{PERIOD} release v1 "
    )
    with pytest.raises(SigapError, match=r"has no release v7 \(releases: v1 \(SUPERSEDED\), v2"):
        explain(city["settings"], PERIOD, nik=nik, release_version=7)

    # the baselines deleted: an out-of-scope NIK cannot be explained (said clearly, NIK masked)
    data = tmp_path / "data"
    shutil.copytree(city["data_dir"], data)
    shutil.rmtree(data / "baselines" / "dtsen")
    settings = Settings(data_dir=data, rules=RuleSettings(quota=QUOTA))
    with pytest.raises(SigapError) as err:
        explain(settings, PERIOD, nik=nik)
    assert "no longer stored (dtsen sha256 " in str(err.value) and nik not in str(err.value)
    # an entry still explains itself from the registry
    enrolled = _case(city, "eligible_clean")["nik"]
    out = explain(settings, PERIOD, nik=enrolled)
    assert "are no longer stored" in out and "decision      " in out


def test_cli_help_and_the_letter(city):
    help_text = runner.invoke(app, ["explain", "--help"], terminal_width=200).output
    assert "--lang" in help_text and "--release-version" in help_text
    env = {"SIGAP_DATA_DIR": str(city["data_dir"]), "SIGAP_RULES__QUOTA": str(QUOTA)}
    nik = _case(city, "not_in_scope_domicile_kabupaten")["nik"]
    out = runner.invoke(app, ["explain", "--period", PERIOD, "--nik", nik, "--lang", "id"], env=env)
    assert out.exit_code == 0, out.output
    assert out.output.startswith("SURAT KETERANGAN HASIL PEMERIKSAAN DATA PROGRAM SIGAP")
    bad = runner.invoke(app, ["explain", "--period", PERIOD, "--nik", nik, "--lang", "fr"], env=env)
    assert bad.exit_code != 0
