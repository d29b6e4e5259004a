"""Per-request dataloaders: one per key shape, batching a tick's keys into few FHIR searches."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from aiodataloader import DataLoader

from gateway.errors import QueryTooComplexError
from gateway.fhir import FhirClient, Ref, Resource, try_parse_reference
from gateway.limits import IDS_PER_SEARCH, MAX_SUBTASKS

ResourceKey = Ref
ResourceResult = Resource | None
ChildrenKey = str  # a Task id
ChildrenResult = list[Resource]  # every child, or QueryTooComplexError past MAX_SUBTASKS


class ResourceByRefLoader(DataLoader[ResourceKey, ResourceResult]):
    """Resources by 'Type/id': one ``_id=a,b,c`` search per type and chunk, run concurrently."""

    def __init__(self, fhir: FhirClient) -> None:
        super().__init__()
        self._fhir = fhir

    # aiodataloader rejects just the keys whose slot holds an Exception; its stubs omit that.
    async def batch_load_fn(  # type: ignore[override]
        self, keys: list[ResourceKey]
    ) -> list[ResourceResult | Exception]:
        ids_by_type: dict[str, list[str]] = defaultdict(list)
        for ref in dict.fromkeys(keys):
            ids_by_type[ref.type].append(ref.id)
        chunks = [
            (resource_type, ids[start : start + IDS_PER_SEARCH])
            for resource_type, ids in ids_by_type.items()
            for start in range(0, len(ids), IDS_PER_SEARCH)
        ]
        pages = await asyncio.gather(
            *(self._fetch(resource_type, ids) for resource_type, ids in chunks),
            return_exceptions=True,
        )
        found: dict[Ref, Resource] = {}
        failed: dict[str, BaseException] = {}
        for (resource_type, _), page in zip(chunks, pages, strict=True):
            if isinstance(page, BaseException):
                failed[resource_type] = page
                continue
            for resource in page:
                found_ref = try_parse_reference(
                    f"{resource.get('resourceType')}/{resource.get('id')}"
                )
                if found_ref is not None:
                    found[found_ref] = resource
        results: list[ResourceResult | Exception] = []
        for ref in keys:
            error = failed.get(ref.type)
            if error is not None and ref not in found:
                results.append(error if isinstance(error, Exception) else RuntimeError())
            else:
                results.append(found.get(ref))
        return results

    async def _fetch(self, resource_type: str, ids: list[str]) -> list[Resource]:
        page = await self._fhir.search(
            resource_type, [("_id", ",".join(ids)), ("_count", str(len(ids)))]
        )
        return page.matches

    def prime_resources(self, resources: list[Resource]) -> None:
        """Seed the cache with resources a search already returned (matches or _include)."""
        for resource in resources:
            ref = try_parse_reference(f"{resource.get('resourceType')}/{resource.get('id')}")
            if ref is not None:
                self.prime(ref, resource)


class ChildrenByParentLoader(DataLoader[ChildrenKey, ChildrenResult]):
    """Direct subtasks by parent Task id: ``part-of=Task/a,Task/b`` per chunk of parents.

    A parent has all its children or, past MAX_SUBTASKS, a QueryTooComplexError: a list is
    never cut short, and a chunk of parents costs a bounded number of FHIR requests however
    many children they have.
    """

    def __init__(self, fhir: FhirClient, resources: ResourceByRefLoader) -> None:
        super().__init__()
        self._fhir = fhir
        self._resources = resources

    # aiodataloader rejects just the keys whose slot holds an Exception; its stubs omit that.
    async def batch_load_fn(  # type: ignore[override]
        self, keys: list[ChildrenKey]
    ) -> list[ChildrenResult | Exception]:
        parents = list(dict.fromkeys(keys))
        chunks = [
            parents[start : start + IDS_PER_SEARCH]
            for start in range(0, len(parents), IDS_PER_SEARCH)
        ]
        found: dict[str, ChildrenResult | Exception] = {}
        for chunk_found in await asyncio.gather(*(self._load_chunk(c) for c in chunks)):
            found.update(chunk_found)
        return [found[key] for key in keys]

    async def _load_chunk(self, parents: list[str]) -> dict[str, ChildrenResult | Exception]:
        children, read = await self._children_of(parents)
        complete = read <= len(parents) * MAX_SUBTASKS
        found: dict[str, ChildrenResult | Exception] = {}
        for parent in parents:
            if len(children[parent]) > MAX_SUBTASKS:
                found[parent] = _too_many(len(children[parent]))
            elif complete:
                found[parent] = children[parent]
            elif len(parents) == 1:
                found[parent] = _too_many(read)
        # The search stopped early, so the other lists may be short. Having read more than
        # MAX_SUBTASKS per parent, some parent is (as a rule) over and refused above; the rest
        # are read one by one, each again stopping past MAX_SUBTASKS.
        unsure = [parent for parent in parents if parent not in found]
        alone = await asyncio.gather(*(self._children_of([p]) for p in unsure))
        for parent, (own, own_read) in zip(unsure, alone, strict=True):
            found[parent] = own[parent] if own_read <= MAX_SUBTASKS else _too_many(own_read)
        return found

    async def _children_of(
        self, parents: list[str]
    ) -> tuple[defaultdict[str, list[Resource]], int]:
        """The children per parent, read until more than MAX_SUBTASKS per parent are in;
        and how many Tasks were read (past the bound: the search was not read to its end)."""
        page = await self._fhir.search_all(
            "Task",
            [("part-of", ",".join(f"Task/{p}" for p in parents))],
            max_matches=len(parents) * MAX_SUBTASKS,
        )
        self._resources.prime_resources(page.matches)
        children: defaultdict[str, list[Resource]] = defaultdict(list)
        wanted = set(parents)
        for task in page.matches:
            for parent_id in parent_ids(task, self._fhir.base_url):
                if parent_id in wanted:
                    children[parent_id].append(task)
        for found in children.values():
            found.sort(key=_authored_then_id)
        return children, len(page.matches)

    def prime_tree(self, roots: list[Resource], tasks: Iterable[Resource], *, deep: bool) -> None:
        """Seed the children of ``roots`` from one search's Tasks (its matches and what its
        tree walk included): complete lists, as the walk followed part-of from each root and,
        when ``deep``, from every Task it reached below them. A parent past MAX_SUBTASKS is
        left to the loader, which refuses it on its own."""
        by_id = {str(task.get("id")): task for task in tasks}
        children: defaultdict[str, list[Resource]] = defaultdict(list)
        for task in by_id.values():
            for parent_id in parent_ids(task, self._fhir.base_url):
                children[parent_id].append(task)
        frontier = list(dict.fromkeys(str(root.get("id")) for root in roots))
        seen = set(frontier)
        while frontier:
            below: list[str] = []
            for parent in frontier:
                found = sorted(children.get(parent, []), key=_authored_then_id)
                if len(found) > MAX_SUBTASKS:
                    continue
                self.prime(parent, found)
                for child in found if deep else []:
                    child_id = str(child.get("id"))
                    if child_id not in seen:
                        seen.add(child_id)
                        below.append(child_id)
            frontier = below


def _too_many(seen: int) -> QueryTooComplexError:
    return QueryTooComplexError(
        f"The Task has more than {MAX_SUBTASKS} subtasks; "
        "list them with tasks(filter: {partOf}), which pages",
        limit=MAX_SUBTASKS,
        value=seen,
    )


def parent_ids(task: Resource, base_url: str | None = None) -> list[str]:
    """Ids of the Tasks named in Task.partOf that this gateway can follow."""
    ids = []
    for part in task.get("partOf") or []:
        text = part.get("reference") if isinstance(part, dict) else None
        ref = try_parse_reference(text, base_url=base_url)
        if ref is not None and ref.type == "Task":
            ids.append(ref.id)
    return ids


def _authored_then_id(task: Resource) -> tuple[str, str]:
    # FHIR instants of one server share a format, so text order is time order; none sorts first.
    authored = task.get("authoredOn")
    return (authored if isinstance(authored, str) else "", str(task.get("id", "")))


@dataclass
class Loaders:
    """The loaders of one GraphQL request; never shared between requests (they cache PHI)."""

    resource_by_ref: ResourceByRefLoader
    children_by_parent: ChildrenByParentLoader

    def clear(self) -> None:
        """Forget everything loaded (a subscription does between changes)."""
        self.resource_by_ref.clear_all()
        self.children_by_parent.clear_all()

    @classmethod
    def create(cls, fhir: FhirClient) -> Loaders:
        resources = ResourceByRefLoader(fhir)
        return cls(
            resource_by_ref=resources, children_by_parent=ChildrenByParentLoader(fhir, resources)
        )
