"""A gateway served by uvicorn inside the test's event loop, and a graphql-transport-ws client
speaking the protocol message by message, for tests of subscriptions over real sockets."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import uvicorn
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from gateway.app import create_app
from gateway.config import Settings
from gateway.runtime import Runtime
from tests.conftest import free_port, settings_for
from tests.oidc_provider import OidcProvider

# Generous bounds: a test waits this long for what it expects, and never asserts speed.
DEADLINE_S = 20.0
PROTOCOL = "graphql-transport-ws"


@dataclass
class LiveGateway:
    """A served gateway: its URLs and its runtime (the change hub, the store)."""

    host: str
    runtime: Runtime

    @property
    def http(self) -> str:
        return f"http://{self.host}"

    @property
    def ws(self) -> str:
        return f"ws://{self.host}/graphql"

    async def subscribers(self, count: int) -> None:
        """Wait until ``count`` subscriptions read the change hub."""
        async with asyncio.timeout(DEADLINE_S):
            while True:  # the hub has no event to wait for: it is polled
                if self.runtime.changes.subscriber_count >= count:
                    return
                await asyncio.sleep(0.02)


@contextlib.asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[LiveGateway]:
    app = create_app(settings)
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(DEADLINE_S):
            while not server.started:
                if task.done():
                    task.result()
                await asyncio.sleep(0.02)
        yield LiveGateway(f"127.0.0.1:{port}", app.state.runtime)
    finally:
        server.should_exit = True
        await task


class Socket:
    """One graphql-transport-ws connection, read with a deadline on every message."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection

    async def send(self, message: Mapping[str, Any]) -> None:
        await self.connection.send(json.dumps(message))

    async def receive(self, *, skip_pings: bool = True) -> dict[str, Any]:
        async with asyncio.timeout(DEADLINE_S):
            while True:
                message: dict[str, Any] = json.loads(await self.connection.recv())
                if not (skip_pings and message["type"] == "ping"):
                    return message

    async def init(self, payload: Mapping[str, Any] | None = None) -> dict[str, Any]:
        await self.send({"type": "connection_init", "payload": dict(payload or {})})
        return await self.receive()

    async def subscribe(
        self, id: str, query: str, variables: Mapping[str, Any] | None = None
    ) -> None:
        payload = {"query": query, "variables": dict(variables or {})}
        await self.send({"type": "subscribe", "id": id, "payload": payload})

    async def closed(self) -> int | None:
        """The close code the server ends the connection with (messages before it skipped)."""
        async with asyncio.timeout(DEADLINE_S):
            with contextlib.suppress(ConnectionClosed):
                while True:
                    await self.connection.recv()
        return self.connection.close_code


@contextlib.asynccontextmanager
async def socket(
    gateway: LiveGateway, headers: Mapping[str, str] | None = None, origin: str | None = None
) -> AsyncIterator[Socket]:
    async with connect(
        gateway.ws,
        subprotocols=[PROTOCOL],  # type: ignore[list-item]
        additional_headers=dict(headers or {}),
        origin=origin,  # type: ignore[arg-type]
        open_timeout=DEADLINE_S,
    ) as connection:
        yield Socket(connection)


def serving_secured(provider: OidcProvider) -> contextlib.AbstractAsyncContextManager[LiveGateway]:
    """A served gateway on the embedded store whose callers authenticate with ``provider``."""
    return serving(
        settings_for(
            "embedded",
            auth_mode="jwt",
            auth_issuer=provider.issuer,
            auth_audience=provider.audience,
        )
    )
