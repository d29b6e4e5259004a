"""Live connections of this process (WebSockets and HTTP subscription streams), up to a cap."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


class LiveConnections:
    """Counts the connections that hold subscriptions; ``full`` once ``limit`` are open
    (GATEWAY_MAX_CONNECTIONS), so a process refuses more instead of running out of memory."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.count = 0

    @property
    def full(self) -> bool:
        return self.count >= self.limit

    @contextmanager
    def held(self) -> Iterator[None]:
        self.count += 1
        try:
            yield
        finally:
            self.count -= 1
