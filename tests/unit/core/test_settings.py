import re
from pathlib import Path

import pytest

from core.errors import ConfigError
from core.settings import (
    ScaleSettings,
    Settings,
    SftpEndpoint,
    load_settings,
    settings_markdown_table,
    to_toml,
)


def test_defaults_follow_the_rule_book():
    s = load_settings()
    assert (s.rules.max_desil, s.rules.min_age, s.rules.max_age) == (5, 15, 65)
    assert s.rules.quota == 51_666 and s.rules.monthly_contribution_idr == 16_800
    assert s.validation.max_reject_share == 0.01
    assert s.database_url.startswith("sqlite:///") and s.database_url.endswith("registry.sqlite")


def test_toml_file_then_environment_override(tmp_path, monkeypatch):
    cfg = tmp_path / "sigap.toml"
    cfg.write_text('data_dir = "/srv/sigap"\n[rules]\nquota = 100\nmax_desil = 4\n[sources.dtsen]\nhost = "dtsen.example"\nport = 2222\n')
    monkeypatch.setenv("SIGAP_RULES__QUOTA", "250")
    s = load_settings(cfg)
    assert s.rules.quota == 250  # environment wins over the file
    assert s.rules.max_desil == 4  # the file wins over the default
    assert s.sources.dtsen.host == "dtsen.example" and s.sources.dtsen.port == 2222
    assert s.data_dir == Path("/srv/sigap")


def test_sigap_config_variable_names_the_file(tmp_path, monkeypatch):
    cfg = tmp_path / "x.toml"
    cfg.write_text("[rules]\nquota = 7\n")
    monkeypatch.setenv("SIGAP_CONFIG", str(cfg))
    assert load_settings().rules.quota == 7


def test_missing_or_invalid_settings_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[rules]\nquota = 'many'\n")
    with pytest.raises(ConfigError, match="quota"):
        load_settings(bad)


def test_secrets_never_rendered(tmp_path):
    s = Settings(sources={"dukcapil": SftpEndpoint(private_key_passphrase="hunter2")}, database={"url": "postgresql://u:pw@h/db"})
    text = to_toml(s)
    assert "hunter2" not in text and "pw@" not in text
    assert "hunter2" not in repr(s) and "pw@" not in repr(s)


def test_toml_round_trip(tmp_path):
    s = Settings(data_dir=tmp_path, rules={"quota": 123})
    cfg = tmp_path / "s.toml"
    cfg.write_text(to_toml(s))
    assert load_settings(cfg) == s


def test_readme_settings_table_is_current():
    readme = (Path(__file__).parents[3] / "README.md").read_text()
    block = re.search(r"<!-- settings-table:start -->\n(.*?)\n<!-- settings-table:end -->", readme, re.S)
    assert block is not None, "README lacks the settings table markers"
    assert block.group(1).strip() == settings_markdown_table().strip(), "run: sigap settings table, paste into README"


def test_scale_defaults_to_one_process_and_reads_toml_and_environment(tmp_path, monkeypatch):
    assert load_settings().scale == ScaleSettings()
    assert (ScaleSettings().partitions, ScaleSettings().uses_dask) == (1, False)
    cfg = tmp_path / "sigap.toml"
    cfg.write_text(
        '[scale]\npartitions = 8\ndask_address = "tcp://scheduler:8786"\n'
        'staging_dir = "/srv/sigap/staging"\n'
    )
    s = load_settings(cfg)
    assert (s.scale.partitions, s.scale.dask_address) == (8, "tcp://scheduler:8786")
    assert s.scale.dask_workers == 0
    assert s.scale.staging_dir == Path("/srv/sigap/staging") and s.scale.uses_dask
    monkeypatch.setenv("SIGAP_SCALE__PARTITIONS", "4")
    assert load_settings(cfg).scale.partitions == 4
    assert load_settings(cfg) == load_settings(_round_trip(load_settings(cfg), tmp_path))


def _round_trip(settings: Settings, tmp_path: Path) -> Path:
    out = tmp_path / "round-trip.toml"
    out.write_text(to_toml(settings))
    return out


def test_scale_local_cluster_and_threads_are_valid():
    assert ScaleSettings(partitions=4, dask_workers=2).uses_dask
    assert not ScaleSettings(partitions=4).uses_dask  # partitions in the flow's threads
    assert ScaleSettings(partitions=4, dask_workers=2, staging_dir=Path("relative/ok")).staging_dir


@pytest.mark.parametrize(
    ("scale", "message"),
    [
        ({"partitions": 0}, "scale.partitions must be at least 1"),
        ({"partitions": -3}, "not -3"),
        ({"partitions": 2, "dask_workers": -1}, "scale.dask_workers cannot be negative"),
        ({"partitions": 2, "dask_address": "  "}, "scale.dask_address is empty"),
        (
            {"partitions": 2, "dask_address": "tcp://s:8786", "dask_workers": 2},
            "not both",
        ),
        ({"dask_workers": 2}, "scale.dask_workers only apply with scale.partitions > 1"),
        (
            {"dask_address": "tcp://s:8786", "staging_dir": "/x"},
            "scale.dask_address and scale.staging_dir only apply",
        ),
        (
            {"partitions": 2, "dask_address": "tcp://s:8786", "staging_dir": "staging"},
            "scale.staging_dir must be an absolute path",
        ),
    ],
)
def test_scale_combinations_that_cannot_work_are_config_errors(scale, message, tmp_path):
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_settings(scale=scale)


def test_scale_errors_are_all_reported_at_once(tmp_path, monkeypatch):
    monkeypatch.setenv("SIGAP_SCALE__PARTITIONS", "0")
    monkeypatch.setenv("SIGAP_SCALE__DASK_WORKERS", "-2")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert "scale.partitions must be at least 1" in str(info.value)
    assert "scale.dask_workers cannot be negative" in str(info.value)


# --- issue 15 point 9: unknown keys are errors, values are range-checked ------------------


def _toml(tmp_path: Path, text: str) -> Path:
    cfg = tmp_path / "sigap.toml"
    cfg.write_text(text)
    return cfg


def _problems(tmp_path: Path, text: str | None = None, **overrides) -> str:
    with pytest.raises(ConfigError) as info:
        load_settings(_toml(tmp_path, text) if text is not None else None, **overrides)
    return str(info.value)


@pytest.mark.parametrize(
    ("text", "unknown", "meant"),
    [
        ("[rules]\nqouta = 10\n", "rules.qouta", "rules.quota"),
        ('[sources.dukcapil]\nhostname = "dukcapil.example"\n', "sources.dukcapil.hostname", "sources.dukcapil.host"),
        ('[sources.outbound]\nhost = "x"\nremote_rot = "out"\n', "sources.outbound.remote_rot", "sources.outbound.remote_root"),
        ("[rule]\nquota = 10\n", "rule", "rules"),
        ("[database]\nurll = 'sqlite://'\n", "database.urll", "database.url"),
        ("[validation]\nmax_reject_shares = 0.02\n", "validation.max_reject_shares", "validation.max_reject_share"),
        ("[validation.row_count_tolerance]\ndukcapl = 0.2\n", "validation.row_count_tolerance.dukcapl", "validation.row_count_tolerance.dukcapil"),
        ("[scale]\npartition = 4\n", "scale.partition", "scale.partitions"),
        ("datadir = '/srv'\n", "datadir", "data_dir"),
        # a key in the wrong table: the closest valid key anywhere
        ("[rules]\nmax_reject_share = 0.02\n", "rules.max_reject_share", "validation.max_reject_share"),
    ],
)
def test_an_unknown_key_names_itself_and_the_closest_valid_one(tmp_path, text, unknown, meant):
    message = _problems(tmp_path, text)
    assert f"unknown setting {unknown} (did you mean {meant}?)" in message
    assert str(tmp_path / "sigap.toml") in message


def test_every_problem_is_reported_at_once(tmp_path):
    message = _problems(
        tmp_path,
        "[rules]\nqouta = 10\nmax_desil = 12\nmonthly_contribution_idr = 0\n"
        "[sources.dukcapil]\nhostname = 'x'\nport = 0\n[validation]\nmax_reject_share = 1.5\n",
    )
    for expected in (
        "rules.qouta",
        "rules.max_desil is 12: must be from 1 to 10",
        "rules.monthly_contribution_idr is 0: must be more than 0",
        "sources.dukcapil.hostname",
        "sources.dukcapil.port is 0: must be from 1 to 65535",
        "validation.max_reject_share is 1.5: must be from 0 to 1",
    ):
        assert expected in message, message
    assert "6 problems" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[rules]\nquota = -1\n", "rules.quota is -1: must be at least 0"),
        ("[rules]\nannual_budget_idr = -5\n", "rules.annual_budget_idr is -5: must be at least 0"),
        ("[rules]\nmonthly_contribution_idr = -16800\n", "rules.monthly_contribution_idr is -16800: must be more than 0"),
        ("[rules]\nmax_desil = 0\n", "rules.max_desil is 0: must be from 1 to 10"),
        ("[rules]\nmin_age = -1\n", "rules.min_age is -1: must be from 0 to 130"),
        ("[rules]\nmax_age = 200\n", "rules.max_age is 200: must be from 0 to 130"),
        ("[rules]\nmin_age = 70\nmax_age = 65\n", "rules.min_age (70) must not be above rules.max_age (65)"),
        ("[rules]\ntypo_name_similarity = 1.2\n", "rules.typo_name_similarity is 1.2: must be from 0 to 1"),
        ("[rules]\nmismatch_name_similarity = -0.1\n", "rules.mismatch_name_similarity is -0.1: must be from 0 to 1"),
        ("[rules]\ntypo_name_similarity = nan\n", "rules.typo_name_similarity"),
        ("[rules]\nmax_nik_edits = -1\n", "rules.max_nik_edits is -1: must be at least 0"),
        ("[rules]\nescalate_after_periods = 0\n", "rules.escalate_after_periods is 0: must be at least 1"),
        ("[validation]\nmax_reject_share = -0.01\n", "validation.max_reject_share is -0.01: must be from 0 to 1"),
        ("[validation.row_count_tolerance]\ndtsen = -0.1\n", "validation.row_count_tolerance.dtsen is -0.1: must be at least 0"),
        ("[validation]\nmax_uncompressed_bytes = 0\n", "validation.max_uncompressed_bytes is 0: must be more than 0"),
        ("[sources]\nchecksum_wait_seconds = -1\n", "sources.checksum_wait_seconds is -1: must be at least 0"),
        ("[sources]\nchecksum_poll_seconds = 0\n", "sources.checksum_poll_seconds is 0: must be more than 0"),
        ("[sources.dtsen]\nport = 70000\n", "sources.dtsen.port is 70000: must be from 1 to 65535"),
        ("[sources.bpjstk]\ntimeout_seconds = 0\n", "sources.bpjstk.timeout_seconds is 0: must be more than 0"),
        ("[sources.bpjstk]\ntimeout_seconds = inf\n", "sources.bpjstk.timeout_seconds"),
        ("[sources.verifikasi]\nretries = -1\n", "sources.verifikasi.retries is -1: must be at least 0"),
    ],
)
def test_values_out_of_range_name_the_allowed_values(tmp_path, text, expected):
    assert expected in _problems(tmp_path, text)


def test_the_edges_of_the_ranges_are_allowed(tmp_path):
    s = load_settings(
        _toml(
            tmp_path,
            "[rules]\nquota = 0\nannual_budget_idr = 0\nmax_desil = 10\nmin_age = 0\nmax_age = 0\n"
            "typo_name_similarity = 1.0\nmismatch_name_similarity = 0.0\nmax_nik_edits = 0\n"
            "escalate_after_periods = 1\n[validation]\nmax_reject_share = 1.0\n"
            "[sources]\nchecksum_wait_seconds = 0\n[sources.dukcapil]\nport = 65535\nretries = 0\n",
        )
    )
    assert (s.rules.quota, s.rules.min_age, s.rules.max_age, s.sources.dukcapil.port) == (0, 0, 0, 65535)


def test_row_count_tolerance_takes_the_three_sources_and_keeps_the_others_default(tmp_path):
    s = load_settings(_toml(tmp_path, "[validation.row_count_tolerance]\ndtsen = 0.25\n"))
    assert s.validation.row_count_tolerance == {"dukcapil": 0.10, "dtsen": 0.25, "bpjstk": 0.10}


def test_every_settings_table_forbids_unknown_keys():
    from pydantic import BaseModel

    seen = set()

    def walk(model):
        if model in seen:
            return
        seen.add(model)
        assert model.model_config.get("extra") == "forbid", f"{model.__name__} ignores unknown keys"
        for field in model.model_fields.values():
            for candidate in getattr(field.annotation, "__args__", ()) or (field.annotation,):
                if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                    walk(candidate)

    walk(Settings)
    assert SftpEndpoint in seen and ScaleSettings in seen


@pytest.mark.parametrize(
    ("variable", "meant"),
    [
        ("SIGAP_RULES__QOUTA", "SIGAP_RULES__QUOTA"),
        ("SIGAP_QUOTA", "SIGAP_RULES__QUOTA"),
        ("SIGAP_DATADIR", "SIGAP_DATA_DIR"),
        ("SIGAP_SOURCES__DUKCAPIL__HOSTNAME", "SIGAP_SOURCES__DUKCAPIL__HOST"),
        ("SIGAP_DATABASE_URL", "SIGAP_DATABASE__URL"),
        ("SIGAP_VALIDATION__ROW_COUNT_TOLERANCE__DUKCAPL", "SIGAP_VALIDATION__ROW_COUNT_TOLERANCE__DUKCAPIL"),
        ("sigap_rules__qouta", "SIGAP_RULES__QUOTA"),
    ],
)
def test_an_unknown_sigap_environment_variable_is_an_error(monkeypatch, variable, meant):
    monkeypatch.setenv(variable, "10")
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert f"unknown setting {variable} (did you mean {meant}?)" in message
    assert message.count("unknown setting") == 1  # once, not also as the table's key


def test_sigap_config_and_home_are_not_settings_and_valid_variables_work(tmp_path, monkeypatch):
    monkeypatch.setenv("SIGAP_CONFIG", str(_toml(tmp_path, "[rules]\nquota = 7\n")))
    monkeypatch.setenv("SIGAP_HOME", str(tmp_path))
    monkeypatch.setenv("SIGAP_VALIDATION__ROW_COUNT_TOLERANCE__BPJSTK", "0.3")
    monkeypatch.setenv("sigap_sources__dtsen__port", "2222")
    s = load_settings()
    assert s.rules.quota == 7 and s.validation.row_count_tolerance["bpjstk"] == 0.3
    assert s.sources.dtsen.port == 2222


def test_a_bad_value_from_the_environment_names_the_variable(monkeypatch):
    monkeypatch.setenv("SIGAP_RULES__QUOTA", "-3")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert "rules.quota is -3: must be at least 0 (from SIGAP_RULES__QUOTA)" in str(info.value)


def test_a_problem_never_shows_a_secret(tmp_path):
    message = _problems(
        tmp_path,
        '[database]\nurl = ["postgresql://sigap:hunter2@db/sigap"]\n'
        '[sources.dukcapil]\nprivate_key_passphrase = 12345678\n',
    )
    assert "database.url" in message and "sources.dukcapil.private_key_passphrase" in message
    assert "hunter2" not in message and "12345678" not in message
