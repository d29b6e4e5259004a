"""Subscription events executed once per group of subscribers that would get the same payload.

Every subscriber of a process sees each change one after the other. Subscribers whose payload
cannot differ share one execution of the selection set: the same delivered change (the
``TaskChange`` object, built per change and per visibility of its Task), the same parsed
operation, the same variables, the same ``Access`` (the whole caller: scopes, patient
compartment, fhirUser, token expiry) and the same FHIR client (one per caller's token when the
gateway passes tokens through). Anything a caller may or may not read is therefore decided for
each group exactly as for one subscriber; a result with errors is not shared. The JSON of a
shared payload is encoded once for all its WebSocket frames.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Mapping
from typing import Any, cast

import orjson
from graphql import ExecutionResult, Executor, OperationType
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from gateway.auth import Access
from gateway.schema.context import Context
from gateway.schema.subscriptions import TaskChange

# Changes whose results are remembered; a subscriber this far behind executes on its own.
RECENT_CHANGES = 32
# Encoded payloads remembered (one per group of a recent change).
RECENT_PAYLOADS = 256

_GroupKey = tuple[int, bytes, Access, int]


class _Shared:
    """One group's execution of one change: done (``result``) or under way (``running``)."""

    __slots__ = ("fhir", "operation", "result", "running")

    def __init__(self, operation: object, fhir: object) -> None:
        # Held so that the ids in the key cannot be reused while the entry lives.
        self.operation = operation
        self.fhir = fhir
        self.result: ExecutionResult | None = None
        self.running: asyncio.Future[ExecutionResult] | None = None


# id(change delivered) -> (that change, its groups' executions)
_RECENT: OrderedDict[int, tuple[object, dict[_GroupKey, _Shared]]] = OrderedDict()
# id(shared result's data) -> (that data, its JSON once encoded)
_PAYLOADS: OrderedDict[int, tuple[object, str | None]] = OrderedDict()


def _groups_of(change: object) -> dict[_GroupKey, _Shared]:
    found = _RECENT.get(id(change))
    if found is not None and found[0] is change:
        return found[1]
    groups: dict[_GroupKey, _Shared] = {}
    _RECENT[id(change)] = (change, groups)
    if len(_RECENT) > RECENT_CHANGES:
        _RECENT.popitem(last=False)
    return groups


def _remember_payload(result: ExecutionResult) -> None:
    if result.errors or result.extensions or result.data is None:
        return
    _PAYLOADS[id(result.data)] = (result.data, None)
    if len(_PAYLOADS) > RECENT_PAYLOADS:
        _PAYLOADS.popitem(last=False)


def next_frame(message: Mapping[str, Any]) -> str | None:
    """The graphql-transport-ws ``next`` frame for a shared payload, its JSON encoded once;
    None for any other message (the caller encodes it as usual)."""
    payload = message.get("payload")
    if (
        len(message) != 3
        or message.get("type") != "next"
        or not isinstance(payload, dict)
        or len(payload) != 1
    ):
        return None
    data = payload.get("data")
    found = _PAYLOADS.get(id(data))
    operation_id = message.get("id")
    if found is None or found[0] is not data or not isinstance(operation_id, str):
        return None
    encoded = found[1]
    if encoded is None:
        try:
            encoded = orjson.dumps(payload).decode()
        except TypeError:  # integers past 64 bits: the view's own encoder writes them
            return None
        _PAYLOADS[id(data)] = (data, encoded)
    # The same text orjson writes for the whole message (keys in this order).
    return f'{{"id":{orjson.dumps(operation_id).decode()},"type":"next","payload":{encoded}}}'


class SharedEventExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor; a subscription event is executed once per group (see module)."""

    # This subscription's group key, computed for its first event (None: never shared).
    _group: _GroupKey | None
    # Set on the per-event executor whose result the rest of its group shares.
    _leading: _Shared | None = None

    def build_per_event_executor(self, payload: Any) -> Executor[Any]:
        key = self._group_key() if isinstance(payload, TaskChange) else None
        if key is None:
            return super().build_per_event_executor(payload)
        groups = _groups_of(payload)
        shared = groups.get(key)
        fhir = self.context_value.fhir
        if shared is not None and shared.operation is self.operation and shared.fhir is fhir:
            return cast(Executor[Any], _Member(self, payload, shared))
        shared = groups[key] = _Shared(self.operation, fhir)
        executor = cast(SharedEventExecutor, super().build_per_event_executor(payload))
        executor._leading = shared
        return executor

    def execute_operation(self, serially: bool | None = None) -> Any:
        shared = self._leading
        if shared is None:
            return super().execute_operation(serially)
        outcome = super().execute_operation(serially)
        if not self.is_awaitable(outcome):
            _finished(shared, cast(ExecutionResult, outcome))
            return outcome
        running = asyncio.ensure_future(cast(Awaitable[ExecutionResult], outcome))
        shared.running = running
        running.add_done_callback(
            lambda done: (
                None if done.cancelled() or done.exception() else _finished(shared, done.result())
            )
        )
        # Shielded: a first subscriber that goes away does not cancel the others' result.
        return asyncio.shield(running)

    def _group_key(self) -> _GroupKey | None:
        try:
            return self._group
        except AttributeError:
            pass
        self._group = None
        context = self.context_value
        if self.operation.operation is not OperationType.SUBSCRIPTION or not isinstance(
            context, Context
        ):
            return None
        try:
            variables = orjson.dumps(self.variable_values.coerced, option=orjson.OPT_SORT_KEYS)
            key = (id(self.operation), variables, context.access, id(context.fhir))
            hash(key)
        except TypeError:  # a value orjson cannot write, or an unhashable caller
            return None
        # The context lives as long as this subscription: its FHIR client (hence the id in
        # the key) does too.
        self._group = key
        return key


class _Member:
    """A per-event executor for a subscriber whose group's result is made, or being made."""

    def __init__(self, base: SharedEventExecutor, change: TaskChange, shared: _Shared) -> None:
        self._base, self._change, self._shared = base, change, shared

    def execute_operation(self, serially: bool | None = None) -> Any:
        result = self._shared.result
        if result is not None:
            return result if not result.errors else self._own()
        running = self._shared.running
        if running is None:  # the leading execution raised instead of starting
            return self._own()
        return self._after(running)

    def _own(self) -> Any:
        # An executor of its own, not a group's: it does not look the group up again.
        executor = StrawberryGraphQLCoreExecutionContext.build_per_event_executor(
            self._base, self._change
        )
        return executor.execute_operation(False)

    async def _after(self, running: asyncio.Future[ExecutionResult]) -> ExecutionResult:
        # Waited for, not awaited: this subscriber going away does not cancel the group's run.
        await asyncio.wait([running])
        if not running.cancelled() and running.exception() is None:
            result = running.result()
            if not result.errors:
                return result
        # Errors are not shared: this subscriber's own execution tells its own.
        own = self._own()
        return cast(ExecutionResult, await own if self._base.is_awaitable(own) else own)


def _finished(shared: _Shared, result: ExecutionResult) -> None:
    shared.result = result
    _remember_payload(result)
