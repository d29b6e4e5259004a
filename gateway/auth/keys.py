"""The issuer's signing keys: found through OpenID discovery, cached, fetched again on rotation."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import httpx2
from joserfc.errors import JoseError
from joserfc.jwk import Key, KeySet

from gateway.errors import UpstreamUnavailableError

log = logging.getLogger("gateway.auth")

# An identity provider that hangs must not hold requests for long; keys are small documents.
FETCH_TIMEOUT = httpx2.Timeout(5.0, connect=2.0)
MAX_DOCUMENT_BYTES = 512 * 1024


class KeysUnavailableError(UpstreamUnavailableError):
    """The issuer's keys could not be fetched and none are cached: no token can be checked."""


class IssuerKeys:
    """The public keys that sign the issuer's tokens, by ``kid``.

    Keys are fetched on first use and kept for ``max_age`` seconds. A token naming an unknown
    ``kid`` (the issuer rotated its keys) makes one more fetch, at most once per
    ``refetch_interval``, so a stream of made-up kids cannot turn into a stream of fetches.
    """

    def __init__(
        self,
        http: httpx2.AsyncClient,
        *,
        issuer: str,
        jwks_url: str | None = None,
        refetch_interval: float = 60.0,
        max_age: float = 3600.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = http
        self._issuer = issuer
        self._jwks_url = jwks_url
        self._refetch_interval = refetch_interval
        self._max_age = max_age
        self._monotonic = monotonic
        self._keys: KeySet | None = None
        self._fetched_at: float | None = None
        self._refetched_at: float | None = None  # the last fetch an unknown kid asked for
        self._generation = 0  # completed fetch attempts
        self._lock = asyncio.Lock()

    async def key_for(self, kid: str | None) -> Key | None:
        """The key with this ``kid`` (or the only key, when the token names none), else None."""
        stale = self._keys is None or self._age() >= self._max_age
        if stale:
            await self._refresh(self._generation)
        key = self._find(kid)
        if key is None and stale:
            return None  # just fetched: the issuer does not publish this kid
        if key is None and self._lock.locked():
            # A fetch under way may bring the kid: wait for it rather than start another.
            await self._refresh(self._generation)
            key = self._find(kid)
        elif key is None and self._since(self._refetched_at) >= self._refetch_interval:
            # The issuer may have rotated its keys since we fetched them.
            self._refetched_at = self._monotonic()
            await self._refresh(self._generation)
            key = self._find(kid)
        return key

    def _age(self) -> float:
        return self._since(self._fetched_at)

    def _since(self, moment: float | None) -> float:
        return float("inf") if moment is None else self._monotonic() - moment

    def _find(self, kid: str | None) -> Key | None:
        if self._keys is None:
            return None
        try:
            key = self._keys.get_by_kid(kid, {"use": "sig"})
        except JoseError:
            return None
        # Only public-key signatures: an HMAC secret published as a JWK must never verify.
        return key if key.key_type in ("RSA", "EC") else None

    async def _refresh(self, generation: int) -> None:
        """Fetch the keys, unless a fetch finished since the caller saw ``generation``."""
        async with self._lock:
            if self._generation == generation:
                try:
                    self._keys = await self._fetch()
                    self._fetched_at = self._monotonic()
                except (httpx2.HTTPError, JoseError, ValueError, KeyError, TypeError) as exc:
                    log.warning("could not fetch the identity provider's keys: %r", exc)
                    if self._keys is not None:
                        self._fetched_at = self._monotonic()  # keep the old keys for now
                finally:
                    self._generation += 1
            if self._keys is None:
                raise KeysUnavailableError("the identity provider's keys could not be fetched")

    async def _fetch(self) -> KeySet:
        if self._jwks_url is None:
            discovery_url = self._issuer.rstrip("/") + "/.well-known/openid-configuration"
            discovery = await self._get_json(discovery_url)
            if discovery.get("issuer") != self._issuer:
                raise ValueError("the discovery document names another issuer")
            jwks_uri = discovery["jwks_uri"]
            if not isinstance(jwks_uri, str):
                raise TypeError("jwks_uri is not a URL")
            self._jwks_url = jwks_uri
        keys = KeySet.import_key_set(await self._get_json(self._jwks_url))  # type: ignore[arg-type]
        log.info("fetched %d signing keys from the identity provider", len(keys.keys))
        return keys

    async def _get_json(self, url: str) -> dict[str, Any]:
        response = await self._http.get(url, timeout=FETCH_TIMEOUT)
        response.raise_for_status()
        if len(response.content) > MAX_DOCUMENT_BYTES:
            raise ValueError("the document is too large")
        document = response.json()
        if not isinstance(document, dict):
            raise TypeError("not a JSON object")
        return document
