"""The trusted-documents manifest: written from a folder by the CLI, checked when loaded."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from gateway.__main__ import main
from gateway.config import Settings
from gateway.http.trusted_documents import TrustedDocumentsError, load_manifest

MY_TASKS = "query MyTasks {\n  tasks(first: 10) {\n    nodes { id status }\n  }\n}"
CLAIM = "mutation Claim($id: ID!) {\n  claimTask(id: $id) { id }\n}"


def sha(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def test_the_command_writes_one_entry_per_file(tmp_path: Path) -> None:
    (tmp_path / "ops" / "nested").mkdir(parents=True)
    (tmp_path / "ops" / "my_tasks.graphql").write_text(MY_TASKS + "\n")
    (tmp_path / "ops" / "nested" / "claim.graphql").write_text(CLAIM)
    (tmp_path / "ops" / "notes.txt").write_text("not an operation")
    out = tmp_path / "manifest.json"

    assert main(["trusted-documents", str(tmp_path / "ops"), "--output", str(out)]) == 0

    manifest = json.loads(out.read_text())
    assert manifest == {sha(MY_TASKS): MY_TASKS, sha(CLAIM): CLAIM}
    assert load_manifest(out) == manifest


def test_the_command_prints_to_stdout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "q.graphql").write_text(MY_TASKS)
    assert main(["trusted-documents", str(tmp_path)]) == 0
    assert json.loads(capsys.readouterr().out) == {sha(MY_TASKS): MY_TASKS}


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("query {", "q.graphql: Syntax Error"),
        ("query { nope }", "q.graphql: Cannot query field 'nope'"),
    ],
)
def test_the_command_refuses_documents_the_schema_refuses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, problem: str
) -> None:
    (tmp_path / "q.graphql").write_text(text)
    assert main(["trusted-documents", str(tmp_path)]) == 2
    assert problem in capsys.readouterr().err


def test_the_command_refuses_an_empty_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["trusted-documents", str(tmp_path)]) == 2
    assert "no .graphql files" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("[]", "must be a JSON object"),
        ("{", "is not JSON"),
        (json.dumps({sha(MY_TASKS): 1}), "is not a string"),
        (json.dumps({sha(CLAIM): MY_TASKS}), "is not the SHA-256 of its document"),
    ],
)
def test_a_manifest_that_cannot_be_trusted_is_refused(
    tmp_path: Path, content: str, problem: str
) -> None:
    path = tmp_path / "manifest.json"
    path.write_text(content)
    with pytest.raises(TrustedDocumentsError, match=problem):
        load_manifest(path)


def test_serve_names_a_bad_manifest_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GATEWAY_STORE_PATH", ":memory:")
    monkeypatch.setenv("GATEWAY_TRUSTED_DOCUMENTS", str(tmp_path / "missing.json"))
    assert main(["serve", "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("gateway: GATEWAY_TRUSTED_DOCUMENTS: cannot read")
    assert err.count("\n") == 1


def test_trusted_only_needs_a_manifest() -> None:
    with pytest.raises(ValueError, match="GATEWAY_TRUSTED_DOCUMENTS_ONLY=true needs"):
        Settings(trusted_documents_only=True)
