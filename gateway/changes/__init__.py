"""Task changes: what happened to which Task version, the hub that hands them to subscribers,
and the sources beyond this process (the Redis fan-out, the external FHIR server's poller)."""

from gateway.changes.events import TaskChangeEvent, written_event
from gateway.changes.hub import ChangeHub, SubscriberFellBehind
from gateway.changes.poll_position import MemoryPositionStore, RedisPositionStore
from gateway.changes.poller import ChangePoller
from gateway.changes.poller_lock import RedisPollerLock, SoloLock, lock_ttl
from gateway.changes.redis_fanout import RedisFanout
from gateway.changes.store_feed import StoreFeed

__all__ = [
    "ChangeHub",
    "ChangePoller",
    "MemoryPositionStore",
    "RedisFanout",
    "RedisPollerLock",
    "RedisPositionStore",
    "SoloLock",
    "StoreFeed",
    "SubscriberFellBehind",
    "TaskChangeEvent",
    "lock_ttl",
    "written_event",
]
