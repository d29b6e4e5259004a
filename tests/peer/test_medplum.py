"""The Medplum peer harness: process lifecycle and the headers and routes the shim adds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from tests.peer import medplum
from tests.peer.medplum import PeerStartError, reset, reset_url, running_medplum

pytestmark = pytest.mark.medplum

FHIR_JSON = {"Content-Type": "application/fhir+json"}
NEW_TASK = {"resourceType": "Task", "status": "ready", "intent": "order"}


@pytest.fixture
def base_url(medplum_base_url: str) -> str:
    """The session's peer (tests/conftest.py), with an empty repository."""
    reset(medplum_base_url)
    return medplum_base_url


@pytest.fixture
def client(base_url: str) -> Iterator[httpx2.Client]:
    reset(base_url)
    with httpx2.Client(base_url=base_url, timeout=10.0) as http:
        yield http


def test_base_url_and_health(base_url: str) -> None:
    assert base_url.startswith("http://127.0.0.1:")
    assert base_url.endswith("/fhir/R4/")
    assert reset_url(base_url) == base_url.removesuffix("/fhir/R4/") + "/reset"
    assert httpx2.get(base_url.removesuffix("/fhir/R4/") + "/healthz").status_code == 200


def test_create_sets_etag_last_modified_and_location(client: httpx2.Client) -> None:
    response = client.post("Task", json=NEW_TASK, headers=FHIR_JSON)

    assert response.status_code == 201
    task = response.json()
    version = task["meta"]["versionId"]
    assert response.headers["etag"] == f'W/"{version}"'
    assert response.headers["last-modified"].endswith(" GMT")
    assert response.headers["location"] == (
        f"{client.base_url}Task/{task['id']}/_history/{version}"
    )
    assert response.headers["content-type"].startswith("application/fhir+json")


def test_stale_if_match_is_412(client: httpx2.Client) -> None:
    task = client.post("Task", json=NEW_TASK, headers=FHIR_JSON).json()
    stale = f'W/"{task["meta"]["versionId"]}"'
    task["status"] = "in-progress"

    first = client.put(f"Task/{task['id']}", json=task, headers={**FHIR_JSON, "If-Match": stale})
    second = client.put(f"Task/{task['id']}", json=task, headers={**FHIR_JSON, "If-Match": stale})

    assert first.status_code == 200
    assert second.status_code == 412
    assert second.json()["resourceType"] == "OperationOutcome"


def test_form_search_merges_url_parameters(client: httpx2.Client) -> None:
    for status in ("ready", "draft", "draft"):
        client.post("Task", json={**NEW_TASK, "status": status}, headers=FHIR_JSON)

    response = client.post("Task/_search", params={"_count": "1"}, data={"status": "draft"})

    bundle = response.json()
    assert response.status_code == 200
    assert bundle["total"] == 2
    assert [e["resource"]["status"] for e in bundle["entry"]] == ["draft"]


def test_reset_empties_the_repository(base_url: str, client: httpx2.Client) -> None:
    client.post("Task", json=NEW_TASK, headers=FHIR_JSON)

    reset(base_url)

    assert client.get("Task").json()["total"] == 0


def test_bad_json_is_an_operation_outcome(client: httpx2.Client) -> None:
    response = client.post("Task", content=b"{", headers=FHIR_JSON)

    assert response.status_code == 400
    assert response.json()["resourceType"] == "OperationOutcome"


def _fake_peer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script: str) -> None:
    (tmp_path / "node_modules" / "@medplum" / "fhir-router").mkdir(parents=True)
    (tmp_path / "server.mjs").write_text(script)
    monkeypatch.setattr(medplum, "PEER_DIR", tmp_path)


def test_early_exit_reports_stderr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_peer(tmp_path, monkeypatch, "console.error('definitions missing'); process.exit(3);\n")

    with pytest.raises(PeerStartError, match=r"(?s)code 3.*definitions missing"), running_medplum():
        pass


def test_silent_peer_times_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_peer(tmp_path, monkeypatch, "console.log('booting'); setInterval(() => {}, 1000);\n")

    with pytest.raises(PeerStartError, match="no LISTENING line"), running_medplum(timeout=1.0):
        pass
