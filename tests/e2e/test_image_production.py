"""The gateway as the Docker image starts it (its ENV and CMD, read from the Dockerfile):
production behaviour, and refusal to start without its secrets."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import httpx2
import pytest

from tests.conftest import free_port
from tests.dockerfile import Image, read_image
from tests.oidc_provider import OidcProvider

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT = 30.0
EXIT_TIMEOUT = 60.0
SECRET = "a-cursor-secret-shared-by-every-replica"


def image_command(image: Image) -> list[str]:
    """The image's CMD for this machine: its python is the suite's."""
    assert image.command[0] == "python"
    return [sys.executable, *image.command[1:]]


def image_env(image: Image, store: Path, port: int, extra: Mapping[str, str]) -> dict[str, str]:
    """The image's ENV with this machine's paths: the venv's bin for /opt/venv/bin, a temporary
    store file on the image's data volume, and a free port (the image reads GATEWAY_PORT)."""
    outside = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env = {**outside, **image.env, **extra}
    env["PATH"] = image.env["PATH"].replace("/opt/venv/bin", str(Path(sys.executable).parent))
    env["PATH"] = env["PATH"].replace("$PATH", os.environ["PATH"])
    assert image.env["GATEWAY_STORE_PATH"].startswith("/app/data/")
    env["GATEWAY_STORE_PATH"] = str(store)
    env["GATEWAY_PORT"] = str(port)
    return env


def healthy(image: Image, env: Mapping[str, str]) -> bool:
    """The image's HEALTHCHECK command, run as Docker runs it."""
    command = [sys.executable, *image.healthcheck[1:]]
    finished = subprocess.run(command, env=env, capture_output=True, timeout=10.0, check=False)
    return finished.returncode == 0


@contextlib.contextmanager
def running_image(image: Image, env: Mapping[str, str]) -> Iterator[str]:
    command = image_command(image)
    with (
        tempfile.TemporaryFile() as log,
        subprocess.Popen(
            command, cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log
        ) as process,
    ):
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while not healthy(image, env):
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    pytest.fail(f"the image's command did not become healthy:\n{log.read()!r}")
                time.sleep(0.2)
            yield f"http://127.0.0.1:{env['GATEWAY_PORT']}"
        finally:
            process.terminate()
            try:
                process.wait(timeout=10.0)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10.0)


def refusal(tmp_path: Path, extra: Mapping[str, str]) -> tuple[int, str, Path]:
    image = read_image()
    store = tmp_path / "fhir.sqlite3"
    env = image_env(image, store, free_port(), extra)
    finished = subprocess.run(
        image_command(image),
        cwd=REPO,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=EXIT_TIMEOUT,
        check=False,
    )
    return finished.returncode, finished.stderr, store


def test_the_image_refuses_to_start_without_a_cursor_secret(tmp_path: Path) -> None:
    extra = {"GATEWAY_AUTH_ISSUER": "https://id.example", "GATEWAY_AUTH_AUDIENCE": "gw"}
    code, stderr, store = refusal(tmp_path, extra)
    assert code == 2
    assert stderr.splitlines() == [
        "gateway: GATEWAY_CURSOR_SECRET is required with GATEWAY_ENV=production "
        "(the same value on every replica)"
    ]
    assert not store.exists()


def test_the_image_refuses_to_start_without_an_identity_provider(tmp_path: Path) -> None:
    code, stderr, store = refusal(tmp_path, {"GATEWAY_CURSOR_SECRET": SECRET})
    assert code == 2
    assert stderr.splitlines() == [
        "gateway: GATEWAY_AUTH_MODE=jwt (the default in production) needs GATEWAY_AUTH_ISSUER "
        "and GATEWAY_AUTH_AUDIENCE"
    ]
    assert not store.exists()


def test_the_image_serves_production(tmp_path: Path, oidc_provider: OidcProvider) -> None:
    image = read_image()
    assert image.env["GATEWAY_ENV"] == "production"
    settings = {
        "GATEWAY_CURSOR_SECRET": SECRET,
        "GATEWAY_AUTH_ISSUER": oidc_provider.issuer,
        "GATEWAY_AUTH_AUDIENCE": oidc_provider.audience,
    }
    # A port other than the image's default: the HEALTHCHECK must follow GATEWAY_PORT.
    port = free_port()
    assert str(port) != image.env["GATEWAY_PORT"]
    env = image_env(image, tmp_path / "fhir.sqlite3", port, settings)
    bearer = {"Authorization": f"Bearer {oidc_provider.mint()}"}
    with running_image(image, env) as url, httpx2.Client(base_url=url, timeout=10.0) as client:
        page = client.get("/graphql", headers={"Accept": "text/html"})
        script = client.get("/graphiql/vendor/graphiql.min.js")
        anonymous = client.post("/graphql", json={"query": "{ tasks { totalCount } }"})
        introspection = client.post(
            "/graphql", json={"query": "{ __schema { types { name } } }"}, headers=bearer
        )
        tasks = client.post(
            "/graphql", json={"query": "{ tasks { totalCount nodes { id } } }"}, headers=bearer
        )
        raw_store = client.get("/fhir/R4/Task", headers=bearer)

    assert page.status_code != 200 and "graphiql" not in page.text.lower()  # no GraphiQL
    assert script.status_code == 404
    assert anonymous.status_code == 401
    assert anonymous.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert introspection.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert tasks.json() == {"data": {"tasks": {"totalCount": 0, "nodes": []}}}  # no demo data
    assert raw_store.status_code == 404
