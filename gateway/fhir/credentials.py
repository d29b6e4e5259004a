"""How the gateway proves itself to the FHIR server: httpx2.Auth flows that add a bearer token
only to requests under the FHIR base URL; client_credentials tokens come through authlib."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, Callable, Generator
from dataclasses import dataclass
from typing import Any

import httpx2
from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError
from authlib.oauth2.rfc7523 import PrivateKeyJWT, private_key_jwt_sign
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, RSAKey
from pydantic import SecretStr

from gateway.fhir.errors import (
    FhirAuthError,
    FhirError,
    FhirTimeoutError,
    FhirUnavailableError,
)
from gateway.fhir.references import same_origin_and_prefix

log = logging.getLogger("gateway.fhir")

# A token is renewed this long before the token endpoint said it expires.
RENEW_BEFORE_S = 60.0
# SMART Backend Services: a client assertion expires no more than five minutes after it is made.
ASSERTION_LIFETIME_S = 300
CLIENT_SECRET_BASIC = "client_secret_basic"  # noqa: S105 (an OAuth method name, no secret)


class BearerAuth(httpx2.Auth):
    """A fixed bearer token (GATEWAY_FHIR_AUTH_TOKEN, or a caller's own), for the base only."""

    def __init__(self, token: SecretStr, base_url: str) -> None:
        self._token = token
        self._base_url = base_url

    def auth_flow(
        self, request: httpx2.Request
    ) -> Generator[httpx2.Request, httpx2.Response, None]:
        if same_origin_and_prefix(str(request.url), self._base_url):
            request.headers["Authorization"] = f"Bearer {self._token.get_secret_value()}"
        yield request


def caller_bearer(authorization: str | None) -> SecretStr | None:
    """The bearer token of a caller's Authorization header; anything else is not passed on."""
    scheme, _, token = (authorization or "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        return None
    return SecretStr(token)


@dataclass(frozen=True)
class SigningKey:
    """The private key of a private_key_jwt client: RS384 for RSA, ES384 for EC P-384."""

    key: RSAKey | ECKey
    kid: str | None

    @classmethod
    def from_pem(cls, pem: bytes, kid: str | None) -> SigningKey:
        key: RSAKey | ECKey
        try:
            key = RSAKey.import_key(pem)
        except (JoseError, ValueError):
            try:
                key = ECKey.import_key(pem)
            except (JoseError, ValueError) as exc:
                raise ValueError("GATEWAY_FHIR_PRIVATE_KEY is not an RSA or EC PEM key") from exc
        if isinstance(key, ECKey) and key.curve_name != "P-384":
            raise ValueError("GATEWAY_FHIR_PRIVATE_KEY: an EC key must be on P-384 (ES384)")
        if not key.is_private:
            raise ValueError("GATEWAY_FHIR_PRIVATE_KEY holds no private key")
        return cls(key, kid)

    @property
    def alg(self) -> str:
        return "ES384" if isinstance(self.key, ECKey) else "RS384"


class _SmartClientAssertion(PrivateKeyJWT):  # type: ignore[misc]
    """authlib's private_key_jwt with SMART's short assertion lifetime and the key's id."""

    def __init__(self, key: SigningKey, token_url: str) -> None:
        super().__init__(token_url, alg=key.alg)
        self._kid = key.kid

    def sign(self, auth: Any, token_endpoint: str) -> str:
        header = {"typ": "JWT", **({"kid": self._kid} if self._kid else {})}
        assertion: str = private_key_jwt_sign(
            auth.client_secret,
            client_id=auth.client_id,
            token_endpoint=token_endpoint,
            alg=self.alg,
            header=header,
            expires_in=ASSERTION_LIFETIME_S,
        )
        return assertion


def token_client(
    *,
    token_url: str,
    client_id: str,
    scopes: str | None,
    secret: SecretStr | None = None,
    key: SigningKey | None = None,
    timeout: httpx2.Timeout | float = 10.0,
) -> Any:
    """authlib's OAuth 2.0 client for the token endpoint: private_key_jwt (RS384/ES384) with a
    key, client_secret_basic with a secret. A client of its own: it follows no redirects and
    carries no FHIR credentials."""
    if (secret is None) == (key is None):
        raise ValueError("client_credentials needs either a client secret or a private key")
    client: Any
    if key is not None:
        client = AsyncOAuth2Client(
            client_id=client_id,
            client_secret=key.key,
            token_endpoint_auth_method=_SmartClientAssertion(key, token_url),
            scope=scopes,
            timeout=timeout,
            follow_redirects=False,
        )
    else:
        assert secret is not None
        client = AsyncOAuth2Client(
            client_id=client_id,
            client_secret=secret.get_secret_value(),
            token_endpoint_auth_method=CLIENT_SECRET_BASIC,
            scope=scopes,
            timeout=timeout,
            follow_redirects=False,
        )
    client.register_compliance_hook("access_token_response", _refuse_failed_answers)
    return client


def _refuse_failed_answers(response: httpx2.Response) -> httpx2.Response:
    """A token endpoint's failure as a typed error, before authlib reads the body: the body is
    never logged nor quoted (it may carry a token or the client's own details)."""
    status = response.status_code
    if response.is_success:
        return response
    log.warning("fhir token request answered %d", status)
    if status >= 500 or status == 429:
        raise FhirUnavailableError(
            f"The FHIR token endpoint is unavailable ({status})", status=status
        )
    raise FhirAuthError(
        f"The FHIR token endpoint refused the gateway's credentials ({status})", status=status
    )


@dataclass
class _Token:
    value: SecretStr
    # Clock time after which the token is no longer used; None: until the server refuses it.
    renew_at: float | None


class ClientCredentialsAuth(httpx2.Auth):
    """SMART Backend Services: an access token from the token endpoint (client_credentials),
    obtained by authlib's client (``token_client``), added to requests under the FHIR base.

    One token serves every request until 60 s before it expires; a 401 from the FHIR server
    gets one new token and one retry. Concurrent requests share one token request.
    """

    requires_request_body = True

    def __init__(
        self,
        tokens: Any,
        *,
        base_url: str,
        token_url: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._tokens = tokens
        self._base_url = base_url
        self._token_url = token_url
        self._clock = clock
        self._token: _Token | None = None
        self._lock = asyncio.Lock()

    async def aclose(self) -> None:
        await self._tokens.aclose()

    async def async_auth_flow(
        self, request: httpx2.Request
    ) -> AsyncGenerator[httpx2.Request, httpx2.Response]:
        if not same_origin_and_prefix(str(request.url), self._base_url):
            yield request
            return
        token = await self._current(stale=None)
        request.headers["Authorization"] = f"Bearer {token.get_secret_value()}"
        response = yield request
        if response.status_code == 401:
            # The server may have revoked it early: one new token, one retry, no more.
            await response.aread()
            token = await self._current(stale=token)
            request.headers["Authorization"] = f"Bearer {token.get_secret_value()}"
            yield request

    async def _current(self, stale: SecretStr | None) -> SecretStr:
        async with self._lock:
            held = self._token
            if (
                held is not None
                and held.value is not stale
                and (held.renew_at is None or self._clock() < held.renew_at)
            ):
                return held.value
            self._token = await self._request_token()
            return self._token.value

    async def _request_token(self) -> _Token:
        now = self._clock()
        try:
            answer = await self._tokens.fetch_token(
                self._token_url, grant_type="client_credentials"
            )
        except FhirError:
            raise
        except httpx2.TimeoutException as exc:
            log.warning("fhir token request failed: %s", type(exc).__name__)
            raise FhirTimeoutError("The FHIR token endpoint did not answer in time") from exc
        except httpx2.HTTPError as exc:
            log.warning("fhir token request failed: %s", type(exc).__name__)
            raise FhirUnavailableError("The FHIR token endpoint cannot be reached") from exc
        except (OAuthError, ValueError) as exc:
            raise FhirAuthError("The FHIR token endpoint answered without an access token") from exc
        value = answer.get("access_token")
        if not isinstance(value, str) or not value:
            raise FhirAuthError("The FHIR token endpoint answered without an access token")
        lifetime = answer.get("expires_in")
        renew_at = None
        if isinstance(lifetime, int | float) and not isinstance(lifetime, bool):
            renew_at = now + float(lifetime) - RENEW_BEFORE_S
        return _Token(SecretStr(value), renew_at)
