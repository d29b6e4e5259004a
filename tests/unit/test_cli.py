"""The command line: export-schema writes the committed SDL; seed guards external servers."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.__main__ import main
from tests.fhir_servers import running_fhir

ROOT = Path(__file__).resolve().parents[2]


def test_export_schema_writes_the_committed_sdl(tmp_path: Path) -> None:
    out = tmp_path / "schema.graphql"
    assert main(["export-schema", "--output", str(out)]) == 0
    assert out.read_text() == (ROOT / "schema.graphql").read_text()


def test_seed_refuses_an_external_server_by_default(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GATEWAY_FHIR_BASE_URL", "http://127.0.0.1:9/fhir/R4")
    assert main(["seed"]) == 2
    assert "refusing" in capsys.readouterr().err


def test_seed_refuses_passthrough_credentials_before_any_fhir_request(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with running_fhir() as server:
        monkeypatch.setenv("GATEWAY_FHIR_BASE_URL", server.base_url)
        monkeypatch.setenv("GATEWAY_FHIR_AUTH", "passthrough")

        assert main(["seed", "--allow-external"]) == 2

    assert "GATEWAY_FHIR_AUTH=passthrough" in capsys.readouterr().err
    assert server.seen == []


def test_seed_is_idempotent_on_a_store_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GATEWAY_STORE_PATH", str(tmp_path / "fhir.sqlite3"))
    assert main(["seed"]) == 0
    first = capsys.readouterr().out
    assert main(["seed"]) == 0
    second = capsys.readouterr().out
    assert "0 already present" in first
    assert "0 resources written" in second


def test_production_without_a_cursor_secret_refuses_to_serve(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "fhir.sqlite3"
    monkeypatch.setenv("GATEWAY_ENV", "production")
    monkeypatch.setenv("GATEWAY_STORE_PATH", str(store))
    monkeypatch.delenv("GATEWAY_CURSOR_SECRET", raising=False)

    assert main(["serve", "--port", "9"]) == 2

    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "GATEWAY_CURSOR_SECRET is required with GATEWAY_ENV=production" in err
    assert not store.exists()


def test_refused_settings_are_named_without_their_value(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GATEWAY_CURSOR_SECRET", " ")
    monkeypatch.setenv("GATEWAY_PORT", "not-a-port")

    assert main(["seed"]) == 2

    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "GATEWAY_CURSOR_SECRET: must not be empty" in err
    assert "GATEWAY_PORT:" in err
    assert "not-a-port" not in err
