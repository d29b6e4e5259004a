"""The embedded store's change feed: every committed Task version, from any process, to the hub."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sqlite3
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

from gateway.changes.events import TaskChangeEvent
from gateway.changes.hub import ChangeHub

if TYPE_CHECKING:
    from gateway.store import ChangeReader, FhirStore, StoredChange

log = logging.getLogger("gateway.changes")

# How often the log is checked for other processes' commits; this process's own commits wake
# the feed at once.
POLL_INTERVAL_S: Final = 0.1


def event_of(change: StoredChange) -> TaskChangeEvent:
    """The hub's event for a logged change; observed at the version's commit time."""
    return TaskChangeEvent(
        task_id=change.task_id,
        version_id=str(change.version),
        kind=change.kind,
        task=json.loads(change.json) if change.json is not None else None,
        observed_at=datetime.fromtimestamp(change.last_updated / 1000, UTC),
        previous=json.loads(change.previous_json) if change.previous_json is not None else None,
    )


class StoreFeed:
    """Reads the store's change log from where it stood at ``start`` and publishes each change
    once, in commit order. Its position only moves past changes it has published, so a failed
    read is simply read again: nothing is lost, nothing is repeated."""

    def __init__(
        self, store: FhirStore, hub: ChangeHub, *, poll_interval: float = POLL_INTERVAL_S
    ) -> None:
        self._store = store
        self._hub = hub
        self._poll_interval = poll_interval
        self._reader: ChangeReader | None = None
        self._position = 0
        self._woken = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    async def start(self) -> None:
        reader = self._store.change_reader()
        self._reader = reader
        self._position = await asyncio.to_thread(reader.position)
        loop = asyncio.get_running_loop()

        def wake() -> None:
            # After aclose the loop may be gone; the commit itself has happened either way.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._woken.set)

        self._store.on_commit(wake)
        self._task = asyncio.create_task(self._run(), name="store change feed")

    async def aclose(self) -> None:
        self._closing = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._reader is not None:
            self._reader.close()

    async def _run(self) -> None:
        # The flag as well as the cancellation: on Python 3.11, wait_for can swallow a
        # cancellation that arrives as its wait ends, and the loop would never stop.
        while not self._closing:
            woken = False
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._poll_interval):
                    await self._woken.wait()
                woken = True
            self._woken.clear()
            try:
                await self.catch_up(check_news=not woken)
            except sqlite3.Error as exc:
                # Busy or locked beyond the timeout: the position stands, the next round retries.
                log.warning("change feed: reading the change log failed: %s", type(exc).__name__)

    async def catch_up(self, *, check_news: bool = False) -> int:
        """Publish every change after the position; how many there were."""
        reader = self._reader
        assert reader is not None, "start() first"
        if check_news and not await asyncio.to_thread(reader.may_have_news):
            return 0
        published = 0
        while True:
            changes = await asyncio.to_thread(reader.read_after, self._position)
            for change in changes:
                self._hub.publish(event_of(change))
                self._position = change.seq
            if not changes:
                return published
            published += len(changes)
