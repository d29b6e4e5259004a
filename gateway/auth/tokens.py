"""Bearer JWT verification with joserfc: signature by the issuer's keys, then iss, aud, exp, nbf."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from joserfc import jws, jwt
from joserfc.errors import ClaimError, ExpiredTokenError, JoseError

from gateway.auth.caller import invalid
from gateway.auth.keys import IssuerKeys
from gateway.errors import UnauthenticatedError

# Public-key signatures only: never "none", never HMAC (a verifier that accepts HS256 can be
# fooled by a token "signed" with the issuer's public key).
ALGORITHMS = ("RS256", "RS384", "ES256", "ES384")
LEEWAY_SECONDS = 60


# Header `typ` values of access tokens: RFC 9068's, and plain JWT (most providers).
_ACCESS_TOKEN_TYPES = frozenset({"jwt", "at+jwt", "application/at+jwt"})


class TokenVerifier:
    """Checks a compact JWT and returns its claims; UNAUTHENTICATED (expired or invalid) if not."""

    def __init__(
        self,
        keys: IssuerKeys,
        *,
        issuer: str,
        audience: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._keys = keys
        self._issuer = issuer
        self._audience = audience
        self._clock = clock

    async def verify(self, token: str) -> dict[str, Any]:
        try:
            header = jws.extract_compact(token.encode()).headers()
        except (JoseError, ValueError, TypeError):
            raise invalid("the bearer token is not a JWT") from None
        if header.get("alg") not in ALGORITHMS:
            raise invalid("the bearer token's signature algorithm is not accepted")
        if str(header.get("typ", "JWT")).lower() not in _ACCESS_TOKEN_TYPES:
            # RFC 9068: an access token says so; an ID token or a logout token is not one.
            raise invalid("the bearer token is not an access token")
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise invalid("the bearer token names no usable key")
        key = await self._keys.key_for(kid)
        if key is None:
            raise invalid("the bearer token is signed with a key the issuer does not publish")
        try:
            claims: dict[str, Any] = jwt.decode(token, key, algorithms=ALGORITHMS).claims
            self._registry().validate(claims)
        except ExpiredTokenError:
            raise UnauthenticatedError("the bearer token has expired", reason="expired") from None
        except ClaimError as exc:
            raise invalid(f"the bearer token's {exc.claim} claim is missing or wrong") from None
        except (JoseError, ValueError, TypeError):
            raise invalid("the bearer token is not valid") from None
        return claims

    def _registry(self) -> jwt.JWTClaimsRegistry:
        return jwt.JWTClaimsRegistry(
            now=int(self._clock()),
            leeway=LEEWAY_SECONDS,
            iss={"essential": True, "value": self._issuer},
            aud={"essential": True, "value": self._audience},
            exp={"essential": True},
        )
