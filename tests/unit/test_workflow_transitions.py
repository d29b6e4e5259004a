import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.workflow.errors import InvalidStatusTransitionError, InvalidTransitionTableError
from gateway.workflow.statuses import INITIAL_STATUSES, TASK_STATUSES, TERMINAL_STATUSES
from gateway.workflow.transitions import TransitionTable, check_initial_status

statuses = st.sampled_from(TASK_STATUSES)
NON_TERMINAL = [s for s in TASK_STATUSES if s not in TERMINAL_STATUSES]

# Written out again from the R4 Task state diagram and its notes
# (https://hl7.org/fhir/R4/task.html#statemachine), independently of FHIR_TYPICAL_TRANSITIONS,
# so a typo in the module's table shows up here. Self-moves and entered-in-error are added below.
FHIR_EDGES = {
    ("draft", "requested"),
    ("draft", "ready"),
    ("draft", "cancelled"),
    ("draft", "on-hold"),
    ("requested", "received"),
    ("requested", "accepted"),
    ("requested", "rejected"),
    ("requested", "cancelled"),
    ("received", "accepted"),
    ("received", "rejected"),
    ("received", "cancelled"),
    ("accepted", "in-progress"),
    ("accepted", "cancelled"),
    ("ready", "in-progress"),
    ("ready", "on-hold"),
    ("ready", "cancelled"),
    ("in-progress", "completed"),
    ("in-progress", "failed"),
    ("in-progress", "on-hold"),
    ("in-progress", "ready"),
    ("in-progress", "cancelled"),
    ("on-hold", "draft"),
    ("on-hold", "ready"),
    ("on-hold", "in-progress"),
    ("on-hold", "cancelled"),
}
EXPECTED_STRICT = (
    FHIR_EDGES
    | {(s, "entered-in-error") for s in TASK_STATUSES if s != "entered-in-error"}
    | {(s, s) for s in NON_TERMINAL}
)
ALL_PAIRS = [(a, b) for a in TASK_STATUSES for b in TASK_STATUSES]


@pytest.mark.parametrize(("from_status", "to_status"), ALL_PAIRS)
def test_strict_table_matches_fhir_notes(from_status: str, to_status: str) -> None:
    table = TransitionTable.strict()
    if (from_status, to_status) in EXPECTED_STRICT:
        table.check_transition(from_status, to_status)
    else:
        with pytest.raises(InvalidStatusTransitionError) as caught:
            table.check_transition(from_status, to_status)
        assert caught.value.from_status == from_status
        assert caught.value.to_status == to_status
        assert caught.value.allowed == table.allowed_targets(from_status)


@pytest.mark.parametrize(
    ("from_status", "expected"),
    [
        ("draft", ("draft", "requested", "ready", "cancelled", "on-hold", "entered-in-error")),
        ("accepted", ("accepted", "cancelled", "in-progress", "entered-in-error")),
        ("completed", ("entered-in-error",)),
        ("entered-in-error", ()),
    ],
)
def test_allowed_targets_follow_the_fhir_value_set_order(
    from_status: str, expected: tuple[str, ...]
) -> None:
    assert TransitionTable.strict().allowed_targets(from_status) == expected


def test_unknown_from_status_has_no_targets() -> None:
    table = TransitionTable.strict()
    assert table.allowed_targets("paused") == ()
    with pytest.raises(InvalidStatusTransitionError):
        table.check_transition("paused", "ready")


def test_error_message_names_both_statuses_and_the_alternatives() -> None:
    message = "from COMPLETED to READY; allowed: ENTERED_IN_ERROR"
    with pytest.raises(InvalidStatusTransitionError, match=message):
        TransitionTable.strict().check_transition("completed", "ready")


def test_error_is_keyword_constructible() -> None:
    error = InvalidStatusTransitionError(from_status="a", to_status="b", allowed=("c",))
    assert (error.from_status, error.to_status, error.allowed) == ("a", "b", ("c",))


@pytest.mark.parametrize("status", TASK_STATUSES)
def test_initial_statuses(status: str) -> None:
    if status in INITIAL_STATUSES:
        check_initial_status(status)
    else:
        with pytest.raises(InvalidStatusTransitionError) as caught:
            check_initial_status(status)
        assert caught.value.from_status is None
        assert caught.value.to_status == status
        assert caught.value.allowed == INITIAL_STATUSES


@pytest.mark.parametrize("mode", ["strict", "permissive"])
@given(from_status=statuses, to_status=statuses)
def test_check_transition_accepts_exactly_the_allowed_targets(
    mode: str, from_status: str, to_status: str
) -> None:
    table = TransitionTable.from_setting(mode)
    allowed = to_status in table.allowed_targets(from_status)
    assert table.is_allowed(from_status, to_status) is allowed
    if allowed:
        table.check_transition(from_status, to_status)
    else:
        with pytest.raises(InvalidStatusTransitionError):
            table.check_transition(from_status, to_status)


@pytest.mark.parametrize("mode", ["strict", "permissive"])
@given(status=statuses)
def test_terminal_statuses_only_lead_to_entered_in_error(mode: str, status: str) -> None:
    targets = TransitionTable.from_setting(mode).allowed_targets(status)
    if status == "entered-in-error":
        assert targets == ()
    elif status in TERMINAL_STATUSES:
        assert targets == ("entered-in-error",)
    else:
        assert "entered-in-error" in targets
        assert status in targets


@given(from_status=st.sampled_from(NON_TERMINAL), to_status=statuses)
def test_permissive_allows_any_move_from_a_non_terminal_status(
    from_status: str, to_status: str
) -> None:
    TransitionTable.permissive().check_transition(from_status, to_status)


def test_permissive_is_a_superset_of_strict() -> None:
    assert TransitionTable.strict().edges < TransitionTable.permissive().edges


def test_tables_compare_by_edges_not_by_source() -> None:
    strict = TransitionTable.strict()
    assert TransitionTable.from_mapping(strict.as_mapping(), source="copy") == strict
    assert hash(TransitionTable.from_mapping(strict.as_mapping())) == hash(strict)


def _write_json(directory: str, document: object) -> Path:
    path = Path(directory) / "transitions.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_json_table_adds_the_implicit_moves() -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = _write_json(directory, {"requested": ["completed"], "completed": ["in-progress"]})
        table = TransitionTable.from_setting(str(path))
    assert table.source == str(path)
    assert table.allowed_targets("requested") == ("requested", "completed", "entered-in-error")
    # A custom table may reopen a terminal status, but it gets no implicit self-move.
    assert table.allowed_targets("completed") == ("in-progress", "entered-in-error")
    assert table.allowed_targets("draft") == ("draft", "entered-in-error")


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"draft": ["onhold"]}, "unknown Task status code.*'onhold'"),
        ({"paused": []}, "unknown Task status code.*'paused'"),
        (["draft"], "must be a JSON object"),
        ({"draft": "ready"}, "'draft' must be a list"),
        ({"draft": [1]}, "'draft' must be a list"),
    ],
)
def test_json_table_is_validated(document: object, message: str) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = _write_json(directory, document)
        with pytest.raises(InvalidTransitionTableError, match=message):
            TransitionTable.from_setting(str(path))


def test_json_table_errors_are_value_errors() -> None:
    assert issubclass(InvalidTransitionTableError, ValueError)


def test_unreadable_or_malformed_json_table() -> None:
    with tempfile.TemporaryDirectory() as directory:
        with pytest.raises(InvalidTransitionTableError, match="cannot read"):
            TransitionTable.from_setting(str(Path(directory) / "missing.json"))
        bad = Path(directory) / "bad.json"
        bad.write_text("{draft: ", encoding="utf-8")
        with pytest.raises(InvalidTransitionTableError, match="not valid JSON"):
            TransitionTable.from_setting(str(bad))


def test_blank_setting_is_refused() -> None:
    with pytest.raises(InvalidTransitionTableError, match="strict"):
        TransitionTable.from_setting("  ")


@given(
    st.dictionaries(
        statuses, st.lists(statuses, max_size=len(TASK_STATUSES)), max_size=len(TASK_STATUSES)
    )
)
def test_json_table_round_trips(document: dict[str, list[str]]) -> None:
    table = TransitionTable.from_mapping(document)
    with tempfile.TemporaryDirectory() as directory:
        loaded = TransitionTable.from_json_file(_write_json(directory, table.as_mapping()))
    assert loaded == table
    assert loaded.as_mapping() == table.as_mapping()
    for frm, targets in document.items():
        assert set(targets) <= set(loaded.allowed_targets(frm))
