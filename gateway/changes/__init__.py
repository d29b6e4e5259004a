"""Task changes: what happened to which Task version, and the hub that hands them to subscribers."""

from gateway.changes.events import TaskChangeEvent, written_event
from gateway.changes.hub import ChangeHub, SubscriberFellBehind
from gateway.changes.store_feed import StoreFeed

__all__ = [
    "ChangeHub",
    "StoreFeed",
    "SubscriberFellBehind",
    "TaskChangeEvent",
    "written_event",
]
