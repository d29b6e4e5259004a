"""The GraphQL enums carry exactly the FHIR R4 codes, named by the contract's rule."""

from __future__ import annotations

from enum import Enum

import pytest

from gateway.fhir.codes import TASK_INTENTS, TASK_PRIORITIES, TASK_STATUSES
from gateway.schema.enums import TaskIntent, TaskPriority, TaskStatus


@pytest.mark.parametrize(
    ("enum", "codes"),
    [(TaskStatus, TASK_STATUSES), (TaskIntent, TASK_INTENTS), (TaskPriority, TASK_PRIORITIES)],
)
def test_enum_values_are_the_fhir_codes(enum: type[Enum], codes: tuple[str, ...]) -> None:
    assert {member.value for member in enum} == set(codes)
    for member in enum:
        assert member.name == str(member.value).upper().replace("-", "_")
