"""The statusReason rule: which statuses need a reason, and which reason a Task keeps."""

from __future__ import annotations

import copy
from typing import Any, Final

from gateway.workflow.errors import StatusReasonRequiredError

DEFAULT_REASON_REQUIRED_FOR: Final[frozenset[str]] = frozenset({"on-hold", "cancelled"})


def has_valid_reason(concept: object) -> bool:
    """True when a CodeableConcept has a coding with a non-blank code, or non-blank text."""
    if not isinstance(concept, dict):
        return False
    text = concept.get("text")
    if isinstance(text, str) and text.strip():
        return True
    codings = concept.get("coding")
    if not isinstance(codings, list):
        return False
    return any(
        isinstance(coding, dict)
        and isinstance(coding.get("code"), str)
        and bool(coding["code"].strip())
        for coding in codings
    )


def resolve_status_reason(
    *,
    old_status: str | None,
    new_status: str,
    old_reason: object,
    new_reason: dict[str, Any] | None,
    required_for: frozenset[str],
) -> dict[str, Any] | None:
    """The statusReason a Task has after moving from `old_status` (None: creation) to `new_status`.

    statusReason says "why the task has its current status", so:
    - a valid new reason is kept, whatever the status;
    - a real status change without one leaves no reason: an old one never carries over;
    - an update that keeps the status keeps the old reason;
    - an empty reason (no coded coding, no text) counts as no reason at all.
    Raises StatusReasonRequiredError when `new_status` is in `required_for` and the
    Task would end up without a valid reason.
    """
    if has_valid_reason(new_reason):
        return copy.deepcopy(new_reason)
    kept = old_reason if old_status == new_status and has_valid_reason(old_reason) else None
    if kept is None and new_status in required_for:
        raise StatusReasonRequiredError(status=new_status)
    return copy.deepcopy(kept) if isinstance(kept, dict) else None
