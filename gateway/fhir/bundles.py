"""Reading FHIR searchset Bundles: matches, included resources, the next link."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Resource = dict[str, Any]


@dataclass(frozen=True)
class SearchPage:
    """One page of a FHIR search: the matches in server order, included resources, the next link."""

    matches: list[Resource]
    included: list[Resource] = field(default_factory=list)
    next_url: str | None = None
    total: int | None = None
    # False when the Bundle has no links at all: such servers (Medplum's router) page by _offset.
    has_links: bool = False
    # The Bundle carried an OperationOutcome (a warning: e.g. includes were cut short).
    warned: bool = False


def parse_searchset(bundle: Any, resource_type: str) -> SearchPage:
    """Split a searchset into matches and includes.

    Servers that omit ``search.mode`` are common; an entry of the searched type then
    counts as a match and anything else as included.
    """
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise ValueError("not a Bundle")
    matches: list[Resource] = []
    included: list[Resource] = []
    warned = False
    for entry in bundle.get("entry") or []:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            continue
        mode = (entry.get("search") or {}).get("mode")
        if resource.get("resourceType") == "OperationOutcome":
            warned = True
            continue
        if mode == "include" or (mode is None and resource.get("resourceType") != resource_type):
            included.append(resource)
        else:
            matches.append(resource)
    next_url = next(
        (
            link.get("url")
            for link in bundle.get("link") or []
            if isinstance(link, dict) and link.get("relation") == "next"
        ),
        None,
    )
    total = bundle.get("total")
    return SearchPage(
        matches=matches,
        included=included,
        next_url=next_url if isinstance(next_url, str) else None,
        total=total if isinstance(total, int) else None,
        has_links=bool(bundle.get("link")),
        warned=warned,
    )
