"""scopes.py: SMART v1 and v2 scopes, the letters each grants, and the scope reported missing."""

from __future__ import annotations

from typing import get_args

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.auth.scopes import Letter, Scope, allows, missing_scope, parse_scope

LETTERS: tuple[Letter, ...] = get_args(Letter)
ASKED: tuple[Letter, ...] = ("c", "r", "u", "s")  # d is never asked for
TYPES = ("Task", "Practitioner", "Patient", "PractitionerRole")
CONTEXTS = ("patient", "user", "system")


@pytest.mark.parametrize(
    ("scope", "resource_type", "granted"),
    [
        ("user/Task.read", "Task", "rs"),
        ("user/Task.write", "Task", "cu"),
        ("user/Task.*", "Task", "crus"),
        ("patient/*.read", "Task", "rs"),
        ("patient/*.read", "Practitioner", "rs"),
        ("system/Task.cruds", "Task", "crus"),
        ("user/Task.rs", "Task", "rs"),
        ("user/Task.cu", "Task", "cu"),
        ("user/Task.s", "Task", "s"),
        ("user/Task.rs", "Practitioner", ""),
        ("user/*.c", "Patient", "c"),
        # A restriction the gateway cannot enforce grants nothing rather than everything.
        ("patient/Task.rs?status=ready", "Task", ""),
        # v2 letters come in the order c, r, u, d, s; anything else is not a scope.
        ("user/Task.sr", "Task", ""),
        ("user/Task.rr", "Task", ""),
        ("user/task.read", "Task", ""),
        ("User/Task.read", "Task", ""),
        ("user/Task.", "Task", ""),
        ("Task.read", "Task", ""),
    ],
)
def test_letters_granted(scope: str, resource_type: str, granted: str) -> None:
    assert {letter for letter in ASKED if allows([scope], resource_type, letter)} == set(granted)


@pytest.mark.parametrize(
    "other",
    [
        "openid",
        "fhirUser",
        "profile",
        "launch",
        "launch/patient",
        "offline_access",
        "online_access",
    ],
)
def test_non_resource_scopes_are_ignored(other: str) -> None:
    assert parse_scope(other) is None
    assert not any(allows([other], "Task", letter) for letter in ASKED)


def test_restrictions_are_parsed() -> None:
    scope = parse_scope("patient/Observation.rs?category=http://x.org/cs|laboratory&code=1")
    assert scope == Scope(
        "patient",
        "Observation",
        frozenset("rs"),
        (("category", "http://x.org/cs|laboratory"), ("code", "1")),
    )


@pytest.mark.parametrize(
    ("scopes", "letter", "patient", "reported"),
    [
        (["openid", "user/Task.rs"], "u", False, "user/Task.u"),
        (["user/Task.rs"], "r", False, None),
        (["patient/Task.rs", "launch/patient"], "c", True, "patient/Task.c"),
        (["system/Task.rs"], "u", False, "system/Task.u"),
        (["system/Task.rs", "user/Practitioner.r"], "u", False, "user/Task.u"),
        ([], "s", False, "user/Task.s"),
        (["system/Task.rs"], "c", True, "patient/Task.c"),
    ],
)
def test_missing_scope_names_the_callers_context(
    scopes: list[str], letter: Letter, patient: bool, reported: str | None
) -> None:
    assert missing_scope(scopes, "Task", letter, patient=patient) == reported


canonical_letters = st.lists(st.sampled_from(LETTERS), min_size=1, unique=True).map(
    lambda chosen: "".join(letter for letter in LETTERS if letter in chosen)
)
resource_scope = st.builds(
    "{}/{}.{}".format,
    st.sampled_from(CONTEXTS),
    st.sampled_from((*TYPES, "*")),
    st.one_of(canonical_letters, st.sampled_from(["read", "write", "*"])),
)
any_scope = st.one_of(
    resource_scope,
    st.sampled_from(["openid", "fhirUser", "launch", "offline_access", "launch/patient"]),
    st.text(max_size=20),
)


@given(st.sampled_from(CONTEXTS), st.sampled_from(TYPES), canonical_letters, st.sampled_from(ASKED))
def test_v2_scope_grants_exactly_its_letters_on_its_type(
    context: str, resource_type: str, letters: str, letter: Letter
) -> None:
    scope = f"{context}/{resource_type}.{letters}"
    assert allows([scope], resource_type, letter) == (letter in letters)
    other_type = next(t for t in TYPES if t != resource_type)
    assert not allows([scope], other_type, letter)
    assert allows([f"{context}/*.{letters}"], other_type, letter) == (letter in letters)


@given(st.sampled_from(CONTEXTS), st.sampled_from(TYPES), st.sampled_from(ASKED))
def test_v1_names_are_v2_letter_sets(context: str, resource_type: str, letter: Letter) -> None:
    for v1, v2 in (("read", "rs"), ("write", "cud"), ("*", "cruds")):
        assert allows([f"{context}/{resource_type}.{v1}"], resource_type, letter) == allows(
            [f"{context}/{resource_type}.{v2}"], resource_type, letter
        )


@given(
    st.lists(any_scope, max_size=6),
    st.lists(any_scope, max_size=3),
    st.sampled_from(TYPES),
    st.sampled_from(ASKED),
    st.booleans(),
)
def test_reported_scope_is_what_is_missing(
    scopes: list[str], more: list[str], resource_type: str, letter: Letter, patient: bool
) -> None:
    reported = missing_scope(scopes, resource_type, letter, patient=patient)
    assert (reported is None) == allows(scopes, resource_type, letter)
    if reported is not None:
        assert allows([*scopes, reported], resource_type, letter)
    # More scopes never take a permission away.
    if allows(scopes, resource_type, letter):
        assert allows([*scopes, *more], resource_type, letter)
