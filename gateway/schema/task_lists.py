"""Task lists: one page of a Task search, planned with the includes the query selects."""

from __future__ import annotations

from gateway.auth import LIST
from gateway.fhir import Ref
from gateway.schema.connection import TaskConnection
from gateway.schema.context import Context, Info
from gateway.schema.enums import TaskSort
from gateway.schema.inputs import TaskFilter
from gateway.schema.merged_search import MergedSearch, OrderKey
from gateway.schema.paging import PageResult, SegmentedSearch, check_first
from gateway.schema.query_plan import plan_list, task_selection
from gateway.schema.selection import connection_node_selections
from gateway.schema.task_filter import (
    Keep,
    Params,
    Screen,
    due_date_check,
    filter_params,
    sort_param,
)
from gateway.server_profile import ServerProfile


async def read_page(
    info: Info,
    profile: ServerProfile,
    segments: list[Params],
    first: int,
    after: str | None,
    keep: Keep | None = None,
    screen: Screen | None = None,
    also_include: str | None = None,
    alternatives: list[Params] | None = None,
    order: OrderKey | None = None,
) -> TaskConnection:
    """A page of the Tasks ``segments`` list; with ``alternatives``, only those that match one
    of them, each alternative read as its own search and merged by ``order``."""
    ctx: Context = info.context
    # A patient-facing caller's lists are bounded in the FHIR query itself, so pages stay
    # full and totals stay true.
    compartment = ctx.access.task_search()
    segments = [[*segment, *compartment] for segment in segments]
    node_selections, want_total = connection_node_selections(info.selected_fields)
    plan = plan_list(task_selection(node_selections), profile, ctx.settings.query_planning)
    includes, walk = plan.includes, plan.walk
    if also_include and profile.honours_include:
        extra = ("_include", also_include)
        includes = includes if extra in includes else [*includes, extra]
        walk = walk if walk is None or extra in walk else [*walk, extra]

    def search(listed: list[Params]) -> SegmentedSearch:
        return SegmentedSearch(
            ctx.fhir,
            ctx.cursors,
            listed,
            first=first,
            links=profile.next_links,
            want_total=want_total,
            includes=includes,
            walk=walk,
            on_include_refused=ctx.profiles.include_refused,
        )

    page: PageResult
    if alternatives is not None and order is not None:
        searches = [search([[*s, *alt] for s in segments]) for alt in alternatives]
        page = await MergedSearch(ctx.cursors, searches, first=first, order=order).read(after)
    else:
        page = await search(segments).read(after)
    ctx.loaders.resource_by_ref.prime_resources(page.included)
    if page.walked:
        # Every Task read, shown or not, had its subtasks walked.
        tasks = [*page.matched, *(r for r in page.included if r.get("resourceType") == "Task")]
        ctx.loaders.children_by_parent.prime_tree(page.matched, tasks, deep=plan.deep)
    if (keep is not None or screen is not None) and page.items:
        # Cursors still name positions on the server, so dropping items keeps paging sound;
        # the next page starts after the last item read, kept or not.
        page.resume = page.items[-1][1]
        verdicts = await screen([r for r, _ in page.items]) if screen else None
        page.items = [
            item
            for index, item in enumerate(page.items)
            if (keep is None or keep(item[0])) and (verdicts is None or verdicts[index])
        ]
    ctx.loaders.resource_by_ref.prime_resources([r for r, _ in page.items])
    return TaskConnection.from_page(page)


async def list_tasks(
    info: Info,
    task_filter: TaskFilter | None,
    sort: TaskSort | None,
    first: int | None,
    after: str | None,
    *,
    owner: Ref | None = None,
) -> TaskConnection:
    """A page of Tasks that match ``task_filter`` (and are owned by ``owner``, when given)."""
    first = check_first(first)
    info.context.access.require("Task", LIST)
    profile = await info.context.profiles.get(info.context.fhir)
    order = sort or TaskSort.LAST_UPDATED_DESC
    params = [*filter_params(task_filter, profile), sort_param(order, profile)]
    if owner is not None:
        params.append(("owner", str(owner)))
    keep = due_date_check(task_filter, profile)
    return await read_page(info, profile, [params], first, after, keep)
