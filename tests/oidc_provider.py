"""A tiny OpenID provider on localhost for the suite: discovery, JWKS with rotation, tokens."""

from __future__ import annotations

import contextlib
import json
import threading
import time
import warnings
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from joserfc import jwt
from joserfc.jwk import ECKey, Key, KeyParameters, OctKey, RSAKey

AUDIENCE = "https://gateway.test/graphql"


class OidcProvider:
    """Serves ``/.well-known/openid-configuration`` and ``/jwks`` and mints signed tokens.

    Keys are made with :meth:`new_key`; only published ones appear in the JWKS, so a test can
    sign with a key the gateway has not seen yet, then publish it (rotation).
    """

    def __init__(self, base_url: str) -> None:
        self.issuer = base_url
        self.audience = AUDIENCE
        self.jwks_requests = 0
        self.discovery_requests = 0
        self._keys: dict[str, Key] = {}
        self._published: list[str] = []
        self._lock = threading.Lock()
        self.default_kid = self.new_key("RS256")
        self.publish(self.default_kid)

    # Keys

    def new_key(self, alg: str = "RS256", kid: str | None = None) -> str:
        """Make an unpublished signing key for ``alg`` and return its kid."""
        kid = kid or f"key-{len(self._keys) + 1}"
        parameters: KeyParameters = {"kid": kid, "alg": alg, "use": "sig"}
        key: Key
        if alg.startswith("ES"):
            key = ECKey.generate_key("P-256" if alg == "ES256" else "P-384", parameters)
        else:
            key = RSAKey.generate_key(2048, parameters)
        self._keys[kid] = key
        return kid

    def publish(self, kid: str) -> None:
        with self._lock:
            self._published.append(kid)

    def rotate(self, alg: str = "RS256") -> str:
        """Publish a new key and drop every other one; the new key signs from now on."""
        kid = self.new_key(alg)
        with self._lock:
            self._published = [kid]
        self.default_kid = kid
        return kid

    def public_pem(self, kid: str | None = None) -> bytes:
        key = self._keys[kid or self.default_kid]
        assert isinstance(key, RSAKey | ECKey)
        return key.as_pem(private=False)

    def jwks(self) -> dict[str, Any]:
        with self._lock:
            published = list(self._published)
        return {"keys": [self._keys[kid].as_dict(private=False) for kid in published]}

    # Tokens

    def claims(self, **overrides: Any) -> dict[str, Any]:
        """A practitioner's user token claims, valid for five minutes; None drops a claim."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": "user-1",
            "iat": now,
            "exp": now + 300,
            "fhirUser": "Practitioner/p1",
            "scope": "openid fhirUser user/Task.cruds user/Practitioner.rs",
            "client_id": "clinic-app",
        }
        claims.update(overrides)
        return {name: value for name, value in claims.items() if value is not None}

    def mint(
        self,
        claims: dict[str, Any] | None = None,
        *,
        kid: str | None = None,
        alg: str | None = None,
        header: dict[str, Any] | None = None,
    ) -> str:
        """A token signed by key ``kid`` (the current key by default)."""
        kid = kid or self.default_kid
        key = self._keys[kid]
        alg = alg or str(key.get("alg"))
        return jwt.encode(
            {"alg": alg, "kid": kid, **(header or {})},
            self.claims() if claims is None else claims,
            key,
            algorithms=[alg],
        )

    def mint_unsigned(self, claims: dict[str, Any] | None = None) -> str:
        """A token with ``alg: none`` and no signature."""
        with warnings.catch_warnings():
            # joserfc warns that "none" is deprecated; minting one is the point here.
            warnings.simplefilter("ignore")
            return jwt.encode(
                {"alg": "none"},
                self.claims() if claims is None else claims,
                OctKey.generate_key(),
                algorithms=["none"],
            )

    def mint_hmac_with_public_key(self, claims: dict[str, Any] | None = None) -> str:
        """The key-confusion attack: HS256 "signed" with the issuer's public key as the secret."""
        pem = self.public_pem()
        # OctKey.import_key refuses a PEM public key; the constructor takes raw bytes as given.
        secret = OctKey(pem, pem)
        return jwt.encode(
            {"alg": "HS256", "kid": self.default_kid},
            self.claims() if claims is None else claims,
            secret,
            algorithms=["HS256"],
        )


class _ProviderServer(ThreadingHTTPServer):
    provider: OidcProvider


class _Handler(BaseHTTPRequestHandler):
    server: _ProviderServer

    def do_GET(self) -> None:
        provider = self.server.provider
        if self.path == "/.well-known/openid-configuration":
            provider.discovery_requests += 1
            body: dict[str, Any] = {
                "issuer": provider.issuer,
                "jwks_uri": provider.issuer + "/jwks",
                "id_token_signing_alg_values_supported": ["RS256", "ES256"],
            }
        elif self.path == "/jwks":
            provider.jwks_requests += 1
            body = provider.jwks()
        else:
            self.send_error(404)
            return
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output quiet


@contextlib.contextmanager
def running_oidc_provider() -> Iterator[OidcProvider]:
    """An OpenID provider listening on a free loopback port until the block ends."""
    server = _ProviderServer(("127.0.0.1", 0), _Handler)
    server.provider = OidcProvider(f"http://127.0.0.1:{server.server_port}")
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server.provider
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
