"""How the gateway proves itself to the FHIR server: httpx2.Auth flows that add a bearer token
only to requests under the FHIR base URL."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncGenerator, Callable, Generator
from dataclasses import dataclass

import httpx2
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, RSAKey
from pydantic import SecretStr

from gateway.fhir.errors import FhirAuthError, FhirUnavailableError
from gateway.fhir.references import same_origin_and_prefix

log = logging.getLogger("gateway.fhir")

# A token is renewed this long before the token endpoint said it expires.
RENEW_BEFORE_S = 60.0
ASSERTION_LIFETIME_S = 300
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


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

    def assertion(self, client_id: str, token_url: str, now: float) -> str:
        """A SMART Backend Services client assertion (RFC 7523) for one token request."""
        header = {"alg": self.alg, "typ": "JWT"}
        if self.kid:
            header["kid"] = self.kid
        claims = {
            "iss": client_id,
            "sub": client_id,
            "aud": token_url,
            "exp": int(now) + ASSERTION_LIFETIME_S,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(header, claims, self.key, algorithms=[self.alg])


@dataclass
class _Token:
    value: SecretStr
    # Clock time after which the token is no longer used; None: until the server refuses it.
    renew_at: float | None


class ClientCredentialsAuth(httpx2.Auth):
    """SMART Backend Services: an access token from the token endpoint (client_credentials),
    with a signed client assertion (private_key_jwt) or a client secret (client_secret_basic).

    One token serves every request until 60 s before it expires; a 401 from the FHIR server
    gets one new token and one retry. Concurrent requests share one token request.
    """

    requires_request_body = True

    def __init__(
        self,
        token_http: httpx2.AsyncClient,
        *,
        base_url: str,
        token_url: str,
        client_id: str,
        scopes: str | None,
        secret: SecretStr | None = None,
        key: SigningKey | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if (secret is None) == (key is None):
            raise ValueError("client_credentials needs either a client secret or a private key")
        self._http = token_http
        self._base_url = base_url
        self._token_url = token_url
        self._client_id = client_id
        self._scopes = scopes
        self._secret = secret
        self._key = key
        self._clock = clock
        self._token: _Token | None = None
        self._lock = asyncio.Lock()

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
            fresh = held is not None and held.value is not stale
            if (
                fresh
                and held is not None
                and (held.renew_at is None or self._clock() < held.renew_at)
            ):
                return held.value
            self._token = await self._request_token()
            return self._token.value

    async def _request_token(self) -> _Token:
        now = self._clock()
        form = {"grant_type": "client_credentials"}
        if self._scopes:
            form["scope"] = self._scopes
        auth: httpx2.Auth = httpx2.Auth()
        if self._key is not None:
            form["client_assertion_type"] = ASSERTION_TYPE
            form["client_assertion"] = self._key.assertion(self._client_id, self._token_url, now)
        elif self._secret is not None:
            auth = httpx2.BasicAuth(self._client_id, self._secret.get_secret_value())
        try:
            response = await self._http.post(
                self._token_url, data=form, auth=auth, headers={"Accept": "application/json"}
            )
        except httpx2.HTTPError as exc:
            log.warning("fhir token request failed: %s", type(exc).__name__)
            raise FhirUnavailableError("The FHIR token endpoint cannot be reached") from exc
        # The answer's body is never logged nor quoted: it may carry a token.
        if not response.is_success:
            log.warning("fhir token request answered %d", response.status_code)
            status = response.status_code
            raise FhirAuthError(
                f"The FHIR token endpoint refused the gateway's credentials ({status})",
                status=status,
            )
        try:
            body = response.json()
        except ValueError:
            body = None
        value = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(value, str) or not value:
            raise FhirAuthError("The FHIR token endpoint answered without an access token")
        lifetime = body.get("expires_in") if isinstance(body, dict) else None
        renew_at = None
        if isinstance(lifetime, int | float) and not isinstance(lifetime, bool):
            renew_at = now + float(lifetime) - RENEW_BEFORE_S
        return _Token(SecretStr(value), renew_at)
