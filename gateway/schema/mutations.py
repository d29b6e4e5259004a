"""The Mutation type: Task writes guarded by the workflow rules and FHIR versioning."""

from __future__ import annotations

import strawberry


@strawberry.type(description="Task writes.")
class Mutation:
    @strawberry.field(description="Placeholder until the workflow mutations land.")
    def noop(self) -> bool:
        return True
