from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.workflow.errors import StatusReasonRequiredError
from gateway.workflow.status_reason import (
    DEFAULT_REASON_REQUIRED_FOR,
    has_valid_reason,
    resolve_status_reason,
)
from gateway.workflow.statuses import TASK_STATUSES

statuses = st.sampled_from(TASK_STATUSES)
blankish = st.sampled_from(["", " ", "\t\n"])
# An explicit alphabet keeps hypothesis from building its Unicode tables on a cold cache.
words = st.text(alphabet="ab z-\t\u00e9\u2003", min_size=1, max_size=12)
codings = st.fixed_dictionaries(
    {},
    optional={
        "system": st.just("http://example.org/reasons"),
        "code": st.one_of(blankish, words, st.none(), st.integers()),
        "display": words,
    },
)
concepts: st.SearchStrategy[dict[str, Any]] = st.fixed_dictionaries(
    {},
    optional={"coding": st.lists(codings, max_size=3), "text": st.one_of(blankish, words)},
)
maybe_concepts = st.one_of(st.none(), concepts)

WAITING = {"coding": [{"system": "http://example.org/reasons", "code": "waiting"}]}
PATIENT_ASKED = {"text": "patient asked to wait"}


@pytest.mark.parametrize(
    ("concept", "valid"),
    [
        (WAITING, True),
        (PATIENT_ASKED, True),
        ({"coding": [{"display": "no code"}, {"code": "x"}]}, True),
        ({"coding": [{"code": "  "}], "text": "why"}, True),
        ({}, False),
        ({"text": "   "}, False),
        ({"coding": []}, False),
        ({"coding": [{"code": ""}, {"display": "only a display"}]}, False),
        ({"coding": [{"code": 7}]}, False),
        ({"coding": "waiting"}, False),
        ({"coding": ["waiting"]}, False),
        ("waiting", False),
        (None, False),
    ],
)
def test_has_valid_reason(concept: object, valid: bool) -> None:
    assert has_valid_reason(concept) is valid


@given(concepts)
def test_has_valid_reason_agrees_with_its_definition(concept: dict[str, Any]) -> None:
    text = concept.get("text", "")
    coded = any(
        isinstance(c.get("code"), str) and c["code"].strip() for c in concept.get("coding", [])
    )
    assert has_valid_reason(concept) is bool(text.strip() or coded)


def _resolve(
    old_status: str | None, new_status: str, old_reason: object, new_reason: dict[str, Any] | None
) -> dict[str, Any] | None:
    return resolve_status_reason(
        old_status=old_status,
        new_status=new_status,
        old_reason=old_reason,
        new_reason=new_reason,
        required_for=DEFAULT_REASON_REQUIRED_FOR,
    )


@pytest.mark.parametrize(
    ("old_status", "new_status", "old_reason", "new_reason", "expected"),
    [
        # Entering a status that needs a reason: only a new one counts.
        ("in-progress", "on-hold", None, WAITING, WAITING),
        ("on-hold", "cancelled", WAITING, PATIENT_ASKED, PATIENT_ASKED),
        (None, "on-hold", None, WAITING, WAITING),
        # Same-status update: the reason may be replaced, or kept when none is given.
        ("on-hold", "on-hold", WAITING, PATIENT_ASKED, PATIENT_ASKED),
        ("on-hold", "on-hold", WAITING, None, WAITING),
        ("on-hold", "on-hold", WAITING, {"text": ""}, WAITING),
        ("ready", "ready", PATIENT_ASKED, None, PATIENT_ASKED),
        # Any real change without a new reason leaves none: it explained the old status.
        ("on-hold", "in-progress", WAITING, None, None),
        ("on-hold", "ready", WAITING, None, None),
        ("ready", "in-progress", PATIENT_ASKED, None, None),
        ("on-hold", "in-progress", WAITING, PATIENT_ASKED, PATIENT_ASKED),
        # An empty reason is no reason, and is not stored.
        ("ready", "in-progress", None, {"coding": [{"code": " "}]}, None),
        (None, "ready", None, None, None),
    ],
)
def test_resolve_status_reason(
    old_status: str | None,
    new_status: str,
    old_reason: object,
    new_reason: dict[str, Any] | None,
    expected: dict[str, Any] | None,
) -> None:
    assert _resolve(old_status, new_status, old_reason, new_reason) == expected


@pytest.mark.parametrize(
    ("old_status", "new_status", "old_reason", "new_reason"),
    [
        ("in-progress", "on-hold", None, None),
        ("in-progress", "on-hold", None, {"text": " "}),
        ("on-hold", "cancelled", WAITING, None),
        (None, "on-hold", None, None),
        # Stored without a reason by some other client: an update must supply one.
        ("on-hold", "on-hold", None, None),
        ("on-hold", "on-hold", {"text": ""}, None),
    ],
)
def test_missing_reason_is_refused(
    old_status: str | None,
    new_status: str,
    old_reason: object,
    new_reason: dict[str, Any] | None,
) -> None:
    with pytest.raises(StatusReasonRequiredError) as caught:
        _resolve(old_status, new_status, old_reason, new_reason)
    assert caught.value.status == new_status


def test_required_set_is_configurable() -> None:
    with pytest.raises(StatusReasonRequiredError):
        resolve_status_reason(
            old_status="in-progress",
            new_status="failed",
            old_reason=None,
            new_reason=None,
            required_for=frozenset({"failed"}),
        )
    assert (
        resolve_status_reason(
            old_status="in-progress",
            new_status="on-hold",
            old_reason=None,
            new_reason=None,
            required_for=frozenset(),
        )
        is None
    )


def test_result_does_not_alias_the_input() -> None:
    given_reason = {"coding": [{"code": "waiting"}]}
    resolved = _resolve("ready", "on-hold", None, given_reason)
    assert resolved == given_reason
    assert resolved is not given_reason
    assert resolved["coding"] is not given_reason["coding"]


@given(
    old_status=st.one_of(st.none(), statuses),
    new_status=statuses,
    old_reason=maybe_concepts,
    new_reason=maybe_concepts,
    required_for=st.frozensets(statuses),
)
def test_reason_properties(
    old_status: str | None,
    new_status: str,
    old_reason: dict[str, Any] | None,
    new_reason: dict[str, Any] | None,
    required_for: frozenset[str],
) -> None:
    try:
        result = resolve_status_reason(
            old_status=old_status,
            new_status=new_status,
            old_reason=old_reason,
            new_reason=new_reason,
            required_for=required_for,
        )
    except StatusReasonRequiredError:
        assert new_status in required_for
        assert not has_valid_reason(new_reason)
        return
    assert result is None or has_valid_reason(result)
    if new_status in required_for:
        assert has_valid_reason(result)
    if has_valid_reason(new_reason):
        assert result == new_reason
    elif old_status != new_status:
        assert result is None
    elif has_valid_reason(old_reason):
        assert result == old_reason
