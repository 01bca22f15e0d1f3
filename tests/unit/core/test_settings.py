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
