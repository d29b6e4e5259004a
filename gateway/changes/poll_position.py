"""Where the change poller stands: the newest lastUpdated seen, and the versions near it."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from redis.asyncio import Redis

from gateway.changes.observed import Observed

log = logging.getLogger("gateway.changes")

# Versions remembered near the newest stamp, at most: a burst larger than this within the
# overlap may deliver some of its versions twice (subscribers' hubs still drop most of those).
MAX_REMEMBERED = 5000
POSITION_KEY = "gateway:changes:poll-position"


@dataclass
class PollPosition:
    """The newest lastUpdated delivered (None: the server had no Task yet) and the versions
    stamped within ``overlap`` of it, so a re-read window delivers none of them twice."""

    newest: datetime | None = None
    recent: dict[str, datetime] = field(default_factory=dict)
    # The last poll stopped at its page cap: the next one starts at ``newest`` without the
    # overlap, so a burst larger than one poll is worked through instead of re-read.
    behind: bool = False

    def admit(self, observed: Observed) -> bool:
        """Whether ``observed`` is new; it is remembered and moves the position forward."""
        if observed.key in self.recent:
            return False
        self.recent[observed.key] = observed.last_updated
        if self.newest is None or observed.last_updated > self.newest:
            self.newest = observed.last_updated
        return True

    def forget_before(self, overlap: timedelta) -> None:
        """Keep only the versions a window starting ``overlap`` before ``newest`` can list."""
        if self.newest is None:
            return
        floor = self.newest - overlap
        kept = sorted(
            ((key, stamp) for key, stamp in self.recent.items() if stamp >= floor),
            key=lambda item: item[1],
        )
        self.recent = dict(kept[-MAX_REMEMBERED:])

    def to_json(self) -> str:
        return json.dumps(
            {
                "newest": self.newest.isoformat() if self.newest else None,
                "recent": {key: stamp.isoformat() for key, stamp in self.recent.items()},
                "behind": self.behind,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> PollPosition:
        """Parse what ``to_json`` wrote; ValueError on anything else."""
        data = json.loads(text)
        if not isinstance(data, dict) or not isinstance(data.get("recent"), dict):
            raise ValueError("not a poll position")
        newest = data.get("newest")
        return cls(
            newest=datetime.fromisoformat(newest) if isinstance(newest, str) else None,
            recent={str(k): datetime.fromisoformat(str(v)) for k, v in data["recent"].items()},
            behind=bool(data.get("behind")),
        )


class PositionStore(Protocol):
    async def load(self) -> PollPosition | None: ...

    async def save(self, position: PollPosition) -> None: ...


class MemoryPositionStore:
    """One process, no Redis: the position lives as long as the process."""

    def __init__(self) -> None:
        self._text: str | None = None

    async def load(self) -> PollPosition | None:
        return PollPosition.from_json(self._text) if self._text is not None else None

    async def save(self, position: PollPosition) -> None:
        self._text = position.to_json()


class RedisPositionStore:
    """Shared by the replicas, so whichever holds the poller lock goes on from here.

    Redis errors propagate: the poller decides (it skips that poll and keeps its own copy).
    """

    def __init__(self, redis: Redis, key: str = POSITION_KEY) -> None:
        self._redis = redis
        self._key = key

    async def load(self) -> PollPosition | None:
        text = await self._redis.get(self._key)
        if text is None:
            return None
        try:
            return PollPosition.from_json(text)
        except ValueError:
            log.warning("the poll position in Redis is unreadable: starting from the newest Task")
            return None

    async def save(self, position: PollPosition) -> None:
        await self._redis.set(self._key, position.to_json())
