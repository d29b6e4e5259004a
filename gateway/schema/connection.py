"""Relay-style connection types for Task lists."""

from __future__ import annotations

import strawberry

from gateway.cursors import Cursor
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
    task: strawberry.Private[Task]
    sealed: strawberry.Private[Cursor]

    @strawberry.field(description="Opaque; pass as `after` to continue after this.")
    def cursor(self) -> str:
        # Sealed (Fernet) only here: a query that selects nodes alone pays nothing for it.
        return self.sealed.text()

    @strawberry.field(description="The Task.")
    def node(self) -> Task:
        return self.task


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
        edges = [TaskEdge(task=Task.from_fhir(r), sealed=cursor) for r, cursor in page.items]
        last = page.resume or (edges[-1].sealed if edges else None)
        return cls(
            edges=edges,
            nodes=[edge.task for edge in edges],
            page_info=PageInfo(
                has_next_page=page.has_next,
                end_cursor=last.text() if last is not None else None,
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
