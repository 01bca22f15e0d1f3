"""Choosing the extract source from the settings (no network involved)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from connectors.sftp import LocalSource, SftpSource, open_source
from domain.codes import Source
from core.errors import ConfigError
from core.settings import Settings, SftpEndpoint, SourcesSettings


def _settings(**sources) -> Settings:
    return Settings(sources=SourcesSettings(**sources))


@pytest.mark.parametrize("source", [Source.DTSEN, "dtsen", " DTSEN "])
def test_local_kind_gives_a_local_source_per_source_folder(tmp_path, source):
    settings = _settings(
        kind="local", local_root=tmp_path, checksum_wait_seconds=30, checksum_poll_seconds=5
    )
    with open_source(settings, source) as opened:
        assert isinstance(opened, LocalSource)
        assert opened.root == tmp_path / "dtsen"
        assert opened.name == "dtsen"
        assert (opened.checksum_wait_seconds, opened.checksum_poll_seconds) == (30, 5)


def test_local_kind_needs_a_root():
    with pytest.raises(ConfigError, match="local_root"):
        open_source(_settings(kind="local"), Source.DUKCAPIL)


def test_sftp_kind_uses_the_source_endpoint_without_connecting():
    endpoint = SftpEndpoint(host="sftp.bpjs.example", port=2222, remote_root="/out/bekasi")
    settings = _settings(kind="sftp", bpjstk=endpoint, checksum_wait_seconds=60)
    with open_source(settings, Source.BPJSTK) as opened:
        assert isinstance(opened, SftpSource)
        assert opened.endpoint == endpoint
        assert opened.checksum_wait_seconds == 60
        assert opened._client is None  # lazy: nothing opened yet


def test_verifikasi_defaults_to_beside_dukcapil():
    dukcapil = SftpEndpoint(host="dukcapil.example", remote_root="/data/dukcapil")
    with open_source(_settings(dukcapil=dukcapil), "verifikasi") as opened:
        assert opened.endpoint.host == "dukcapil.example"
        assert opened.endpoint.remote_root == "/data/verifikasi"
    with open_source(_settings(), "verifikasi") as opened:  # default roots are relative
        assert opened.endpoint.remote_root == "verifikasi"
    own = SftpEndpoint(host="inbox.example", remote_root="hasil")
    with open_source(_settings(verifikasi=own), "verifikasi") as opened:
        assert opened.endpoint == own


def test_outbound_must_be_configured():
    with pytest.raises(ConfigError, match="outbound"):
        open_source(_settings(), "outbound")
    out = SftpEndpoint(host="out.example")
    with open_source(_settings(outbound=out), "outbound") as opened:
        assert opened.endpoint == out


def test_outbound_is_its_endpoint_even_when_extracts_come_from_a_folder(tmp_path):
    """``kind = "local"`` says where the extracts come from; the outbox still goes to the
    configured outbound SFTP endpoint, not to a folder beside the extracts."""
    out = SftpEndpoint(host="out.example")
    with open_source(_settings(kind="local", local_root=tmp_path, outbound=out), "outbound") as opened:
        assert isinstance(opened, SftpSource) and opened.endpoint == out


@pytest.mark.parametrize("kind", ["sftp", "local"])
def test_unknown_source_is_a_configuration_error(tmp_path, kind):
    with pytest.raises(ConfigError, match="unknown source 'kemensos'"):
        open_source(_settings(kind=kind, local_root=tmp_path), "kemensos")


def test_secrets_stay_out_of_repr(tmp_path):
    endpoint = SftpEndpoint(
        private_key_path=Path("/keys/id"), private_key_passphrase=SecretStr("hunter2-secret")
    )
    source = SftpSource(endpoint, "dukcapil")
    assert "hunter2" not in repr(source)


def test_timing_values_are_checked():
    with pytest.raises(ValueError):
        SftpSource(SftpEndpoint(), "dukcapil", checksum_wait_seconds=-1)
