"""``sigap explain``: why a person is (or is not) in a period's registry.

For a NIK (or a KPJ) it reads, for one release of the period (the current one, or
``--release-version``):

* the release's entries of the person and the participants linked to their NIK as the
  suggested NIK of a probable typo (the registry database);
* the person's rows in the release's accepted extracts: the Parquet baselines named by the
  release's ``input_digests``, each read with a filter on the NIK (never the whole city);
* the person's lines in the period's rejects files (line, column, rule; nothing else);

and answers with :mod:`domain.assessment`: every eligibility rule with its outcome and
evidence, the decision if the person is in scope, what to do next. ``--lang en`` (the
default) is the operator's view; ``--lang id`` is a short letter in Bahasa Indonesia for
the citizen, holding only their own data.
"""

from __future__ import annotations

import pandas as pd

from connectors import registry_db
from connectors.baselines import BaselineStore
from core.errors import SigapError
from core.settings import Settings
from domain.assessment import (
    Assessment,
    Outcome,
    PersonRecords,
    ReleaseInfo,
    SearchedExtract,
    assess,
    explanation,
    linked_entries,
)
from domain.codes import Source
from domain.explain import explain_entry
from domain.extracts import SPECS
from domain.identity import normalise_nik
from domain.periods import parse_period, reference_date
from domain.privacy import mask_nik
from domain.reconcile import REQUIRED_COLUMNS
from domain.rules import rule_parameters
from domain.texts import Lang, text

#: the BPJS columns the coverage rule and the KPJ look-up read
BPJS_COLUMNS = ("KPJ", "NIK", "SUMBER_IURAN", "STATUS_KEPESERTAAN", "TGL_AKTIF")


def _engine(settings: Settings):
    from tasks.registry import engine_for

    return engine_for(settings)


def _release(engine, period: str, version: int | None) -> registry_db.ReleaseRow:
    if version is None:
        release = registry_db.latest_release(engine, period)
        if release is None:
            raise SigapError(
                f"no published release for {period}", hint="run `sigap run --period` first"
            )
        return release
    known = registry_db.releases(engine, period)
    for release in known:
        if release.version == version:
            return release
    versions = ", ".join(f"v{r.version} ({r.status})" for r in known) or "none"
    raise SigapError(f"{period} has no release v{version} (releases: {versions})")


def _files(engine, period: str, digests: dict[str, str]) -> dict[str, str]:
    """The delivered file name of each source's accepted extract (by its digest)."""
    by_digest = {d.sha256: d.file_name for d in registry_db.deliveries(engine, period) if d.sha256}
    return {
        source.value: by_digest.get(digests.get(source.value, ""), SPECS[source].file_name(period))
        for source in Source
    }


def _text(value: object) -> str | None:
    """A stripped text value, ``None`` for a missing or empty one."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):  # type: ignore[arg-type]
        return None
    return str(value).strip() or None


def _concat(*frames: pd.DataFrame) -> pd.DataFrame:
    full = [f for f in frames if len(f)]
    if not full:
        return frames[0]
    out = pd.concat(full, ignore_index=True)
    return out.drop_duplicates(subset=["kpj", "nik"]).reset_index(drop=True)


def explain(
    settings: Settings,
    period: str,
    *,
    nik: str | None = None,
    kpj: str | None = None,
    lang: Lang | str = Lang.EN,
    release_version: int | None = None,
) -> str:
    """The explanation of one person (by NIK or KPJ) in a release of ``period`` (see the
    module docstring). Errors (no release, no such person, extracts no longer stored and
    no entry) raise :class:`SigapError` with any NIK masked."""
    parse_period(period)
    lang = Lang(lang)
    nik = (nik or "").strip() or None
    kpj = (kpj or "").strip() or None
    if not nik and not kpj:
        raise SigapError("give --nik or --kpj")
    params = rule_parameters(settings)
    store = BaselineStore(settings.data_dir / "baselines")

    engine = _engine(settings)
    try:
        release = _release(engine, period, release_version)
        digests = release.input_digests
        stored = {
            s.value: bool(digests.get(s.value)) and store.exists(s, period, digests[s.value])
            for s in Source
        }
        by_kpj = (
            registry_db.release_entries(engine, release.release_id, kpjs=[kpj])
            if kpj
            else pd.DataFrame()
        )
        notes: list[str] = []
        if kpj and not nik:
            nik = _nik_of_kpj(store, period, digests, stored, kpj, by_kpj, notes)
        by_nik = (
            registry_db.release_entries(engine, release.release_id, niks=[nik])
            if nik
            else by_kpj.iloc[0:0]
        )
        entries = _concat(by_kpj, by_nik) if len(by_kpj) else by_nik
        linked = (
            linked_entries(registry_db.entries_suggesting(engine, release.release_id, nik), nik)
            if nik
            else entries.iloc[0:0]
        )
        files = _files(engine, period, digests)
    finally:
        engine.dispose()

    info = ReleaseInfo(period, release.version, release.release_id, release.rules_version)
    if params.rules_version != release.rules_version:
        notes.append(text("explain.rules_differ", Lang.EN, current=params.rules_version,
                          release=release.rules_version))  # fmt: skip
    entry_lines: list[str] = []
    for record in entries.to_dict("records"):
        if entry_lines:
            entry_lines.append("")
        entry_lines.extend(explain_entry(record, reveal=True))

    missing = [s for s, ok in stored.items() if not ok]
    if missing:
        gone = ", ".join(f"{s} sha256 {digests.get(s, '')[:12] or '(none)'}" for s in missing)
        if entries.empty:
            who = f"NIK {mask_nik(nik)}" if nik else f"KPJ {kpj}"
            raise SigapError(
                f"no entry for {who} in {period} release v{release.version}, and the release's "
                f"accepted extracts are no longer stored ({gone}): cannot say why",
                hint="the baselines are under <data_dir>/baselines; a release whose extracts were "
                "deleted can only show its entries",
            )
        notes.append(text("explain.baselines_gone", Lang.EN, version=release.version, missing=gone))
        first = entries.iloc[0]
        assessment = Assessment(
            nik=_text(first["nik"]) or "", period=period, on=reference_date(period), params=params,
            outcome=Outcome.IN_SCOPE, checks=(), name=_text(first.get("nama")),
            kelurahan=_text(first.get("kode_kelurahan")), entries=entries, linked=linked,
        )  # fmt: skip
        lines = explanation(assessment, lang=lang, release=info, entry_lines=entry_lines,
                            notes=notes)  # fmt: skip
        return "\n".join(lines)

    if not nik:  # a participant whose BPJS NIK is empty: only the entry can be shown
        first = entries.iloc[0]
        assessment = Assessment(
            nik="", period=period, on=reference_date(period), params=params,
            outcome=Outcome.IN_SCOPE, checks=(), name=_text(first.get("nama")),
            kelurahan=_text(first.get("kode_kelurahan")), entries=entries, linked=linked,
        )  # fmt: skip
        return "\n".join(explanation(assessment, lang=lang, release=info,
                                     entry_lines=entry_lines, notes=notes))  # fmt: skip

    frames: dict[str, pd.DataFrame] = {}
    searched = []
    for source in Source:
        sha = digests[source.value]
        if source is Source.BPJSTK:
            # BPJS NIKs may carry white space: read the list's few columns, then the rule's
            # own normalisation (the list is a tenth of the city's size)
            rows = store.load(source, period, sha, columns=list(BPJS_COLUMNS))
            rows = rows[(normalise_nik(rows["NIK"]) == nik).fillna(False).to_numpy(dtype=bool)]
        else:
            rows = store.load_rows(
                source, period, sha, "NIK", [nik], columns=list(REQUIRED_COLUMNS[source.value])
            )
        frames[source.value] = rows.reset_index(drop=True)
        searched.append(SearchedExtract(source.value, files[source.value], sha, len(rows)))
    records = PersonRecords(
        nik=nik, dukcapil=frames["dukcapil"], dtsen=frames["dtsen"], bpjstk=frames["bpjstk"],
        entries=entries, linked=linked,
    )  # fmt: skip
    assessment = assess(records, period, params)
    quarantined = _quarantined(settings, period, nik, files)
    lines = explanation(
        assessment, lang=lang, release=info, searched=searched, quarantined=quarantined,
        entry_lines=entry_lines, notes=notes,
    )  # fmt: skip
    return "\n".join(lines)


def _nik_of_kpj(store, period, digests, stored, kpj, by_kpj, notes) -> str | None:
    """The NIK to explain for a KPJ: its entry's, else its row's in the BPJS list."""
    if len(by_kpj):
        return _text(by_kpj["nik"].iloc[0])
    if not stored.get(Source.BPJSTK.value):
        raise SigapError(f"KPJ {kpj} has no entry in the release, and its BPJS list is not stored")
    rows = store.load_rows(Source.BPJSTK, period, digests[Source.BPJSTK.value], "KPJ", [kpj],
                           columns=list(BPJS_COLUMNS))  # fmt: skip
    if rows is None or rows.empty:
        raise SigapError(f"KPJ {kpj} is neither in the release nor in the period's BPJS list")
    row = rows.iloc[0]
    notes.append(
        f"KPJ {kpj}: SUMBER_IURAN={row['SUMBER_IURAN']}, STATUS_KEPESERTAAN="
        f"{row['STATUS_KEPESERTAAN']} in the BPJS list: not a city-paid active participant"
    )
    return _text(normalise_nik(rows["NIK"]).iloc[0])


def _quarantined(settings: Settings, period: str, nik: str, files: dict[str, str]) -> pd.DataFrame:
    """The person's lines in the period's rejects files (``source``, ``file``, ``line``,
    ``column``, ``rule``)."""
    from expectations.quarantine import rejected_lines, rejects_path

    pieces = []
    for source in Source:
        path = rejects_path(settings.data_dir / "runs" / period, source.value, period)
        found = rejected_lines(path, nik)
        if len(found):
            pieces.append(found.assign(source=source.value, file=files[source.value]))
    if not pieces:
        return pd.DataFrame(columns=["source", "file", "line", "column", "rule"])
    return pd.concat(pieces, ignore_index=True)
