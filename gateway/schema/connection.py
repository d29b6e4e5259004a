"""Relay-style connection types for Task lists."""

from __future__ import annotations

import strawberry

from gateway.schema.paging import PageResult
from gateway.schema.task import Task


@strawberry.type(description="Where a page ends and whether more follow.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="True when another page follows.")
    end_cursor: str | None = strawberry.field(
        description="Pass as `after` to get the next page; null on an empty page."
    )


@strawberry.type(description="A Task with the cursor that resumes after it.")
class TaskEdge:
    cursor: str = strawberry.field(description="Opaque; pass as `after` to continue after this.")
    node: Task = strawberry.field(description="The Task.")


@strawberry.type(description="One page of Tasks.")
class TaskConnection:
    edges: list[TaskEdge] = strawberry.field(description="The Tasks of the page with cursors.")
    nodes: list[Task] = strawberry.field(description="The Tasks of the page.")
    page_info: PageInfo = strawberry.field(description="Paging state.")
    total_count: int | None = strawberry.field(
        description="How many Tasks match in all, when the FHIR server says."
    )

    @classmethod
    def from_page(cls, page: PageResult) -> TaskConnection:
        edges = [TaskEdge(cursor=cursor, node=Task.from_fhir(r)) for r, cursor in page.items]
        return cls(
            edges=edges,
            nodes=[edge.node for edge in edges],
            page_info=PageInfo(
                has_next_page=page.has_next,
                end_cursor=page.resume or (edges[-1].cursor if edges else None),
            ),
            total_count=page.total,
        )

    @classmethod
    def empty(cls) -> TaskConnection:
        return cls(
            edges=[],
            nodes=[],
            page_info=PageInfo(has_next_page=False, end_cursor=None),
            total_count=0,
        )
