"""Operations analytics in the graph: ``taskStats`` counts and ``taskTurnaround`` hours."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import strawberry

from gateway.auth import LIST
from gateway.errors import BadUserInputError
from gateway.fhir import TASK_PRIORITIES, TASK_STATUSES
from gateway.schema.context import Info
from gateway.schema.inputs import TaskFilter
from gateway.schema.stats_reader import TaskSearch
from gateway.task_groups import (
    Dimension,
    Group,
    TurnaroundGroup,
    count_groups,
    enum_name,
    order_groups,
    turnaround_groups,
)

MAX_DIMENSIONS = 2

TaskDimension = strawberry.enum(
    Dimension,
    name="TaskDimension",
    description=(
        "What Tasks are grouped by: status, businessStatus, statusReason, code, priority, "
        "performerType (its first element) or owner."
    ),
)

_BY_CODE = [Dimension.CODE]  # taskTurnaround's default groupBy; never changed
# Elements every turnaround needs besides the grouped ones.
_TURNAROUND_ELEMENTS = ("status", "authoredOn", "executionPeriod", "lastModified")


@strawberry.type(description="One dimension's value shared by the Tasks of a group.")
class TaskGroupKey:
    dimension: Dimension = strawberry.field(description="The dimension this key is for.")
    value: str | None = strawberry.field(
        description=(
            "Enum name for STATUS and PRIORITY; 'system|code' of the first coding for coded "
            "dimensions ('|code' when it has no system; the text when there is no coding); "
            "'Type/id' for OWNER; null when the Task has no value."
        )
    )
    display: str | None = strawberry.field(
        description="The coding's display (or the concept's text), or the owner's display."
    )


def _keys(
    dimensions: Sequence[Dimension],
    values: Sequence[str | None],
    displays: Sequence[str | None],
) -> list[TaskGroupKey]:
    return [
        TaskGroupKey(dimension=d, value=v, display=s)
        for d, v, s in zip(dimensions, values, displays, strict=True)
    ]


@strawberry.type(description="The Tasks that share one key per dimension.")
class TaskGroup:
    keys: list[TaskGroupKey] = strawberry.field(
        description="One key per requested dimension, in the order asked."
    )
    count: int = strawberry.field(description="Tasks in the group (never 0).")


@strawberry.type(description="Counts of the Tasks that match a filter.")
class TaskStats:
    total: int = strawberry.field(description="Tasks that match the filter.")
    groups: list[TaskGroup] = strawberry.field(
        description=(
            "Largest count first, then keys (code-point order, null last); the counts add up "
            "to total."
        )
    )


@strawberry.type(description="Completion times of one group of COMPLETED Tasks.")
class Turnaround:
    keys: list[TaskGroupKey] = strawberry.field(
        description="One key per requested dimension, in the order asked."
    )
    count: int = strawberry.field(description="Completed Tasks with a turnaround in the group.")
    median_hours: float | None = strawberry.field(
        description="Median hours from authoredOn to completion."
    )
    p90_hours: float | None = strawberry.field(
        description=(
            "90th percentile of those hours: the last cut point of Python's "
            "statistics.quantiles(n=10, method='inclusive')."
        )
    )


def check_dimensions(dimensions: Sequence[Dimension], *, allow_empty: bool) -> list[Dimension]:
    if not dimensions and not allow_empty:
        raise BadUserInputError("groupBy: name one or two dimensions", argument="groupBy")
    if len(dimensions) > MAX_DIMENSIONS:
        raise BadUserInputError(f"groupBy: at most {MAX_DIMENSIONS} dimensions", argument="groupBy")
    if len(set(dimensions)) != len(dimensions):
        raise BadUserInputError("groupBy: a dimension is named twice", argument="groupBy")
    return list(dimensions)


def _code_list(dimension: Dimension, task_filter: TaskFilter | None) -> list[str]:
    """The codes a Task matching the filter may have in a STATUS or PRIORITY dimension."""
    if dimension is Dimension.STATUS:
        wanted = [s.code for s in (task_filter.status if task_filter else None) or []]
        excluded = {s.code for s in (task_filter.status_not if task_filter else None) or []}
        return [c for c in wanted or TASK_STATUSES if c not in excluded]
    wanted = [p.code for p in (task_filter.priority if task_filter else None) or []]
    return wanted or list(TASK_PRIORITIES)


async def _counted_on_server(
    search: TaskSearch, dimension: Dimension, task_filter: TaskFilter | None, total: int
) -> list[Group]:
    """One count per code, in parallel; what no code accounts for has no value (null)."""
    counts = await search.count_codes(dimension.element, _code_list(dimension, task_filter))
    groups = [Group((enum_name(code),), (None,), n) for code, n in counts.items()]
    groups.append(Group((None,), (None,), max(total - sum(counts.values()), 0)))
    return order_groups(groups)


@strawberry.type
class AnalyticsQueries:
    @strawberry.field(
        description=(
            "Counts of the Tasks that match filter, grouped by one or two dimensions (e.g. "
            "[BUSINESS_STATUS, STATUS_REASON]); exact, and equal to what paging `tasks` with "
            "the same filter counts. More matching Tasks than GATEWAY_STATS_MAX_TASKS: "
            "QUERY_TOO_COMPLEX."
        )
    )
    async def task_stats(
        self,
        info: Info,
        *,
        filter: Annotated[
            TaskFilter | None, strawberry.argument(description="Conditions; all must hold.")
        ] = None,
        group_by: Annotated[
            list[Dimension],
            strawberry.argument(description="One or two dimensions, none twice."),
        ],
    ) -> TaskStats:
        dimensions = check_dimensions(group_by, allow_empty=False)
        info.context.access.require("Task", LIST)
        search = await TaskSearch.plan(info, filter)
        total = await search.size()
        if search.exact_on_server and dimensions in ([Dimension.STATUS], [Dimension.PRIORITY]):
            groups = await _counted_on_server(search, dimensions[0], filter, total)
        else:
            tasks = await search.read([d.element for d in dimensions])
            total = len(tasks)
            groups = count_groups(tasks, dimensions, base_url=info.context.fhir.base_url)
        return TaskStats(
            total=total,
            groups=[
                TaskGroup(keys=_keys(dimensions, g.values, g.displays), count=g.count)
                for g in groups
            ],
        )

    @strawberry.field(
        description=(
            "Hours from authoredOn to completion (executionPeriod.end, else lastModified) of "
            "the COMPLETED Tasks that match filter, grouped by up to two dimensions; Tasks "
            "without authoredOn, or finished before it, are left out. More matching COMPLETED "
            "Tasks than GATEWAY_STATS_MAX_TASKS: QUERY_TOO_COMPLEX."
        )
    )
    async def task_turnaround(
        self,
        info: Info,
        filter: Annotated[
            TaskFilter | None, strawberry.argument(description="Conditions; all must hold.")
        ] = None,
        group_by: Annotated[
            list[Dimension],
            strawberry.argument(description="Up to two dimensions, none twice; [] is one group."),
        ] = _BY_CODE,
    ) -> list[Turnaround]:
        dimensions = check_dimensions(group_by, allow_empty=True)
        info.context.access.require("Task", LIST)
        search = await TaskSearch.plan(info, filter, extra=[("status", "completed")])
        await search.size()
        tasks = await search.read([*_TURNAROUND_ELEMENTS, *(d.element for d in dimensions)])
        groups: list[TurnaroundGroup] = turnaround_groups(
            tasks, dimensions, base_url=info.context.fhir.base_url
        )
        return [
            Turnaround(
                keys=_keys(dimensions, g.values, g.displays),
                count=g.count,
                median_hours=g.median_hours,
                p90_hours=g.p90_hours,
            )
            for g in groups
        ]
