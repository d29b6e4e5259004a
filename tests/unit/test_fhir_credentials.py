"""The gateway's own FHIR credentials: static, client_credentials (private_key_jwt RS384/ES384
or client_secret_basic) against a token endpoint on localhost, and where tokens may go."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from joserfc.jwk import ECKey, RSAKey
from pydantic import SecretStr, ValidationError

from gateway.config import Settings
from gateway.error_mapping import from_fhir
from gateway.errors import UpstreamError
from gateway.fhir import (
    ClientCredentialsAuth,
    FhirAuthError,
    FhirClient,
    FhirError,
    FhirTimeoutError,
    Ref,
    SigningKey,
    token_client,
)
from gateway.fhir.errors import FhirResponseError
from gateway.upstream import fhir_credentials
from tests.fhir_servers import RecordingFhir, TokenEndpoint, running_fhir, running_token_endpoint

TASK = Ref("Task", "t1")


@pytest.fixture
def fhir_server() -> Iterator[RecordingFhir]:
    with running_fhir() as server:
        yield server


OwnCredentials = Callable[[Settings], httpx2.Auth | None]


@pytest.fixture
async def own_credentials(fhir_server: RecordingFhir) -> AsyncIterator[OwnCredentials]:
    """The gateway's credentials as Runtime builds them; token clients closed afterwards."""
    built: list[httpx2.Auth | None] = []

    def build(settings: Settings) -> httpx2.Auth | None:
        built.append(fhir_credentials(settings, fhir_server.base_url))
        return built[-1]

    yield build
    for auth in built:
        if isinstance(auth, ClientCredentialsAuth):
            await auth.aclose()


def fhir_client(server: RecordingFhir, auth: httpx2.Auth | None) -> FhirClient:
    http = httpx2.AsyncClient(base_url=server.base_url, follow_redirects=False)
    return FhirClient(http, server.base_url, total_timeout=5.0, auth=auth)


def private_key(tmp_path: Path, alg: str) -> tuple[Path, RSAKey | ECKey]:
    key: RSAKey | ECKey = (
        ECKey.generate_key("P-384") if alg == "ES384" else RSAKey.generate_key(2048)
    )
    path = tmp_path / "gateway-key.pem"
    path.write_bytes(key.as_pem(private=True))
    return path, key


def client_credentials(
    endpoint: TokenEndpoint, server: RecordingFhir, **extra: Any
) -> dict[str, Any]:
    return {
        "fhir_base_url": server.base_url,
        "fhir_auth": "client_credentials",
        "fhir_token_url": endpoint.url,
        "fhir_client_id": endpoint.client_id,
        "fhir_scopes": "system/Task.cruds system/Practitioner.rs",
        **extra,
    }


@pytest.mark.parametrize("method", ["RS384", "ES384", "client_secret_basic"])
async def test_one_token_serves_many_fhir_requests(
    method: str,
    tmp_path: Path,
    fhir_server: RecordingFhir,
    own_credentials: OwnCredentials,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    if method == "client_secret_basic":
        registration: dict[str, Any] = {"secret": "s3cret-value"}
        extra: dict[str, Any] = {"fhir_client_secret": "s3cret-value"}
    else:
        path, key = private_key(tmp_path, method)
        registration = {"public_key": key}
        extra = {"fhir_private_key": str(path), "fhir_private_key_id": "gw-1"}
    with running_token_endpoint(**registration) as endpoint:
        settings = Settings(**client_credentials(endpoint, fhir_server, **extra))
        fhir = fhir_client(fhir_server, own_credentials(settings))

        for _ in range(3):
            await fhir.read(TASK)

    assert endpoint.refusals == []
    assert endpoint.issued == ["token-1"]
    assert endpoint.scopes == ["system/Task.cruds system/Practitioner.rs"]
    assert fhir_server.tokens() == ["Bearer token-1"] * 3
    assert "token-1" not in caplog.text
    assert "s3cret-value" not in caplog.text


async def test_a_token_is_renewed_60_seconds_before_it_expires(
    fhir_server: RecordingFhir,
) -> None:
    now = [1_000_000.0]
    with running_token_endpoint(secret="pw", expires_in=120) as endpoint:
        tokens = token_client(
            token_url=endpoint.url,
            client_id=endpoint.client_id,
            scopes=None,
            secret=SecretStr("pw"),
        )
        auth = ClientCredentialsAuth(
            tokens, base_url=fhir_server.base_url, token_url=endpoint.url, clock=lambda: now[0]
        )
        fhir = fhir_client(fhir_server, auth)
        try:
            await fhir.read(TASK)
            now[0] += 59
            await fhir.read(TASK)
            now[0] += 2
            await fhir.read(TASK)
        finally:
            await auth.aclose()

    assert endpoint.issued == ["token-1", "token-2"]
    assert fhir_server.tokens() == ["Bearer token-1", "Bearer token-1", "Bearer token-2"]


def refuse_the_first_token(path: str, authorization: str | None) -> tuple[int, Any]:
    """A FHIR server that answers 401 to token-1 and reads a Task for any other."""
    if authorization == "Bearer token-1":
        return 401, {"resourceType": "OperationOutcome"}
    return 200, {"resourceType": "Task", "id": "t1"}


async def test_a_401_gets_one_new_token_and_one_retry(
    fhir_server: RecordingFhir, own_credentials: OwnCredentials
) -> None:
    fhir_server.answer = refuse_the_first_token
    with running_token_endpoint(secret="pw") as endpoint:
        settings = Settings(**client_credentials(endpoint, fhir_server, fhir_client_secret="pw"))
        fhir = fhir_client(fhir_server, own_credentials(settings))

        task = await fhir.read(TASK)
        await fhir.read(TASK)

    assert task["id"] == "t1"
    assert endpoint.issued == ["token-1", "token-2"]
    assert fhir_server.tokens() == ["Bearer token-1", "Bearer token-2", "Bearer token-2"]


async def test_a_server_that_keeps_refusing_is_an_upstream_error_after_one_retry(
    fhir_server: RecordingFhir, own_credentials: OwnCredentials
) -> None:
    fhir_server.answer = lambda path, authorization: (401, {})
    with running_token_endpoint(secret="pw") as endpoint:
        settings = Settings(**client_credentials(endpoint, fhir_server, fhir_client_secret="pw"))
        fhir = fhir_client(fhir_server, own_credentials(settings))

        with pytest.raises(FhirAuthError) as refused:
            await fhir.read(TASK)

    assert len(fhir_server.seen) == 2
    assert endpoint.issued == ["token-1", "token-2"]
    assert isinstance(from_fhir(refused.value), UpstreamError)
    assert "token" not in refused.value.message.replace("token endpoint", "")


async def test_a_refused_client_is_an_upstream_error_and_no_fhir_request(
    fhir_server: RecordingFhir,
    own_credentials: OwnCredentials,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    with running_token_endpoint(secret="right") as endpoint:
        settings = Settings(**client_credentials(endpoint, fhir_server, fhir_client_secret="wrong"))
        fhir = fhir_client(fhir_server, own_credentials(settings))

        with pytest.raises(FhirAuthError) as refused:
            await fhir.read(TASK)

    assert endpoint.refusals == ["basic credentials"]
    assert fhir_server.seen == []
    error = from_fhir(refused.value)
    assert error.code == "UPSTREAM_ERROR"
    assert "wrong" not in str(error)
    assert "wrong" not in caplog.text


async def test_an_assertion_signed_by_another_key_is_refused(
    tmp_path: Path, fhir_server: RecordingFhir, own_credentials: OwnCredentials
) -> None:
    path, _ = private_key(tmp_path, "RS384")
    with running_token_endpoint(public_key=RSAKey.generate_key(2048)) as endpoint:
        settings = Settings(**client_credentials(endpoint, fhir_server, fhir_private_key=str(path)))
        fhir = fhir_client(fhir_server, own_credentials(settings))

        with pytest.raises(FhirAuthError):
            await fhir.read(TASK)

    assert endpoint.refusals == ["signature"]
    assert fhir_server.seen == []


@pytest.mark.parametrize("mode", ["static", "client_credentials"])
async def test_a_foreign_next_link_or_url_gets_no_token(
    mode: str, fhir_server: RecordingFhir, own_credentials: OwnCredentials
) -> None:
    with running_fhir() as foreign, running_token_endpoint(secret="pw") as endpoint:
        fhir_server.answer = lambda path, authorization: (
            200,
            {
                "resourceType": "Bundle",
                "type": "searchset",
                "link": [{"relation": "next", "url": foreign.base_url + "Task?page=2"}],
                "entry": [],
            },
        )
        settings = (
            Settings(fhir_base_url=fhir_server.base_url, fhir_auth_token="static-token")
            if mode == "static"
            else Settings(**client_credentials(endpoint, fhir_server, fhir_client_secret="pw"))
        )
        auth = own_credentials(settings)
        fhir = fhir_client(fhir_server, auth)

        with pytest.raises(FhirResponseError):
            await fhir.search_all("Task", [])
        # Even a request sent straight through the pool carries nothing to another host.
        async with httpx2.AsyncClient(auth=auth) as raw:
            await raw.get(foreign.base_url + "Task/t1")

    assert fhir_server.tokens() == ["Bearer static-token" if mode == "static" else "Bearer token-1"]
    assert foreign.tokens() == [None]


def test_fhir_auth_defaults_to_static_when_a_token_is_set() -> None:
    assert Settings(fhir_auth_token="t").effective_fhir_auth == "static"
    assert Settings().effective_fhir_auth == "none"
    assert Settings(fhir_auth="passthrough").effective_fhir_auth == "passthrough"


@pytest.mark.parametrize(
    "settings",
    [
        {"fhir_auth": "static"},
        {"fhir_auth": "client_credentials", "fhir_client_id": "c", "fhir_client_secret": "s"},
        {"fhir_auth": "client_credentials", "fhir_token_url": "https://t", "fhir_client_id": "c"},
        {
            "fhir_auth": "client_credentials",
            "fhir_token_url": "https://t",
            "fhir_client_id": "c",
            "fhir_client_secret": "s",
            "fhir_private_key": "/k.pem",
        },
    ],
)
def test_incomplete_fhir_credentials_refuse_to_start(settings: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="GATEWAY_FHIR_"):
        Settings(**settings)


def test_an_ec_key_off_p384_is_refused() -> None:
    pem = ECKey.generate_key("P-256").as_pem(private=True)

    with pytest.raises(ValueError, match="P-384"):
        SigningKey.from_pem(pem, None)


def test_the_client_secret_is_hidden_in_settings() -> None:
    settings = Settings(
        fhir_auth="client_credentials",
        fhir_token_url="https://t",
        fhir_client_id="c",
        fhir_client_secret="hidden-456",
    )

    assert "hidden-456" not in repr(settings)
    assert "hidden-456" not in settings.model_dump_json()


@pytest.mark.parametrize(
    ("authorization", "sent"),
    [("Bearer abc.def", "Bearer abc.def"), ("Basic dTpw", None), (None, None)],
)
async def test_passthrough_passes_on_only_a_bearer_token(
    authorization: str | None, sent: str | None, fhir_server: RecordingFhir
) -> None:
    fhir = fhir_client(fhir_server, None).as_caller(authorization)

    await fhir.read(TASK)

    assert fhir_server.tokens() == [sent]


async def test_concurrent_requests_share_one_token_and_one_renewal_after_a_401(
    fhir_server: RecordingFhir, own_credentials: OwnCredentials
) -> None:
    fhir_server.answer = refuse_the_first_token
    with running_token_endpoint(secret="pw") as endpoint:
        settings = Settings(**client_credentials(endpoint, fhir_server, fhir_client_secret="pw"))
        fhir = fhir_client(fhir_server, own_credentials(settings))

        tasks = await asyncio.gather(*(fhir.read(TASK) for _ in range(8)))

    assert [task["id"] for task in tasks] == ["t1"] * 8
    assert endpoint.issued == ["token-1", "token-2"]
    assert (
        sorted(str(token) for token in fhir_server.tokens())
        == ["Bearer token-1"] * 8 + ["Bearer token-2"] * 8
    )


@pytest.mark.parametrize(
    ("status", "code"),
    [(503, "UPSTREAM_UNAVAILABLE"), (500, "UPSTREAM_UNAVAILABLE"), (400, "UPSTREAM_ERROR")],
)
async def test_a_failing_token_endpoint_is_a_typed_error_and_no_fhir_request(
    status: int,
    code: str,
    fhir_server: RecordingFhir,
    own_credentials: OwnCredentials,
) -> None:
    with running_token_endpoint(secret="pw", failing_with=status) as endpoint:
        settings = Settings(**client_credentials(endpoint, fhir_server, fhir_client_secret="pw"))
        fhir = fhir_client(fhir_server, own_credentials(settings))

        with pytest.raises(FhirError) as failed:
            await fhir.read(TASK)

    assert from_fhir(failed.value).code == code
    assert "maintenance" not in failed.value.message
    assert fhir_server.seen == []


async def test_a_token_endpoint_that_hangs_is_a_timeout_within_the_request_bound(
    fhir_server: RecordingFhir, own_credentials: OwnCredentials
) -> None:
    stalled = threading.Event()
    with running_token_endpoint(secret="pw", stalled=stalled) as endpoint:
        settings = Settings(**client_credentials(endpoint, fhir_server, fhir_client_secret="pw"))
        http = httpx2.AsyncClient(base_url=fhir_server.base_url)
        fhir = FhirClient(
            http, fhir_server.base_url, total_timeout=0.3, auth=own_credentials(settings)
        )
        try:
            with pytest.raises(FhirTimeoutError) as failed:
                await fhir.read(TASK)
        finally:
            stalled.set()
            await http.aclose()

    assert from_fhir(failed.value).code == "UPSTREAM_TIMEOUT"
    assert fhir_server.seen == []


async def test_a_token_answer_without_an_access_token_is_refused(
    fhir_server: RecordingFhir, own_credentials: OwnCredentials
) -> None:
    with running_token_endpoint(secret="pw", failing_with=200) as endpoint:
        settings = Settings(**client_credentials(endpoint, fhir_server, fhir_client_secret="pw"))
        fhir = fhir_client(fhir_server, own_credentials(settings))

        with pytest.raises(FhirAuthError):
            await fhir.read(TASK)

    assert fhir_server.seen == []
