"""From a request's Authorization header to its Caller, as GATEWAY_AUTH_MODE says."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx2

from gateway.auth.caller import ANONYMOUS, Caller, caller_from_claims, invalid
from gateway.auth.keys import IssuerKeys
from gateway.auth.tokens import TokenVerifier
from gateway.config import Settings
from gateway.errors import UnauthenticatedError


class Authenticator:
    """Mode none: everyone is the anonymous caller. Mode jwt: a verified bearer token names one."""

    def __init__(
        self,
        settings: Settings,
        http: httpx2.AsyncClient,
        *,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._user_claim = settings.auth_user_claim
        self._verifier: TokenVerifier | None = None
        if settings.effective_auth_mode == "jwt":
            # Settings refuse jwt mode without both, so this only guards against misuse.
            if not settings.auth_issuer or not settings.auth_audience:
                raise ValueError("jwt authentication needs an issuer and an audience")
            keys = IssuerKeys(
                http,
                issuer=settings.auth_issuer,
                jwks_url=settings.auth_jwks_url,
                monotonic=monotonic,
            )
            self._verifier = TokenVerifier(
                keys, issuer=settings.auth_issuer, audience=settings.auth_audience, clock=clock
            )

    @property
    def enabled(self) -> bool:
        """True when callers must present a bearer token."""
        return self._verifier is not None

    async def authenticate(self, authorization: str | None) -> Caller:
        """The caller of a request with this Authorization header (None when absent)."""
        if self._verifier is None:
            return ANONYMOUS
        token = bearer_token(authorization)
        claims = await self._verifier.verify(token)
        return caller_from_claims(claims, user_claim=self._user_claim)


def bearer_token(authorization: str | None) -> str:
    """The token of an ``Authorization: Bearer <token>`` header (the scheme in any case)."""
    scheme, _, credentials = (authorization or "").strip().partition(" ")
    token = credentials.strip()
    if scheme.lower() != "bearer" or not token:
        raise UnauthenticatedError("a bearer token is required", reason="missing")
    if " " in token:
        raise invalid("the Authorization header holds more than one token")
    return token
