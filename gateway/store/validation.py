"""What a resource must look like before it is stored; errors name the offending element."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from gateway.fhir import TASK_INTENTS, TASK_PRIORITIES, TASK_STATUSES, DateTimeFormatError
from gateway.store.dates import date_range
from gateway.store.errors import InvalidRequestError, UnprocessableEntityError
from gateway.store.references import is_resource_id, is_resource_type, parse_reference


def check_type(resource_type: str) -> None:
    if not is_resource_type(resource_type):
        raise InvalidRequestError(f"Not a resource type: {resource_type!r}")


def check_id(resource_id: str) -> None:
    if not is_resource_id(resource_id):
        raise InvalidRequestError(f"Not a valid resource id: {resource_id!r}")


def check_resource(resource_type: str, body: Any, *, url_id: str | None = None) -> dict[str, Any]:
    """The body as a resource of ``resource_type``; ``url_id`` is given for an update."""
    if not isinstance(body, dict):
        raise InvalidRequestError("The request body must be a JSON object (a FHIR resource)")
    if body.get("resourceType") != resource_type:
        raise InvalidRequestError(
            f"resourceType {body.get('resourceType')!r} does not match the URL type "
            f"{resource_type!r}",
            expression="resourceType",
        )
    if url_id is not None and body.get("id") != url_id:
        raise InvalidRequestError(
            f"The resource id {body.get('id')!r} must equal the id in the URL {url_id!r}",
            expression=f"{resource_type}.id",
        )
    if "meta" in body:
        _check_meta(resource_type, body["meta"])
    if resource_type == "Task":
        _check_task(body)
    for path, text in _references(body, resource_type):
        if not isinstance(text, str) or parse_reference(text) is None:
            raise _invalid(
                path,
                f"{path} {text!r} is not a FHIR reference "
                "('Type/id', '#contained', 'urn:uuid:...' or an absolute URL)",
                "value",
            )
    return body


def _check_meta(resource_type: str, meta: Any) -> None:
    """meta's shape: the store adds to tag (SUBSETTED) and search may read it."""
    if not isinstance(meta, dict):
        raise _invalid(f"{resource_type}.meta", "meta must be an object", "structure")
    for element in ("tag", "security"):
        path = f"{resource_type}.meta.{element}"
        codings = meta.get(element)
        if codings is None:
            continue
        if not isinstance(codings, list) or not all(isinstance(c, dict) for c in codings):
            raise _invalid(path, f"{path} must be a list of Coding objects", "structure")
        for coding in codings:
            for key in ("system", "version", "code", "display"):
                if key in coding and not isinstance(coding[key], str):
                    raise _invalid(f"{path}.{key}", f"{path}.{key} must be a string", "value")
    profiles = meta.get("profile")
    if profiles is not None and (
        not isinstance(profiles, list) or not all(isinstance(p, str) for p in profiles)
    ):
        path = f"{resource_type}.meta.profile"
        raise _invalid(path, f"{path} must be a list of canonical URLs (strings)", "structure")


def _check_task(task: Mapping[str, Any]) -> None:
    for element, codes in (("status", TASK_STATUSES), ("intent", TASK_INTENTS)):
        value = task.get(element)
        if value is None:
            raise _invalid(f"Task.{element}", f"Task.{element} is required", "required")
        if value not in codes:
            raise _invalid(
                f"Task.{element}", f"Task.{element} {value!r} is not a valid code", "code-invalid"
            )
    priority = task.get("priority")
    if priority is not None and priority not in TASK_PRIORITIES:
        raise _invalid(
            "Task.priority", f"Task.priority {priority!r} is not a valid code", "code-invalid"
        )
    authored, modified = task.get("authoredOn"), task.get("lastModified")
    if isinstance(authored, str) and isinstance(modified, str):
        try:
            before = date_range(modified)[1] < date_range(authored)[0]
        except DateTimeFormatError:
            return  # the index reports the malformed date, naming its element
        if before:
            raise _invalid(
                "Task.lastModified",
                "inv-1: Task.lastModified must not be before Task.authoredOn",
                "invariant",
            )


def _references(node: Any, path: str) -> Iterator[tuple[str, Any]]:
    if isinstance(node, list):
        for item in node:
            yield from _references(item, path)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "reference" and not isinstance(value, dict | list):
                yield f"{path}.reference", value
            else:
                yield from _references(value, f"{path}.{key}")


def _invalid(expression: str, diagnostics: str, code: str) -> UnprocessableEntityError:
    return UnprocessableEntityError(diagnostics, expression=expression, code=code)
