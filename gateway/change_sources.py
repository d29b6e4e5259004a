"""What feeds the change hub from outside this process, started and stopped with the app: the
Redis fan-out between replicas, and the poller of an external FHIR server."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from typing import Any

from gateway.changes import (
    ChangePoller,
    MemoryPositionStore,
    RedisFanout,
    RedisPollerLock,
    RedisPositionStore,
    SoloLock,
    lock_ttl,
)
from gateway.runtime import Runtime

log = logging.getLogger("gateway.changes")


class ChangeSources:
    """The background tasks behind live updates, and what /readyz says of them."""

    def __init__(self, runtime: Runtime) -> None:
        settings, metrics = runtime.settings, runtime.metrics
        self.fanout: RedisFanout | None = None
        self.poller: ChangePoller | None = None
        # Why there is no poller on an external server (None: there is one, or no need).
        self.poller_off: str | None = None
        self._tasks: list[asyncio.Task[None]] = []
        if runtime.redis is not None:
            self.fanout = RedisFanout(
                runtime.changes,
                runtime.redis,
                on_failure=metrics.count_fanout_failure,
                on_reconnect=metrics.count_fanout_reconnect,
            )
        if settings.embedded:
            return  # the embedded store reports its own changes
        if settings.effective_fhir_auth == "passthrough":
            self.poller_off = "GATEWAY_FHIR_AUTH=passthrough: no FHIR credentials of its own"
            return
        if settings.changes_poll_interval == 0:
            self.poller_off = "GATEWAY_CHANGES_POLL_INTERVAL=0"
            return

        async def type_history() -> bool:
            return (await runtime.profiles.get(runtime.fhir)).type_history

        interval = settings.changes_poll_interval
        self.poller = ChangePoller(
            runtime.changes,
            runtime.fhir,
            type_history,
            RedisPositionStore(runtime.redis) if runtime.redis else MemoryPositionStore(),
            RedisPollerLock(runtime.redis, lock_ttl(interval)) if runtime.redis else SoloLock(),
            interval=interval,
            observe=metrics.count_change_poll,
        )

    def start(self) -> None:
        if self.fanout is not None:
            self._spawn(self.fanout.run(), "fan-out")
        if self.poller is not None:
            self._spawn(self.poller.run(), "poller")

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    def readiness(self) -> dict[str, str]:
        """The poller's part of /readyz: nothing on the embedded store."""
        if self.poller_off is not None:
            return {"poller": "off", "pollerReason": self.poller_off}
        return {} if self.poller is None else {"poller": self.poller.state}

    def _spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.create_task(work, name=f"changes {name}")
        task.add_done_callback(_report_end)
        self._tasks.append(task)


def _report_end(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        # The type only: the message could quote a Task.
        log.error("%s stopped: %s", task.get_name(), type(task.exception()).__name__)
