"""The command line: export-schema writes the committed SDL; seed guards external servers."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.__main__ import main

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
