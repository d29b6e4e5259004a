"""The /graphql endpoint: Strawberry's ASGI app as GraphQL-over-HTTP clients expect it (media
type, JSON refusals, persisted queries), with a per-request context and a body limit; and
subscriptions over graphql-transport-ws, multipart HTTP and graphql-sse."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping
from datetime import timedelta
from typing import Any, cast

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from graphql import GraphQLError, GraphQLSyntaxError, get_operation_ast, parse
from graphql import OperationType as AstOperation
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.subscriptions import (
    GRAPHQL_SSE_PROTOCOL,
    GRAPHQL_TRANSPORT_WS_PROTOCOL,
    MULTIPART_SUBSCRIPTION_PROTOCOL,
)
from strawberry.types import ExecutionResult, SubscriptionExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.types.unset import UNSET, UnsetType

from gateway.auth import Access, Caller, caller_of
from gateway.errors import BadRequestError, GatewayError, ThrottledError, UnauthenticatedError
from gateway.graphiql_page import graphiql_page
from gateway.http import GRAPHQL_RESPONSE_JSON, GraphQLRequest, read_request, response_media_type
from gateway.limits import CONNECTION_INIT_TIMEOUT_S, FULL_RETRY_AFTER_S
from gateway.loaders import Loaders
from gateway.metrics import Metrics
from gateway.refusals import RequestRefused, close_websocket, refusal
from gateway.runtime import Runtime
from gateway.schema import build_schema
from gateway.schema.context import Context
from gateway.schema.error_shaping import shape_error
from gateway.schema.shared_events import next_frame
from gateway.subscription_socket import FELL_BEHIND, SubscriptionSocket

SPEC_CONTENT_TYPE = f"{GRAPHQL_RESPONSE_JSON}; charset=utf-8"
# GET parameters that make a request an operation (otherwise a browser's GET gets GraphiQL).
OPERATION_PARAMETERS = frozenset({"query", "extensions", "documentId"})


class GatewayGraphQL(GraphQL[Context, None]):
    """Builds a fresh Context, with fresh loaders, for every request; answers in the media type
    the client accepts; runs persisted and trusted documents; refuses unusable requests as
    BAD_REQUEST GraphQL errors. Subscriptions: graphql-transport-ws (the legacy graphql-ws
    protocol is not offered), multipart HTTP (Apollo Client) and graphql-sse; WebSocket origins
    are those of GATEWAY_CORS_ORIGINS (and the gateway's own)."""

    graphql_transport_ws_handler_class = SubscriptionSocket

    def __init__(self, runtime: Runtime) -> None:
        settings = runtime.settings
        # GET is allowed for queries everywhere; production limits it to persisted ones below.
        super().__init__(
            build_schema(settings),
            graphql_ide=None if settings.production else "graphiql",
            subscription_protocols=(
                GRAPHQL_TRANSPORT_WS_PROTOCOL,
                MULTIPART_SUBSCRIPTION_PROTOCOL,
                GRAPHQL_SSE_PROTOCOL,
            ),
            connection_init_wait_timeout=timedelta(seconds=CONNECTION_INIT_TIMEOUT_S),
            # SubscriptionSocket counts them itself, refusing with QUERY_TOO_COMPLEX.
            max_subscriptions_per_connection=None,
            allowed_origins=sorted(settings.cors_origins),
        )
        # Public: SubscriptionSocket reaches the runtime through its view.
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            if self.runtime.connections.full:
                # 1013: try again later (on another replica).
                reason = "This process holds all the connections it may"
                await close_websocket(scope, receive, send, FELL_BEHIND, reason)
                return
            with self.runtime.connections.held():
                await super().__call__(scope, receive, send)
            return
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope=scope, receive=receive)
        response: Response
        try:
            response = await self.run(request)
        except RequestRefused as exc:
            response = self._refuse(request, exc)
        except HTTPException as exc:  # what Strawberry itself still refuses
            response = self._refuse(request, RequestRefused(exc.reason, exc.status_code))
        await response(scope, receive, send)

    def _refuse(self, request: Request, refused: RequestRefused) -> Response:
        headers = dict(refused.headers)
        if response_media_type(request.headers.get("accept")) == GRAPHQL_RESPONSE_JSON:
            headers["Content-Type"] = SPEC_CONTENT_TYPE
        return refusal(refused.error, refused.status, self.runtime.metrics, headers)

    def encode_json(self, data: object) -> str | bytes:
        frame = next_frame(data) if isinstance(data, dict) else None
        if frame is not None:  # a WebSocket frame whose payload a group of subscribers shares
            return frame
        try:
            # orjson encodes a page of Tasks ~10x faster than json.dumps, to the same JSON
            # (non-ASCII as UTF-8 rather than \\u escapes). Text, not bytes: Strawberry sends
            # bytes over a WebSocket as binary frames, which GraphQL WebSocket clients refuse.
            return orjson.dumps(data).decode()
        except TypeError:  # integers past 64 bits: only Python's encoder writes them
            return super().encode_json(data)

    def is_request_allowed(self, request: Any) -> bool:
        # read_request refuses the other methods, as a JSON error with an Allow header.
        return True

    def should_render_graphql_ide(self, request: Any) -> bool:
        # Without GraphiQL (production) such a GET is an ordinary request with no query; a GET
        # naming a persisted query by hash or id is an operation, not the page.
        named = OPERATION_PARAMETERS.intersection(request.query_params)
        return (
            self.graphql_ide is not None
            and not named
            and super().should_render_graphql_ide(request)
        )

    async def render_graphql_ide(self, request: Request) -> Response:
        # Strawberry's own page loads its scripts from a CDN; this one ships inside the package.
        return graphiql_page(bearer=self.runtime.authenticator.enabled)

    async def parse_http_body(self, request: AsyncHTTPRequestAdapter) -> GraphQLRequest:
        body = await request.get_body() if request.method == "POST" else b""
        data = read_request(request.method, request.content_type, body, request.query_params)
        stream = self._get_stream_transport_from_headers(request.headers)
        if stream is not None:
            data.protocol = stream.protocol
        return data

    async def execute_operation(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        request_data: GraphQLRequestData | list[GraphQLRequestData],
        context: Context,
        root_value: None,
        sub_response: Response,
    ) -> ExecutionResult | list[ExecutionResult] | SubscriptionExecutionResult:
        if (
            isinstance(request_data, list)
            or self._get_stream_transport(request_data.protocol) is None
        ):
            return await super().execute_operation(
                request, request_adapter, request_data, context, root_value, sub_response
            )
        # A subscription over HTTP (multipart or graphql-sse): the same checks as any request.
        self._require_caller(request)
        try:
            document = await self.runtime.documents.resolve(
                request_data.query,
                request_data.extensions,
                getattr(request_data, "document_id", None),
            )
        except GatewayError as exc:
            error = GraphQLError(exc.message, extensions=exc.graphql_extensions())
            return ExecutionResult(data=None, errors=[error])
        if self.runtime.connections.full:
            retry = FULL_RETRY_AFTER_S
            raise RequestRefused(
                ThrottledError(
                    "This process holds all the subscriptions it may", retry_after=retry
                ),
                503,
                {"Retry-After": str(retry)},
            )
        request_data.query = document.query
        if not _is_subscription(document.query, request_data.operation_name):
            # urql and others list text/event-stream and multipart/mixed in every Accept; a
            # query or mutation still gets one JSON answer, which every such client reads.
            request_data.protocol = "http"
            return await super().execute_operation(
                request, request_adapter, request_data, context, root_value, sub_response
            )
        stream = await super().execute_operation(
            request, request_adapter, request_data, context, root_value, sub_response
        )
        if not isinstance(stream, SubscriptionExecutionResult):
            return stream
        return cast(SubscriptionExecutionResult, self._held(stream))

    async def _held(self, stream: SubscriptionExecutionResult) -> AsyncGenerator[Any, None]:
        with self.runtime.connections.held():
            async for result in stream:
                yield result

    def _require_caller(self, request: Request) -> None:
        if self.runtime.authenticator.enabled and caller_of(request.scope).anonymous:
            # Authentication lets a browser's page GET through without a token; an operation
            # named by hash or id in such a GET is still an operation and needs one.
            raise RequestRefused(
                UnauthenticatedError("A bearer token is required", reason="missing"),
                401,
                {"WWW-Authenticate": "Bearer"},
            )

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """Authenticates a WebSocket: the connection_init payload's Authorization, else the
        upgrade request's (checked by Authentication); any failure closes it with 4403."""
        runtime = self.runtime
        authorization = _authorization(context.connection_params or {})
        if authorization is not None:
            try:
                caller = await runtime.authenticator.authenticate(authorization)
            except GatewayError:
                raise ConnectionRejectionError from None
            context.access = self._access(caller)
            if runtime.settings.effective_fhir_auth == "passthrough":
                context.fhir = runtime.fhir.as_caller(authorization)
                context.loaders = Loaders.create(context.fhir)
        elif runtime.authenticator.enabled and context.access.caller.anonymous:
            raise ConnectionRejectionError
        return cast(UnsetType, UNSET)

    def _access(self, caller: Caller) -> Access:
        runtime = self.runtime
        return Access(
            caller=caller,
            require_scopes=runtime.settings.auth_require_scopes,
            authenticated=runtime.authenticator.enabled,
            base_url=runtime.fhir.base_url,
        )

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        self._require_caller(request)
        document_id = getattr(request_data, "document_id", None)
        try:
            document = await self.runtime.documents.resolve(
                request_data.query, request_data.extensions, document_id
            )
        except GatewayError as exc:
            error = GraphQLError(exc.message, extensions=exc.graphql_extensions())
            return ExecutionResult(data=None, errors=[error])
        method = request_adapter.method
        if method == "GET" and self.runtime.settings.production and not document.persisted:
            raise RequestRefused(
                "In production GET runs only persisted queries: POST the document",
                405,
                {"Allow": "POST"},
            )
        try:
            result = await self.schema.execute(
                document.query,
                root_value=root_value,
                variable_values=request_data.variables,
                context_value=context,
                operation_name=request_data.operation_name,
                allowed_operation_types=OperationType.from_http(method),
                operation_extensions=request_data.extensions,
            )
        except InvalidOperationTypeError as exc:
            kind = exc.operation_type.name
            raise RequestRefused(
                f"A {kind} cannot run over {method}", 405, {"Allow": "POST"}
            ) from exc
        except CannotGetOperationTypeError as exc:
            raise RequestRefused(exc.as_http_error_reason()) from exc
        if document.register is not None and not _is_request_error(result):
            await self.runtime.documents.store.put(document.register, document.query)
        if method == "GET" and self.runtime.authenticator.enabled:
            # A caller's data must not be kept by a shared cache (a CDN) keyed on the URL.
            sub_response.headers["Cache-Control"] = "private, no-store"
        return result

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        # Every error of every phase (parse, validation, execution) passes here once.
        if result.errors:
            result.errors = [shape_error(error) for error in result.errors]
            for error in result.errors:
                code = (error.extensions or {}).get("code", "INTERNAL_SERVER_ERROR")
                self.runtime.metrics.count_error(str(code))
        response = await super().process_result(request, result)
        accepted = response_media_type(request.headers.get("accept"))
        if accepted == GRAPHQL_RESPONSE_JSON and _is_request_error(result):
            # The spec's media type: a request that never executed has no data entry (and,
            # in create_response, a 4xx status); application/json keeps "data": null and 200.
            del response["data"]
        return response

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = await super().get_sub_response(request)
        sub_response.media_type = response_media_type(request.headers.get("accept"))
        return sub_response

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        response = super().create_response(response_data, sub_response)
        if sub_response.media_type == GRAPHQL_RESPONSE_JSON:
            response.headers["Content-Type"] = SPEC_CONTENT_TYPE
            if isinstance(response_data, dict) and "data" not in response_data:
                response.status_code = 400
        return response

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        runtime = self.runtime
        access = self._access(caller_of(request.scope))
        fhir = runtime.fhir
        if runtime.settings.effective_fhir_auth == "passthrough":
            # A view per request: one caller's token can never reach another's requests.
            fhir = fhir.as_caller(request.headers.get("authorization"))
        return Context(
            settings=runtime.settings,
            fhir=fhir,
            loaders=Loaders.create(fhir),
            cursors=runtime.cursors,
            profiles=runtime.profiles,
            rules=runtime.rules,
            access=access,
            metrics=runtime.metrics,
            changes=runtime.changes,
        )


def _authorization(params: Mapping[str, object]) -> str | None:
    """The Authorization entry of a connection_init payload, whatever its case."""
    for key, value in params.items():
        if key.lower() == "authorization":
            return value if isinstance(value, str) else ""
    return None


def _is_request_error(result: ExecutionResult) -> bool:
    """Refused before execution (parse, validation, variables, persisted query): no error has
    a path, and there is no data."""
    errors = result.errors or []
    return result.data is None and bool(errors) and all(e.path is None for e in errors)


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
        headers: dict[str, str] = {}
        accept = Headers(scope=scope).get("accept")
        if response_media_type(accept) == GRAPHQL_RESPONSE_JSON:
            headers["Content-Type"] = SPEC_CONTENT_TYPE
        response = refusal(error, 413, self.metrics, headers)
        await response(scope, receive, send)


def _is_subscription(query: str, operation_name: str | None) -> bool:
    """Whether the operation to run is a subscription; a document that does not parse is not
    (the ordinary path reports its syntax error)."""
    try:
        operation = get_operation_ast(parse(query), operation_name)
    except GraphQLSyntaxError:
        return False
    return operation is not None and operation.operation == AstOperation.SUBSCRIPTION
