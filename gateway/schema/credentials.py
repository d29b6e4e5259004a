"""GraphQL types for licenses and working hours: Qualification, AvailableTime, NotAvailable."""

from __future__ import annotations

from typing import Any

import strawberry

from gateway.routing import where_valid
from gateway.schema.elements import CodeableConcept, Period, Reference


def _items(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


@strawberry.type(description="A Practitioner.qualification: a license or certificate.")
class Qualification:
    code: CodeableConcept | None = strawberry.field(description="What the qualification is.")
    period: Period | None = strawberry.field(description="When it is valid; open ends allowed.")
    issuer: Reference | None = strawberry.field(description="Who issued it.")
    where_valid: list[str] = strawberry.field(
        description=(
            "USPS state codes where it is valid: extension practitioner-qualification "
            "(Da Vinci Plan-Net) > whereValid, system https://www.usps.com/"
        )
    )

    @classmethod
    def list_from_fhir(cls, data: Any) -> list[Qualification]:
        return [
            cls(
                code=CodeableConcept.from_fhir(item.get("code")),
                period=Period.from_fhir(item.get("period")),
                issuer=Reference.from_fhir(item.get("issuer")),
                where_valid=where_valid(item),
            )
            for item in _items(data)
        ]


@strawberry.type(description="When a PractitionerRole is available, as FHIR writes it.")
class AvailableTime:
    days_of_week: list[str] = strawberry.field(description="mon, tue, ... sun; empty: every day.")
    all_day: bool | None = strawberry.field(description="Available the whole of those days.")
    available_start_time: str | None = strawberry.field(description="Opening time, hh:mm:ss.")
    available_end_time: str | None = strawberry.field(
        description="Closing time, exclusive; before the start, it runs past midnight."
    )

    @classmethod
    def list_from_fhir(cls, data: Any) -> list[AvailableTime]:
        return [
            cls(
                days_of_week=[d for d in item.get("daysOfWeek") or [] if isinstance(d, str)],
                all_day=item.get("allDay") if isinstance(item.get("allDay"), bool) else None,
                available_start_time=_str(item.get("availableStartTime")),
                available_end_time=_str(item.get("availableEndTime")),
            )
            for item in _items(data)
        ]


@strawberry.type(description="A time the PractitionerRole is not available, and why.")
class NotAvailable:
    description: str | None = strawberry.field(description="Why (e.g. leave).")
    during: Period | None = strawberry.field(description="When; date-only ends are whole days.")

    @classmethod
    def list_from_fhir(cls, data: Any) -> list[NotAvailable]:
        return [
            cls(
                description=_str(item.get("description")),
                during=Period.from_fhir(item.get("during")),
            )
            for item in _items(data)
        ]
