"""Servers on localhost for the FHIR credential tests: a SMART token endpoint that verifies
client assertions or basic credentials, and a FHIR server that records the tokens it gets."""

from __future__ import annotations

import base64
import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, RSAKey

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@dataclass
class TokenEndpoint:
    """Issues ``token-1``, ``token-2``, ... to one registered client, after checking it."""

    url: str
    client_id: str = "gateway"
    public_key: RSAKey | ECKey | None = None
    secret: str | None = None
    expires_in: int = 300
    # Answer every request with this status and a body that is not JSON (an outage page).
    failing_with: int | None = None
    # While set, requests wait (up to 10 s) until the event is set: an endpoint that hangs.
    stalled: threading.Event | None = None
    issued: list[str] = field(default_factory=list)
    scopes: list[str | None] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    _jtis: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, form: dict[str, str], authorization: str | None) -> tuple[int, Any]:
        with self._lock:
            problem = self._check(form, authorization)
            if problem is not None:
                self.refusals.append(problem)
                return 401, {"error": "invalid_client"}
            token = f"token-{len(self.issued) + 1}"
            self.issued.append(token)
            self.scopes.append(form.get("scope"))
            body = {"access_token": token, "token_type": "bearer", "expires_in": self.expires_in}
            return 200, body

    def _check(self, form: dict[str, str], authorization: str | None) -> str | None:
        if form.get("grant_type") != "client_credentials":
            return "grant_type"
        if self.public_key is not None:
            return self._check_assertion(form)
        expected = base64.b64encode(f"{self.client_id}:{self.secret}".encode()).decode()
        return None if authorization == f"Basic {expected}" else "basic credentials"

    def _check_assertion(self, form: dict[str, str]) -> str | None:
        assert self.public_key is not None
        if form.get("client_assertion_type") != ASSERTION_TYPE:
            return "client_assertion_type"
        alg = "ES384" if isinstance(self.public_key, ECKey) else "RS384"
        try:
            token = jwt.decode(form.get("client_assertion", ""), self.public_key, algorithms=[alg])
        except (JoseError, ValueError):
            return "signature"
        claims = token.claims
        if claims.get("iss") != self.client_id or claims.get("sub") != self.client_id:
            return "iss/sub"
        if claims.get("aud") != self.url:
            return "aud"
        if not isinstance(claims.get("exp"), int) or claims["exp"] <= time.time():
            return "exp"
        jti = claims.get("jti")
        if not isinstance(jti, str) or jti in self._jtis:
            return "jti"
        self._jtis.add(jti)
        return None


@dataclass
class RecordingFhir:
    """A FHIR server that answers by ``answer`` and records each request's Authorization."""

    base_url: str
    seen: list[tuple[str, str, str | None]] = field(default_factory=list)
    answer: Callable[[str, str | None], tuple[int, Any]] = field(
        default=lambda path, authorization: (200, {"resourceType": "Task", "id": "t1"})
    )

    def tokens(self) -> list[str | None]:
        return [authorization for _, _, authorization in self.seen]


class _Server(ThreadingHTTPServer):
    handle: Callable[[BaseHTTPRequestHandler, bytes], tuple[int, Any]]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        status, body = self.server.handle(self, self.rfile.read(length))
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = _serve
    do_POST = _serve
    do_PUT = _serve

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output quiet


@contextlib.contextmanager
def _serving(handle: Callable[[BaseHTTPRequestHandler, bytes], tuple[int, Any]]) -> Iterator[str]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.handle = handle
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextlib.contextmanager
def running_token_endpoint(**registration: Any) -> Iterator[TokenEndpoint]:
    endpoint: TokenEndpoint | None = None

    def handle(request: BaseHTTPRequestHandler, body: bytes) -> tuple[int, Any]:
        assert endpoint is not None
        if request.command != "POST" or request.path != "/token":
            return 404, {}
        form = {name: values[0] for name, values in parse_qs(body.decode()).items()}
        if endpoint.stalled is not None:
            endpoint.stalled.wait(10)
        if endpoint.failing_with is not None:
            return endpoint.failing_with, b"<html>down for maintenance</html>"
        return endpoint.answer(form, request.headers.get("Authorization"))

    with _serving(handle) as origin:
        endpoint = TokenEndpoint(url=origin + "/token", **registration)
        yield endpoint


@contextlib.contextmanager
def running_fhir() -> Iterator[RecordingFhir]:
    fhir: RecordingFhir | None = None

    def handle(request: BaseHTTPRequestHandler, body: bytes) -> tuple[int, Any]:
        assert fhir is not None
        authorization = request.headers.get("Authorization")
        fhir.seen.append((request.command, request.path, authorization))
        return fhir.answer(request.path, authorization)

    with _serving(handle) as origin:
        fhir = RecordingFhir(base_url=origin + "/fhir/R4/")
        yield fhir
