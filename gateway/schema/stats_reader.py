"""Every Task a TaskFilter matches, for analytics: counted first, then read in few large pages."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from gateway.errors import QueryTooComplexError, UpstreamError
from gateway.fhir import FhirClient, Resource
from gateway.limits import STATS_PAGE_SIZE
from gateway.schema.context import Info
from gateway.schema.inputs import TaskFilter
from gateway.schema.task_filter import Keep, Params, due_date_check, filter_params
from gateway.server_profile import ServerProfile


@dataclass(frozen=True)
class TaskSearch:
    """One analytics search: what the server filters, and what is re-checked by reading."""

    fhir: FhirClient
    profile: ServerProfile
    params: Params
    # Conditions the server gets wrong; their parameters are left out of ``params``.
    keep: Keep | None
    limit: int

    @classmethod
    async def plan(
        cls, info: Info, task_filter: TaskFilter | None, *, extra: Params | None = None
    ) -> TaskSearch:
        ctx = info.context
        profile = await ctx.profiles.get(ctx.fhir)
        params = filter_params(task_filter, profile)
        keep = due_date_check(task_filter, profile)
        if keep is not None:
            # Counted by reading (behaviour.md): the server's answer would be wrong both ways.
            params = [(name, value) for name, value in params if name != "due-date"]
        # The patient compartment bounds the search itself, as it does every Task list.
        params = [*params, *ctx.access.task_search(), *(extra or [])]
        return cls(ctx.fhir, profile, params, keep, ctx.settings.stats_max_tasks)

    @property
    def exact_on_server(self) -> bool:
        """Whether the server's own counts are the answer (nothing needs re-checking)."""
        return self.keep is None

    async def count(self, extra: Params | None = None) -> int:
        page = await self.fhir.search("Task", [*self.params, *(extra or []), ("_summary", "count")])
        if page.total is None:
            raise UpstreamError("The FHIR server did not count the Tasks it was asked to count")
        return page.total

    async def size(self) -> int:
        """How many Tasks the server matches; QUERY_TOO_COMPLEX above the limit, before any
        Task is read."""
        total = await self.count()
        self._check(total)
        return total

    async def count_codes(self, param: str, codes: Sequence[str]) -> dict[str, int]:
        """Matching Tasks per code of a single-valued code element, all counts at once."""
        counts = await asyncio.gather(*(self.count([(param, code)]) for code in codes))
        return dict(zip(codes, counts, strict=True))

    async def read(self, elements: Sequence[str]) -> list[Resource]:
        """The matching Tasks with only ``elements`` (where the server honours _elements),
        re-checked where the server's filter is not trusted."""
        wanted = sorted({*elements, *(["restriction"] if self.keep is not None else [])})
        query = [*self.params, ("_elements", ",".join(wanted)), ("_count", str(STATS_PAGE_SIZE))]
        if not self.profile.next_links:
            # _offset pages are only sound in a stable order.
            query.append(("_sort", "_id"))
        page = await self.fhir.search("Task", query)
        tasks = list(page.matches)
        offset = 0
        while True:
            # Tasks written since the count could carry the search past the limit.
            self._check(len(tasks))
            if self.profile.next_links:
                if page.next_url is None:
                    break
                page = await self.fhir.search_next(page.next_url, "Task")
            else:
                if len(page.matches) < STATS_PAGE_SIZE:
                    break
                offset += STATS_PAGE_SIZE
                page = await self.fhir.search("Task", [*query, ("_offset", str(offset))])
            tasks.extend(page.matches)
        return tasks if self.keep is None else [task for task in tasks if self.keep(task)]

    def _check(self, matched: int) -> None:
        if matched > self.limit:
            raise QueryTooComplexError(
                f"{matched} Tasks match; one analytics query counts at most {self.limit} "
                "(GATEWAY_STATS_MAX_TASKS): narrow the filter",
                limit=self.limit,
                value=matched,
            )
