import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.fhir.datetimes import parse_datetime
from gateway.workflow import UNCHANGED, WorkflowRules, prepare_new_task
from gateway.workflow.errors import InvalidStatusTransitionError, StatusReasonRequiredError
from gateway.workflow.status_reason import has_valid_reason
from gateway.workflow.statuses import INITIAL_STATUSES, TASK_STATUSES
from gateway.workflow.task_changes import apply_status_change, touch
from gateway.workflow.transitions import TransitionTable

RULES = WorkflowRules()
PERMISSIVE = WorkflowRules(transitions=TransitionTable.permissive())
T0 = "2026-11-02T09:00:00Z"
T1 = "2026-11-02T10:00:00Z"
T2 = "2026-11-02T11:00:00Z"
WAITING = {"coding": [{"system": "http://example.org/reasons", "code": "waiting"}]}
SCHEDULED = {
    "coding": [{"system": "http://example.org/fhir/CodeSystem/clinic-funnel", "code": "s"}]
}

statuses = st.sampled_from(TASK_STATUSES)
instants = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(UTC)
).map(lambda moment: moment.isoformat().replace("+00:00", "Z"))
concepts: st.SearchStrategy[dict[str, Any]] = st.fixed_dictionaries(
    {},
    optional={
        "coding": st.lists(
            st.fixed_dictionaries({}, optional={"code": st.sampled_from(["", " ", "x"])}),
            max_size=2,
        ),
        "text": st.sampled_from(["", "  ", "why"]),
    },
)
maybe_concepts = st.one_of(st.none(), concepts)
tasks: st.SearchStrategy[dict[str, Any]] = st.fixed_dictionaries(
    {"resourceType": st.just("Task"), "status": statuses, "intent": st.just("order")},
    optional={
        "authoredOn": instants,
        "lastModified": instants,
        "statusReason": concepts,
        "businessStatus": concepts,
        "executionPeriod": st.fixed_dictionaries({}, optional={"start": instants}),
    },
)
rule_sets = st.builds(
    WorkflowRules,
    transitions=st.sampled_from([TransitionTable.strict(), TransitionTable.permissive()]),
    reason_required_for=st.frozensets(statuses),
)


def _task(status: str, **elements: Any) -> dict[str, Any]:
    return {
        "resourceType": "Task",
        "status": status,
        "intent": "order",
        "authoredOn": T0,
        "lastModified": T0,
        **elements,
    }


def test_start_work() -> None:
    changed = apply_status_change(_task("accepted"), "in-progress", now=T1, rules=RULES)
    assert changed["status"] == "in-progress"
    assert changed["lastModified"] == T1
    assert changed["executionPeriod"] == {"start": T1}


def test_put_on_hold_needs_a_reason_and_keeps_it() -> None:
    task = _task("in-progress", executionPeriod={"start": T0})
    with pytest.raises(StatusReasonRequiredError) as caught:
        apply_status_change(task, "on-hold", now=T1, rules=RULES)
    assert caught.value.status == "on-hold"
    held = apply_status_change(task, "on-hold", status_reason=WAITING, now=T1, rules=RULES)
    assert held["statusReason"] == WAITING
    assert held["executionPeriod"] == {"start": T0}


def test_resume_drops_the_hold_reason_and_keeps_the_start() -> None:
    held = _task("on-hold", statusReason=WAITING, executionPeriod={"start": T0})
    resumed = apply_status_change(held, "in-progress", now=T2, rules=RULES)
    assert "statusReason" not in resumed
    assert resumed["executionPeriod"] == {"start": T0}


def test_cancel_from_hold_needs_a_new_reason() -> None:
    held = _task("on-hold", statusReason=WAITING)
    with pytest.raises(StatusReasonRequiredError):
        apply_status_change(held, "cancelled", now=T1, rules=RULES)
    reason = {"text": "patient moved away"}
    cancelled = apply_status_change(held, "cancelled", status_reason=reason, now=T1, rules=RULES)
    assert cancelled["statusReason"] == reason
    assert cancelled["executionPeriod"] == {"end": T1}


def test_same_status_update_keeps_or_replaces_the_reason() -> None:
    held = _task("on-hold", statusReason=WAITING)
    assert apply_status_change(held, "on-hold", now=T1, rules=RULES)["statusReason"] == WAITING
    other = {"text": "still waiting for the lab"}
    replaced = apply_status_change(held, "on-hold", status_reason=other, now=T1, rules=RULES)
    assert replaced["statusReason"] == other


@pytest.mark.parametrize("final", ["completed", "failed"])
def test_finishing_closes_the_execution_period(final: str) -> None:
    task = _task("in-progress", executionPeriod={"start": T1})
    finished = apply_status_change(task, final, now=T2, rules=RULES)
    assert finished["executionPeriod"] == {"start": T1, "end": T2}


def test_period_end_never_precedes_its_start() -> None:
    task = _task("in-progress", executionPeriod={"start": T2})
    assert apply_status_change(task, "completed", now=T1, rules=RULES)["executionPeriod"] == {
        "start": T2,
        "end": T2,
    }


def test_reject_and_entered_in_error_leave_the_period_alone() -> None:
    rejected = apply_status_change(_task("requested"), "rejected", now=T1, rules=RULES)
    assert "executionPeriod" not in rejected
    done = _task("completed", executionPeriod={"start": T0, "end": T1})
    retracted = apply_status_change(done, "entered-in-error", now=T2, rules=RULES)
    assert retracted["executionPeriod"] == {"start": T0, "end": T1}


def test_reopening_by_a_custom_table_drops_the_end() -> None:
    rules = WorkflowRules(transitions=TransitionTable.from_mapping({"completed": ["in-progress"]}))
    done = _task("completed", executionPeriod={"start": T0, "end": T1})
    reopened = apply_status_change(done, "in-progress", now=T2, rules=rules)
    assert reopened["executionPeriod"] == {"start": T0}
    cancelled = _task("cancelled", statusReason=WAITING, executionPeriod={"end": T1})
    rules = WorkflowRules(transitions=TransitionTable.from_mapping({"cancelled": ["draft"]}))
    assert "executionPeriod" not in apply_status_change(cancelled, "draft", now=T2, rules=rules)


def test_business_status_unchanged_replaced_or_cleared() -> None:
    task = _task("ready", businessStatus=SCHEDULED)
    assert apply_status_change(task, "in-progress", now=T1, rules=RULES)["businessStatus"] == (
        SCHEDULED
    )
    other = {"text": "awaiting results"}
    changed = apply_status_change(task, "in-progress", business_status=other, now=T1, rules=RULES)
    assert changed["businessStatus"] == other
    cleared = apply_status_change(task, "in-progress", business_status=None, now=T1, rules=RULES)
    assert "businessStatus" not in cleared
    assert apply_status_change(task, "ready", business_status=UNCHANGED, now=T1, rules=RULES)[
        "businessStatus"
    ] == (SCHEDULED)


def test_invalid_transition_is_refused_before_anything_changes() -> None:
    with pytest.raises(InvalidStatusTransitionError) as caught:
        apply_status_change(_task("completed"), "in-progress", now=T1, rules=RULES)
    assert caught.value.from_status == "completed"
    assert caught.value.allowed == ("entered-in-error",)


def test_transition_is_checked_before_the_reason() -> None:
    with pytest.raises(InvalidStatusTransitionError):
        apply_status_change(_task("accepted"), "on-hold", now=T1, rules=RULES)


def test_clock_skew_keeps_last_modified_after_authored_on() -> None:
    changed = apply_status_change(_task("ready", authoredOn=T2), "in-progress", now=T1, rules=RULES)
    assert changed["lastModified"] == T2
    assert changed["executionPeriod"] == {"start": T2}


def test_a_task_without_status_is_refused() -> None:
    with pytest.raises(ValueError, match="no status"):
        apply_status_change({"resourceType": "Task"}, "ready", now=T1, rules=RULES)
    with pytest.raises(ValueError, match="no status"):
        prepare_new_task({"resourceType": "Task"}, now=T1, rules=RULES)


def test_prepare_new_task_sets_the_times() -> None:
    created = prepare_new_task(
        {"resourceType": "Task", "status": "ready", "intent": "order", "authoredOn": T0},
        now=T1,
        rules=RULES,
    )
    assert created["authoredOn"] == created["lastModified"] == T1
    assert "executionPeriod" not in created


def test_prepare_new_task_in_progress_starts_execution() -> None:
    created = prepare_new_task(_task("in-progress"), now=T1, rules=RULES)
    assert created["executionPeriod"] == {"start": T1}


def test_prepare_new_task_checks_the_reason() -> None:
    with pytest.raises(StatusReasonRequiredError):
        prepare_new_task(_task("on-hold"), now=T1, rules=RULES)
    created = prepare_new_task(_task("on-hold", statusReason=WAITING), now=T1, rules=RULES)
    assert created["statusReason"] == WAITING
    blank = prepare_new_task(_task("ready", statusReason={"text": " "}), now=T1, rules=RULES)
    assert "statusReason" not in blank


@pytest.mark.parametrize(
    "status", ["rejected", "cancelled", "failed", "completed", "entered-in-error"]
)
def test_prepare_new_task_refuses_other_initial_statuses(status: str) -> None:
    with pytest.raises(InvalidStatusTransitionError) as caught:
        prepare_new_task(_task(status, statusReason=WAITING), now=T1, rules=PERMISSIVE)
    assert caught.value.from_status is None
    assert caught.value.to_status == status


def test_touch() -> None:
    task = _task("ready", authoredOn=T1)
    assert touch(task, T2)["lastModified"] == T2
    assert touch(task, T0)["lastModified"] == T1
    assert touch({"status": "ready"}, T0) == {"status": "ready", "lastModified": T0}
    assert task["lastModified"] == T0


def _later_or_equal(later: str, earlier: str) -> bool:
    return parse_datetime(later).earliest() >= parse_datetime(earlier).earliest()


@given(
    task=tasks,
    new_status=statuses,
    reason=maybe_concepts,
    business_status=st.one_of(st.just(UNCHANGED), maybe_concepts),
    now=instants,
    rules=rule_sets,
)
def test_status_change_properties(
    task: dict[str, Any],
    new_status: str,
    reason: dict[str, Any] | None,
    business_status: Any,
    now: str,
    rules: WorkflowRules,
) -> None:
    before = copy.deepcopy(task)
    try:
        changed = apply_status_change(
            task,
            new_status,
            status_reason=reason,
            business_status=business_status,
            now=now,
            rules=rules,
        )
    except InvalidStatusTransitionError:
        assert not rules.transitions.is_allowed(task["status"], new_status)
        return
    except StatusReasonRequiredError:
        assert rules.requires_reason(new_status)
        return
    finally:
        assert task == before
    old_status = task["status"]
    assert rules.transitions.is_allowed(old_status, new_status)
    assert changed["status"] == new_status
    assert changed is not task
    if "authoredOn" in changed:
        assert _later_or_equal(changed["lastModified"], changed["authoredOn"])
    old_start = task.get("executionPeriod", {}).get("start")
    new_period = changed.get("executionPeriod", {})
    if old_start is not None:
        assert new_period["start"] == old_start
    elif new_status == "in-progress":
        assert new_period["start"] == changed["lastModified"]
    if new_status != old_status and new_status in {"completed", "failed", "cancelled"}:
        assert new_period["end"] == changed["lastModified"] or new_period["end"] == old_start
    if "start" in new_period and "end" in new_period:
        assert _later_or_equal(new_period["end"], new_period["start"])
    if rules.requires_reason(new_status):
        assert has_valid_reason(changed.get("statusReason"))
    if new_status != old_status and not has_valid_reason(reason):
        assert "statusReason" not in changed
    if "statusReason" in changed:
        assert has_valid_reason(changed["statusReason"])
    if business_status is UNCHANGED:
        assert changed.get("businessStatus") == task.get("businessStatus")
    else:
        assert changed.get("businessStatus") == business_status


@given(
    start=tasks,
    steps=st.lists(st.tuples(statuses, maybe_concepts, instants), max_size=12),
)
def test_a_walk_through_the_permissive_machine(
    start: dict[str, Any], steps: list[tuple[str, dict[str, Any] | None, str]]
) -> None:
    task = prepare_new_task(
        {**start, "status": "ready", "statusReason": None},
        now=steps[0][2] if steps else T0,
        rules=PERMISSIVE,
    )
    first_start: str | None = None
    for new_status, reason, now in steps:
        try:
            task = apply_status_change(
                task, new_status, status_reason=reason, now=now, rules=PERMISSIVE
            )
        except (InvalidStatusTransitionError, StatusReasonRequiredError):
            continue
        start_now = task.get("executionPeriod", {}).get("start")
        if first_start is None:
            first_start = start_now
        assert start_now == first_start
        assert _later_or_equal(task["lastModified"], task["authoredOn"])
        if task["status"] in PERMISSIVE.reason_required_for:
            assert has_valid_reason(task.get("statusReason"))


@given(task=tasks, now=instants, rules=rule_sets)
def test_prepare_new_task_properties(task: dict[str, Any], now: str, rules: WorkflowRules) -> None:
    before = copy.deepcopy(task)
    try:
        created = prepare_new_task(task, now=now, rules=rules)
    except InvalidStatusTransitionError:
        assert task["status"] not in INITIAL_STATUSES
        return
    except StatusReasonRequiredError:
        assert rules.requires_reason(task["status"])
        return
    finally:
        assert task == before
    assert created["authoredOn"] == created["lastModified"] == now
    if rules.requires_reason(created["status"]):
        assert has_valid_reason(created["statusReason"])
    if created["status"] == "in-progress":
        assert created["executionPeriod"]["start"] == task.get("executionPeriod", {}).get(
            "start", now
        )


@given(task=tasks, now=instants)
def test_touch_never_puts_last_modified_before_authored_on(task: dict[str, Any], now: str) -> None:
    before = copy.deepcopy(task)
    touched = touch(task, now)
    assert task == before
    assert _later_or_equal(touched["lastModified"], now)
    if "authoredOn" in task:
        assert _later_or_equal(touched["lastModified"], task["authoredOn"])
