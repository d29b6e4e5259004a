"""Authentication at the door: every request to a guarded app names its caller, or gets 401."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.auth.authenticator import Authenticator
from gateway.auth.caller import ANONYMOUS, Caller
from gateway.errors import ForbiddenError, GatewayError, UnauthenticatedError
from gateway.metrics import Metrics
from gateway.refusals import close_websocket, refusal

CALLER_KEY = "caller"


def caller_of(scope: Scope) -> Caller:
    """The caller the middleware put on the request (anonymous where none was needed)."""
    caller = scope.get("state", {}).get(CALLER_KEY)
    return caller if isinstance(caller, Caller) else ANONYMOUS


class Authentication:
    """Verifies the bearer token before the wrapped app sees the request.

    A missing, expired or invalid token is HTTP 401 with ``WWW-Authenticate: Bearer`` and an
    UNAUTHENTICATED error, and the request goes no further (so no FHIR request is made).
    With ``page_is_public``, a browser's GET for the GraphiQL page needs no token: the page
    holds no data, and every operation it sends carries one. Without ``patients_allowed``, a
    patient-facing token is FORBIDDEN (an API that cannot keep it inside its compartment).
    A WebSocket upgrade may come without a token (browsers cannot send one): the app then
    authenticates the connection_init payload; a token it does carry that fails closes the
    socket with 4403 (behaviour.md).
    """

    def __init__(
        self,
        app: ASGIApp,
        authenticator: Authenticator,
        metrics: Metrics,
        *,
        page_is_public: bool = False,
        patients_allowed: bool = True,
    ) -> None:
        self.app = app
        self.authenticator = authenticator
        self.metrics = metrics
        self.page_is_public = page_is_public
        self.patients_allowed = patients_allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or self._is_page(scope):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if scope["type"] == "websocket":
            await self._websocket(scope, receive, send, headers.get("authorization"))
            return
        try:
            caller = await self.authenticator.authenticate(headers.get("authorization"))
        except UnauthenticatedError as exc:
            # RFC 6750 section 3: no error code when no token came, invalid_token otherwise.
            missing = exc.extensions.get("reason") == "missing"
            challenge = "Bearer" if missing else 'Bearer error="invalid_token"'
            response = refusal(exc, 401, self.metrics, {"WWW-Authenticate": challenge})
            await response(scope, receive, send)
            return
        except GatewayError as exc:
            # The issuer's keys cannot be fetched: nobody can be checked right now.
            await refusal(exc, 503, self.metrics)(scope, receive, send)
            return
        if caller.patient is not None and not self.patients_allowed:
            # The raw FHIR API knows no compartment: a patient-facing token gets none of it.
            refused = ForbiddenError("A patient-facing token cannot use this API", reason="patient")
            await refusal(refused, 403, self.metrics)(scope, receive, send)
            return
        scope.setdefault("state", {})[CALLER_KEY] = caller
        await self.app(scope, receive, send)

    async def _websocket(
        self, scope: Scope, receive: Receive, send: Send, authorization: str | None
    ) -> None:
        if authorization is not None:
            try:
                caller = await self.authenticator.authenticate(authorization)
            except GatewayError:
                caller = None
            if caller is None or (caller.patient is not None and not self.patients_allowed):
                await close_websocket(scope, receive, send, 4403, "Forbidden")
                return
            scope.setdefault("state", {})[CALLER_KEY] = caller
        await self.app(scope, receive, send)

    def _is_page(self, scope: Scope) -> bool:
        if not self.page_is_public or scope["type"] != "http" or scope["method"] != "GET":
            return False
        accept = Headers(scope=scope).get("accept", "")
        return "text/html" in accept and b"query=" not in scope.get("query_string", b"")
