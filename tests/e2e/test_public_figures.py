"""What the city may tell the public, end to end: three periods of the generated city run
through the monthly flow (Prefect's test harness, SFTP), then every public figure checked
against what this test computes itself, independently, from the registry's entries and
the extract files:

* coverage statistics (by sex, age band, occupation group, category, disability,
  kecamatan, kelurahan) against pandas groupbys over the registry entries;
* the open-data file: its published counts are the true ones, no count below the
  threshold is published, and no withheld count can be recovered from the published
  totals (repeated subtraction over every row and column total the file publishes);
* the money view against sums over the BPJS and Dukcapil extracts and the releases, for
  each planted situation (contribution other than Rp16,800, terminations not processed,
  billing after death, arrears);
* the trend over the three periods, against the annual budget;
* the HTML report opened in a real browser (headless Chromium): a screenshot that is not
  blank, every chart's SVG in the page.
"""

from __future__ import annotations

import dataclasses
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from connectors import registry_db
from core.settings import ReportSettings, RuleSettings, Settings, SourcesSettings, to_toml
from domain.reference import city_kelurahan, occupations
from tests.conftest import skip_or_fail
from tests.unit.sample.oracle import read_extract

pytestmark = pytest.mark.prefect

BUDGET = 2_000_000_000  # the seeds' figure (Rp2 billion a year)
THRESHOLD = 5
CHROMIUM = "/usr/bin/chromium"


def _csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep="|", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def city(prefect_harness, e2e_sample, sftp_server, tmp_path_factory):
    """The three periods published in order; the registry, the outbox and the summaries."""
    from devkit.demo import demo_quota
    from flows.monthly import monthly_reconciliation

    root = tmp_path_factory.mktemp("public")
    quota = demo_quota(e2e_sample, e2e_sample.periods[0])
    settings = Settings(
        data_dir=root / "data",
        sources=SourcesSettings.served_by(sftp_server),
        rules=RuleSettings(quota=quota, annual_budget_idr=BUDGET),
        report=ReportSettings(language="id", suppression_threshold=THRESHOLD),
    )
    config = root / "sigap.toml"
    config.write_text(to_toml(settings))
    summaries = [monthly_reconciliation(period=p, config=str(config)) for p in e2e_sample.periods]
    engine = registry_db.make_engine(settings.database_url)
    yield {"settings": settings, "summaries": summaries, "engine": engine, "sample": e2e_sample}
    engine.dispose()


def _tag(period: str, version: int) -> str:
    return f"{period.replace('-', '')}_v{version}"


def _entries(city, period: str) -> tuple[pd.DataFrame, registry_db.ReleaseRow]:
    release = registry_db.latest_release(city["engine"], period)
    return registry_db.release_entries(city["engine"], release.release_id), release


# -- independent computations ----------------------------------------------------------------
def _measure(decision: pd.Series) -> pd.Series:
    return decision.map({"KEEP": "covered", "REVERIFY": "covered", "ENROLL": "enroll", "WAITLIST": "waitlist"})


def _codes(entries: pd.DataFrame) -> dict[str, pd.Series]:
    age = entries["umur"].astype("float")
    band = pd.cut(age, [14, 24, 34, 44, 54, 65], labels=["15_24", "25_34", "35_44", "45_54", "55_65"])
    groups = occupations().set_index("kode")["kelompok"].str.lower()
    city = set(city_kelurahan()["kode_kelurahan"])
    return {
        "sex": entries["jenis_kelamin"].astype("float").map({1.0: "laki_laki", 2.0: "perempuan"})
        .fillna("jenis_kelamin_tidak_diketahui"),
        "age": "umur_" + band.astype("object").fillna("lainnya").astype(str),
        "job": "pekerjaan_" + entries["kode_pekerjaan"].astype("float").map(groups).fillna("tidak_diketahui"),
        "disability": "disabilitas_" + entries["disabilitas"].astype("object").map({True: "ya", False: "tidak"})
        .fillna("tidak_diketahui"),
        "kategori": "kategori_" + entries["kategori"].fillna("TIDAK_DIKETAHUI").str.lower(),
        "kel": entries["kode_kelurahan"].where(entries["kode_kelurahan"].isin(city)).fillna(""),
    }  # fmt: skip


def _true_counts_by_kelurahan(entries: pd.DataFrame) -> pd.DataFrame:
    """Every count column of the open-data file, per kelurahan code ('' = no domicile)."""
    codes = _codes(entries)
    measure = _measure(entries["decision"])
    frame = pd.DataFrame({"kel": codes["kel"], "measure": measure}).assign(**{k: v for k, v in codes.items() if k != "kel"})
    frame = frame[frame["measure"].notna()]
    out = pd.DataFrame(index=sorted(set(city_kelurahan()["kode_kelurahan"])) + [""])
    by = frame.groupby(["kel", "measure"]).size().unstack(fill_value=0)
    out["tertanggung"] = by.get("covered", 0)
    out["daftar_baru"] = by.get("enroll", 0)
    out["daftar_tunggu"] = by.get("waitlist", 0)
    out = out.fillna(0)
    out["layak"] = out[["tertanggung", "daftar_baru", "daftar_tunggu"]].sum(axis=1)
    covered = frame[frame["measure"] == "covered"]
    for key in ("sex", "age", "job", "disability"):
        for name, part in (("layak", frame), ("tertanggung", covered)):
            counts = part.groupby(["kel", key]).size().unstack(fill_value=0)
            for column in counts.columns:
                out[f"{name}_{column}"] = counts[column]
    counts = covered.groupby(["kel", "kategori"]).size().unstack(fill_value=0)
    for column in counts.columns:
        out[f"tertanggung_{column}"] = counts[column]
    return out.fillna(0).astype("int64")


# -- statistics ----------------------------------------------------------------------------------
def test_statistics_equal_counts_from_the_registry_entries(city):
    from domain.statistics import coverage_statistics

    for summary in city["summaries"]:
        entries, release = _entries(city, summary.period)
        stats = coverage_statistics(entries)
        codes = _codes(entries)
        measure = _measure(entries["decision"])
        in_scope = measure.notna()
        assert stats.totals["eligible"] == in_scope.sum()
        assert stats.totals["covered"] == (measure == "covered").sum()
        assert stats.totals["waitlist"] == (entries["decision"] == "WAITLIST").sum()
        sex = pd.crosstab(codes["sex"][in_scope], measure[in_scope])
        assert stats.tables["jenis_kelamin"].loc["P", "covered"] == sex.loc["perempuan", "covered"]
        assert stats.tables["jenis_kelamin"].loc["P", "eligible"] == sex.loc["perempuan"].sum()
        assert stats.tables["jenis_kelamin"].loc["L", "eligible"] == sex.loc["laki_laki"].sum()
        age = codes["age"][in_scope].value_counts()
        for band, n in age.items():
            assert stats.tables["kelompok_umur"].loc[band.removeprefix("umur_").replace("_", "-").replace("lainnya", "LAINNYA"), "eligible"] == n
        jobs = codes["job"][in_scope].value_counts()
        for group, n in jobs.items():
            assert stats.tables["kelompok_pekerjaan"].loc[group.removeprefix("pekerjaan_").upper(), "eligible"] == n
        dis = codes["disability"][in_scope].value_counts()
        assert stats.disability_available
        for flag, n in dis.items():
            assert stats.tables["disabilitas"].loc[flag.removeprefix("disabilitas_").upper(), "eligible"] == n
        kec = entries.loc[in_scope, "kode_kelurahan"].str[:8].value_counts()
        for code, n in kec.items():
            if code.startswith("32.75"):
                assert stats.tables["kode_kecamatan"].loc[code, "eligible"] == n
        # the run summary (UI and CLI) says the same
        assert summary.coverage["covered"] == stats.totals["covered"]
        assert summary.coverage["women_covered"] == sex.loc["perempuan", "covered"]
        # the report's summary line carries the totals
        md = (city["settings"].outbox / f"laporan_{_tag(summary.period, summary.version)}.md").read_text()
        eligible = f"{int(in_scope.sum()):,}".replace(",", ".")
        assert f"Penduduk layak: **{eligible}**" in md


def test_disability_comes_from_the_dtsen_extract(city):
    sample = city["sample"]
    period = sample.periods[-1]
    entries, _ = _entries(city, period)
    dtsen = read_extract(sample.file("dtsen", period).path).set_index("NIK")["DISABILITAS"]
    # people whose civil-registry record the release matched (a participant whose NIK is
    # not in Dukcapil gets no DTSEN facts either: null)
    matched = entries["match_method"].isin(["NIK_EXACT", "NIK_CORRECTED"])
    known = entries[matched & entries["nik"].isin(dtsen.index)]
    expected = known["nik"].map(dtsen).map({"Y": "Y", "N": "N", "": "-"})
    got = known["disabilitas"].astype("object").map({True: "Y", False: "N"}).fillna("-")
    wrong = known[got != expected]
    assert wrong.empty, wrong[["match_method", "decision", "disabilitas"]].head().to_string()
    assert (got == "Y").sum() > 0 and (got == "-").sum() > 0
    assert entries.loc[~matched & entries["kpj"].notna(), "disabilitas"].isna().all()


# -- open data -----------------------------------------------------------------------------------
def _equations_from_the_file(frame: pd.DataFrame, counts: list[str]) -> list[tuple[tuple[int, str], list[tuple[int, str]]]]:
    """Every total the file publishes, from its layout alone: in a row, layak is the sum of
    tertanggung, daftar_baru, daftar_tunggu and of each breakdown's columns, tertanggung
    the sum of its breakdowns; a kecamatan row is the sum of its kelurahan rows, the city
    row the sum of the kecamatan rows and the row without domicile."""
    families: dict[tuple[str, str], list[str]] = {}
    for c in counts:
        if c in ("layak", "tertanggung", "daftar_baru", "daftar_tunggu"):
            continue
        measure, rest = c.split("_", 1)
        family = "jk" if rest in ("laki_laki", "perempuan", "jenis_kelamin_tidak_diketahui") else rest.split("_")[0]
        families.setdefault((measure, family), []).append(c)
    eqs = []
    for r in range(len(frame)):
        eqs.append(((r, "layak"), [(r, "tertanggung"), (r, "daftar_baru"), (r, "daftar_tunggu")]))
        for (measure, _), members in families.items():
            eqs.append(((r, measure), [(r, c) for c in members]))
    level = frame["tingkat"].tolist()
    for r in range(len(frame)):
        if level[r] == "KECAMATAN":
            kids = [k for k in range(len(frame)) if level[k] == "KELURAHAN" and frame.loc[k, "kode_kecamatan"] == frame.loc[r, "kode_wilayah"]]
        elif level[r] == "KOTA":
            kids = [k for k in range(len(frame)) if level[k] in ("KECAMATAN", "TANPA_DOMISILI")]
        else:
            continue
        for c in counts:
            eqs.append(((r, c), [(k, c) for k in kids]))
    return eqs


def test_open_data_file_names_no_one_and_withheld_cells_cannot_be_recovered(city):
    from domain.open_data import COUNT_COLUMNS

    outbox = city["settings"].outbox
    for summary in city["summaries"]:
        tag = _tag(summary.period, summary.version)
        frame = _csv(outbox / f"statistik_{tag}.csv")
        kamus = _csv(outbox / f"statistik_{tag}_kamus.csv")
        assert kamus["kolom"].tolist() == list(frame.columns)
        assert (outbox / f"statistik_{tag}.csv.sha256").is_file()
        assert not {"nik", "nama", "kpj"} & set(frame.columns)
        entries, _ = _entries(city, summary.period)
        assert not set(entries["nik"].dropna()) & set(frame.to_numpy().ravel())
        truth = _true_counts_by_kelurahan(entries)
        # the true counts of every row of the file (kecamatan and city rows are sums)
        rows = []
        for r in frame.itertuples():
            if r.tingkat == "KELURAHAN":
                rows.append(truth.loc[r.kode_wilayah])
            elif r.tingkat == "TANPA_DOMISILI":
                rows.append(truth.loc[""])
            elif r.tingkat == "KECAMATAN":
                rows.append(truth[truth.index.str.startswith(r.kode_wilayah + ".")].sum())
            else:
                rows.append(truth.sum())
        true = pd.DataFrame(rows).reset_index(drop=True).reindex(columns=list(COUNT_COLUMNS), fill_value=0)
        published = frame[list(COUNT_COLUMNS)]
        shown = published != ""
        values = published.where(shown, "0").astype("int64")
        true = true.astype("int64")
        assert ((values == true) | ~shown).all().all(), "a published count is not the true count"
        small = (true > 0) & (true < THRESHOLD)
        assert not (small & shown).any().any(), "a count below the threshold is published"
        withheld = ~shown & pd.DataFrame(
            {c: [c in str(k).split(";") for k in frame["kolom_ditahan"]] for c in COUNT_COLUMNS}
        )
        assert (small <= (withheld | ~shown)).all().all()
        # the attacker: every published total, repeated subtraction
        known = {(r, c): int(values.loc[r, c]) for r in range(len(frame)) for c in COUNT_COLUMNS if shown.loc[r, c]}
        recovered: dict = {}
        progress = True
        while progress:
            progress = False
            for total, parts in _equations_from_the_file(frame, list(COUNT_COLUMNS)):
                cells = [total, *parts]
                missing = [c for c in cells if c not in known]
                if len(missing) != 1:
                    continue
                (cell,) = missing
                rest = sum(known[p] for p in parts if p != cell)
                known[cell] = rest if cell == total else known[total] - rest
                recovered[cell] = known[cell]
                progress = True
        leaked = {cell for cell in recovered if withheld.loc[cell[0], cell[1]]}
        assert not leaked, f"{len(leaked)} withheld cells recovered, e.g. {sorted(leaked)[:3]}"
        if summary is city["summaries"][0]:  # a small city: many small cells
            assert withheld.to_numpy().sum() > 0


# -- money view --------------------------------------------------------------------------------------
def _month(text: pd.Series) -> pd.Series:
    ok = text.str.fullmatch(r"\d{4}-(0[1-9]|1[0-2])")
    when = pd.to_datetime(text.where(ok), format="%Y-%m")
    return (when.dt.year * 12 + when.dt.month - 1).astype("Int64")


def test_money_view_equals_sums_over_the_extracts_for_each_planted_situation(city):
    from devkit.sample import read_truth

    sample = city["sample"]
    outbox = city["settings"].outbox
    seen: set[str] = set()
    previous_terminated: set[str] = set()
    for summary in city["summaries"]:
        period = summary.period
        p = int(period[:4]) * 12 + int(period[5:]) - 1
        entries, release = _entries(city, period)
        bp = read_extract(sample.file("bpjstk", period).path)
        duk = read_extract(sample.file("dukcapil", period).path)
        city_rows = bp[(bp["SUMBER_IURAN"].str.upper() == "APBD_KOTA") & (bp["STATUS_KEPESERTAAN"].str.upper() == "AKTIF")].copy()
        city_rows["iuran"] = city_rows["IURAN_BULANAN"].astype("int64")
        city_rows["last"] = _month(city_rows["BULAN_IURAN_TERAKHIR"])
        by_kpj = entries.dropna(subset=["kpj"]).set_index("kpj")
        city_rows["decision"] = city_rows["KPJ"].map(by_kpj["decision"])
        m = release.money_summary
        assert m == summary.money
        # billed against the registry
        assert m["billed"]["idr"] == city_rows["iuran"].sum()
        assert m["billed"]["rows"] == len(city_rows)
        paid = entries["decision"].isin(["KEEP", "REVERIFY"])
        assert m["registry_cost_idr"] == paid.sum() * 16_800
        # contributions other than 16,800
        other = city_rows[city_rows["iuran"] != 16_800]
        assert m["contribution_differs"] == {"rows": len(other), "difference_idr": int((other["iuran"] - 16_800).sum())}
        # terminations not processed: months after the previous period
        pending = city_rows[city_rows["KPJ"].isin(previous_terminated)]
        months = (pending["last"] - (p - 1)).clip(lower=0)
        assert m["termination_pending"]["people"] == len(pending)
        assert m["termination_pending"]["months"] == int(months.sum())
        assert m["termination_pending"]["idr"] == int((months * pending["iuran"]).sum())
        # billed after death: Dukcapil MATI by the entry's NIK, months after the death month
        dead = by_kpj[by_kpj["reasons"].str.contains("DECEASED")]
        died = duk[duk["STATUS_DASAR"].str.upper() == "MATI"].set_index("NIK")["TGL_PERISTIWA"]
        death = pd.to_datetime(dead["nik"].map(died), format="%d-%m-%Y")
        death_month = (death.dt.year * 12 + death.dt.month - 1)
        last = city_rows.set_index("KPJ")["last"]
        after = (last.reindex(dead.index) - death_month).astype("Int64")
        after = after[after > 0]
        iuran = city_rows.set_index("KPJ")["iuran"]
        assert m["billed_after_death"]["people"] == len(after)
        assert m["billed_after_death"]["months"] == int(after.sum())
        assert m["billed_after_death"]["idr"] == int((after * iuran.reindex(after.index)).sum())
        # arrears: participants kept, last month paid more than one month before the period
        behind = p - city_rows["last"]
        arrears = city_rows[city_rows["decision"].isin(["KEEP", "REVERIFY"]) & (behind > 1).fillna(False)]
        months = p - arrears["last"]
        assert m["arrears"] == {"people": len(arrears), "months": int(months.sum()),
                                "idr": int((months * arrears["iuran"]).sum()), "unreadable": 0}  # fmt: skip
        # the finance office's file lists exactly these, by KPJ, no NIK
        keuangan = _csv(outbox / f"keuangan_{_tag(period, summary.version)}.csv")
        assert list(keuangan.columns) == ["kpj", "kode_kelurahan", "situasi", "keterangan", "iuran_bulanan",
                                          "bulan_iuran_terakhir", "bulan", "rupiah"]  # fmt: skip
        listed = keuangan.groupby("situasi")["kpj"].apply(set).to_dict()
        assert listed.get("ARREARS", set()) == set(arrears["KPJ"])
        assert listed.get("CONTRIBUTION_DIFFERS", set()) == set(other["KPJ"])
        assert listed.get("TERMINATION_PENDING_BILLED", set()) == set(pending["KPJ"])
        assert listed.get("BILLED_AFTER_DEATH", set()) == set(after.index)
        assert not set(entries["nik"].dropna()) & set(keuangan.to_numpy().ravel())
        # each planted situation is there
        truth, _ = read_truth(Path(sample.truth_root), period)
        cases = truth[truth["kpj"] != ""].groupby("case")["kpj"].apply(set).to_dict()
        assert cases["money_arrears"] <= listed["ARREARS"]
        assert cases["money_iuran_different"] <= listed["CONTRIBUTION_DIFFERS"]
        seen |= set(listed)
        if "deceased_paid_ahead" in cases:
            assert cases["deceased_paid_ahead"] <= listed["BILLED_AFTER_DEATH"]
        if "termination_pending" in cases:
            assert cases["termination_pending"] == listed["TERMINATION_PENDING_BILLED"]
        # no decision changed: the planted money cases keep their truth's decision
        for case in ("money_arrears", "money_iuran_different"):
            assert set(by_kpj.loc[list(cases[case]), "decision"]) == {"KEEP"}
        previous_terminated = set(entries.loc[entries["decision"] == "TERMINATE", "kpj"].dropna())
    assert seen == {"ARREARS", "CONTRIBUTION_DIFFERS", "TERMINATION_PENDING_BILLED", "BILLED_AFTER_DEATH"}
    assert "money:" in "\n".join(city["summaries"][-1].lines())


# -- trend ------------------------------------------------------------------------------------------
def test_trend_over_three_periods(city):
    summaries = city["summaries"]
    assert [s.period for s in summaries] == list(city["sample"].periods) and len(summaries) == 3
    md = (city["settings"].outbox / f"laporan_{_tag(summaries[-1].period, summaries[-1].version)}.md").read_text()
    ytd = 0
    for s in summaries:
        entries, release = _entries(city, s.period)
        covered = entries["decision"].isin(["KEEP", "REVERIFY"]).sum()
        eligible = entries["decision"].isin(["KEEP", "REVERIFY", "ENROLL", "WAITLIST"]).sum()
        ytd += release.monthly_cost_idr  # the three periods are in one calendar year
        row = next(line for line in md.splitlines() if line.startswith(f"| {s.period} |"))
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[2] == f"{eligible:,}".replace(",", ".")
        assert cells[3] == f"{covered:,}".replace(",", ".")
        assert cells[4] == f"{100 * covered / eligible:.1f}%".replace(".", ",")
        assert cells[5] == "Rp" + f"{release.monthly_cost_idr:,}".replace(",", ".")
        assert cells[7] == "Rp" + f"{ytd:,}".replace(",", ".")
        assert cells[8] == f"{100 * ytd / BUDGET:.1f}%".replace(".", ",")
    assert "Anggaran tahunan: Rp2.000.000.000" in md
    # the first period's report has one point
    first = summaries[0]
    md1 = (city["settings"].outbox / f"laporan_{_tag(first.period, first.version)}.md").read_text()
    assert sum(line.startswith("| 2026-") for line in md1.splitlines()) == 1


# -- the report in a real browser ------------------------------------------------------------------
def _png_rows(path: Path) -> tuple[int, int, list[bytes]]:
    """Width, height and the filtered scanlines of a PNG (enough to tell a blank page)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height, channels = 8, b"", 0, 0, 4
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        chunk = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", chunk[:10])
            channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour] * depth // 8
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = 1 + width * channels
    return width, height, [raw[i * stride : (i + 1) * stride] for i in range(height)]


def test_the_html_report_renders_in_headless_chromium(city, tmp_path):
    if not Path(CHROMIUM).exists():
        skip_or_fail(f"{CHROMIUM} is not installed")
    last = city["summaries"][-1]
    page = city["settings"].outbox / f"laporan_{_tag(last.period, last.version)}.html"
    html = page.read_text(encoding="utf-8")
    figures = html.count('<figure id="chart-')
    assert html.count("<svg") == figures >= 11
    for key in ("places", "jenis_kelamin", "kelompok_umur", "kelompok_pekerjaan", "disabilitas",
                "kecamatan_coverage", "trend_coverage", "trend_cost", "money", "kecamatan", "desil"):  # fmt: skip
        assert f'id="chart-{key}"' in html, key
    assert "<pre>" not in html and html.count("<table>") >= 15
    assert "<script" not in html and "https://" not in html
    shot = tmp_path / "laporan.png"
    profile = tmp_path / "chromium-profile"
    run = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={profile}", f"--screenshot={shot}", "--window-size=1200,3000",
         page.resolve().as_uri()],
        capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert shot.is_file() and shot.stat().st_size > 30_000, run.stderr[-2000:]
    width, height, rows = _png_rows(shot)
    assert (width, height) == (1200, 3000)
    pixels = np.frombuffer(b"".join(r[1:] for r in rows), dtype=np.uint8)
    assert len(set(rows)) > 300, "the page looks blank"
    assert (pixels != 0).mean() > 0.01 and pixels.std() > 5
    shutil.rmtree(profile, ignore_errors=True)


def test_without_the_disability_column_the_figure_is_not_available(tmp_path):
    """A DTSEN delivery without the optional DISABILITAS column validates, reconciles, and
    the report says the figure is not available; the open-data file leaves the
    disability columns empty (not withheld)."""
    from devkit.sample import generate
    from domain.codes import Source
    from domain.extracts import SPECS
    from domain.open_data import open_data_table
    from domain.reconcile import ReconcileInputs, reconcile
    from domain.rules import RuleParameters
    from expectations.validate import validate_extract
    from reports.release_report import ReportData, render_report

    period = "2026-08"
    sample = generate(tmp_path / "s", residents=2_000, periods=[period], seed=11, disability_column=False)
    frames = {}
    for source in Source:
        outcome = validate_extract(
            Path(sample.sftp_root) / source.value / SPECS[source].remote_path(period), SPECS[source], period,
            work_dir=tmp_path / "work", max_reject_share=0.01, row_count_tolerance=0.1,
            previous_rows=None, max_uncompressed_bytes=2**31,
        )  # fmt: skip
        assert outcome.passed, outcome.failure_message
        frames[source] = outcome.accepted
    assert frames[Source.DTSEN]["DISABILITAS"].isna().all()
    result = reconcile(ReconcileInputs.from_frames(period, frames), RuleParameters())
    assert result.entries["disabilitas"].isna().all()
    table = open_data_table(result.entries, period, 1, THRESHOLD)
    assert not table.disability_available
    assert table.frame.filter(like="_disabilitas_").isna().all().all()
    assert not table.frame["kolom_ditahan"].str.contains("disabilitas").any()
    report = render_report(ReportData(
        period=period, version=1, release_id=1, status="PUBLISHED", rules_version=result.rules_version,
        input_digests={}, accepted_flags=[], counts=result.counts, reason_counts=result.reason_counts,
        quota=dataclasses.asdict(result.quota), entries=result.entries,
        changes=pd.DataFrame(columns=["change_type", "source"]),
    ))  # fmt: skip
    assert "Data disabilitas **tidak tersedia**" in report.markdown
    assert "chart-disabilitas" not in report.html
