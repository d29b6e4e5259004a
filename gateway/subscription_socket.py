"""graphql-transport-ws connections: a cap on subscriptions, documents checked as over HTTP,
loaders of its own for each operation, errors shaped by the one error mapping, keep-alive
pings, and the close codes of behaviour.md (4403 for a token that is invalid or expires, also
with no subscription open; 1013 for a subscriber that fell behind)."""

from __future__ import annotations

import asyncio
import contextlib
from contextvars import ContextVar
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
    # Private, but the one way to end an operation whose socket this handler closed.
    _OperationStreamClosed,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    ErrorMessage,
    SubscribeMessage,
)
from strawberry.types.execution import ExecutionResult, PreExecutionError

from gateway.changes import SubscriberFellBehind
from gateway.errors import GatewayError, QueryTooComplexError, UnauthenticatedError
from gateway.loaders import Loaders
from gateway.schema.context import Context
from gateway.schema.error_shaping import shape_error

if TYPE_CHECKING:
    from strawberry.schema.schema import StreamResult

    from gateway.runtime import Runtime

FELL_BEHIND = 1013  # "try again later"
FORBIDDEN = 4403

# The context of the operation a task runs (each operation runs in a task of its own).
_OPERATION: ContextVar[Context | None] = ContextVar("websocket operation", default=None)


def close_code(result: ExecutionResult) -> tuple[int, str] | None:
    """The close code a subscription's final error calls for, before it is shaped."""
    for error in result.errors or []:
        original: BaseException | None = error.original_error
        while isinstance(original, GraphQLError) and original.original_error is not None:
            original = original.original_error
        if isinstance(original, SubscriberFellBehind):
            return FELL_BEHIND, "The subscriber fell behind the changes: subscribe again"
        if isinstance(original, UnauthenticatedError):
            return FORBIDDEN, "Forbidden"
    return None


def _shaped(result: ExecutionResult) -> ExecutionResult:
    if result.errors:
        result.errors = [shape_error(error) for error in result.errors]
    return result


class SubscriptionSocket(BaseGraphQLTransportWSHandler[Context, None]):
    """Strawberry's graphql-transport-ws handler with the gateway's rules."""

    _ping: asyncio.Task[None] | None = None
    _expiry: asyncio.Task[None] | None = None
    _connection: Context

    @property
    def context(self) -> Context:
        """The running operation's context, else the connection's (authenticated once)."""
        return _OPERATION.get() or self._connection

    @context.setter
    def context(self, value: Context) -> None:
        self._connection = value

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.view.runtime  # type: ignore[attr-defined]
        return runtime

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        await super().handle_connection_init(message)
        if self.connection_acknowledged and self._ping is None:
            self._ping = asyncio.create_task(self._keep_alive())
            self._expiry = asyncio.create_task(self._close_at_expiry())

    async def _close_at_expiry(self) -> None:
        # Queries and mutations travel on the socket too: none may run on an expired token.
        expires = self._connection.access.caller.expires_at
        if expires is None:
            return
        await asyncio.sleep(max(0.0, (expires - datetime.now(UTC)).total_seconds()))
        with contextlib.suppress(WebSocketDisconnected, RuntimeError):
            await self.websocket.close(FORBIDDEN, "Forbidden")

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        # Loaders of its own, as each HTTP request has: nothing one operation read is served,
        # stale, to a later one on the same connection, and the cache ends with it.
        shared = self._connection
        _OPERATION.set(replace(shared, loaders=Loaders.create(shared.fhir)))
        await super().run_operation(operation)

    async def _keep_alive(self) -> None:
        interval = self.runtime.settings.websocket_ping_interval
        with contextlib.suppress(WebSocketDisconnected, RuntimeError):
            while True:
                await asyncio.sleep(interval)
                await self.send_message({"type": "ping"})

    async def shutdown(self) -> None:
        for task in (self._ping, self._expiry):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await super().shutdown()

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        if not self.connection_acknowledged or message["id"] in self.operations:
            await super().handle_subscribe(message)  # closes the socket, as the protocol says
            return
        expires = self._connection.access.caller.expires_at
        if expires is not None and expires <= datetime.now(UTC):
            await self.websocket.close(FORBIDDEN, "Forbidden")  # before the timer closes it
            return
        payload: dict[str, Any] = dict(message["payload"])
        limit = self.runtime.settings.max_subscriptions_per_connection
        try:
            if len(self.operations) >= limit:
                raise QueryTooComplexError(
                    f"A connection holds at most {limit} subscriptions",
                    limit=limit,
                    value=len(self.operations) + 1,
                )
            document = await self.runtime.documents.resolve(
                payload.get("query"), payload.get("extensions"), None
            )
        except GatewayError as exc:
            error = GraphQLError(exc.message, extensions=exc.graphql_extensions())
            refusal = ErrorMessage(id=message["id"], type="error", payload=[error.formatted])
            await self.send_message(refusal)
            return
        payload["query"] = document.query
        await super().handle_subscribe({**message, "payload": payload})  # type: ignore[typeddict-item]

    async def _send_result_stream(
        self, operation: Operation[Context, None], result_source: StreamResult
    ) -> None:
        first = True
        async for result in result_source:
            if first and isinstance(result, PreExecutionError):
                await self._handle_pre_execution_error(operation, _shaped(result))  # type: ignore[arg-type]
                return
            if not isinstance(result, ExecutionResult):
                await self._reject_incremental_delivery(operation)
                return
            first = False
            code = close_code(result)
            if code is not None:
                self.operations.pop(operation.id, None)
                await self.websocket.close(*code)
                raise _OperationStreamClosed
            await operation.send_next(_shaped(result))
