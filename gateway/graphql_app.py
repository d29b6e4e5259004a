"""The /graphql endpoint: Strawberry's ASGI app with a per-request context and a body limit."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from gateway.auth import Access, caller_of
from gateway.errors import BadRequestError
from gateway.loaders import Loaders
from gateway.metrics import Metrics
from gateway.refusals import refusal
from gateway.runtime import Runtime
from gateway.schema import build_schema
from gateway.schema.context import Context
from gateway.schema.error_shaping import shape_error


class GatewayGraphQL(GraphQL[Context, None]):
    """Builds a fresh Context, with fresh loaders, for every request."""

    def __init__(self, runtime: Runtime) -> None:
        settings = runtime.settings
        super().__init__(
            build_schema(settings),
            graphql_ide=None if settings.production else "graphiql",
            allow_queries_via_get=not settings.production,
        )
        self._runtime = runtime

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        # Every error of every phase (parse, validation, execution) passes here once.
        if result.errors:
            result.errors = [shape_error(error) for error in result.errors]
            for error in result.errors:
                code = (error.extensions or {}).get("code", "INTERNAL_SERVER_ERROR")
                self._runtime.metrics.count_error(str(code))
        return await super().process_result(request, result)

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        runtime = self._runtime
        access = Access(
            caller=caller_of(request.scope),
            require_scopes=runtime.settings.auth_require_scopes,
            authenticated=runtime.authenticator.enabled,
            base_url=runtime.fhir.base_url,
        )
        return Context(
            settings=runtime.settings,
            fhir=runtime.fhir,
            loaders=Loaders.create(runtime.fhir),
            cursors=runtime.cursors,
            profiles=runtime.profiles,
            rules=runtime.rules,
            access=access,
            metrics=runtime.metrics,
        )


class BodyLimit:
    """Refuses request bodies over ``max_bytes`` with 413 before the GraphQL layer reads them."""

    def __init__(self, app: ASGIApp, max_bytes: int, metrics: Metrics) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send, int(declared))
            return
        body = bytearray()
        more = True
        while more:
            message = await receive()
            body.extend(message.get("body", b""))
            more = message.get("more_body", False)
            if len(body) > self.max_bytes:
                await self._refuse(scope, receive, send, len(body))
                return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, size: int) -> None:
        error = BadRequestError(
            f"The request body exceeds {self.max_bytes} bytes", limit=self.max_bytes, value=size
        )
        response = refusal(error, 413, self.metrics)
        await response(scope, receive, send)
