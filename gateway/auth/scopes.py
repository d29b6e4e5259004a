"""SMART App Launch scopes (v1 and v2): what a token's scopes allow on a resource type."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from gateway.fhir import is_valid_type

Context = Literal["patient", "user", "system"]
# v2 letters as behaviour.md assigns them: s lists, queues, stats and subscriptions; r reads by
# id and through references; c creates; u every other change. d is parsed but never asked for.
Letter = Literal["c", "r", "u", "d", "s"]

_CONTEXTS: dict[str, Context] = {"patient": "patient", "user": "user", "system": "system"}
_V1_LETTERS = {"read": "rs", "write": "cud", "*": "cruds"}
_SCOPE = re.compile(
    r"(?P<context>patient|user|system)/(?P<type>\*|[A-Za-z]+)"
    r"\.(?P<permissions>read|write|\*|c?r?u?d?s?)(?:\?(?P<query>.*))?"
)


@dataclass(frozen=True)
class Scope:
    """One resource scope: ``patient/Task.rs`` grants r and s on Task in the patient context.

    ``restrictions`` are v2 query parameters (``patient/Task.rs?code=x``); the gateway cannot
    enforce them, so a restricted scope grants nothing (see :func:`allows`).
    """

    context: Context
    resource_type: str
    letters: frozenset[str]
    restrictions: tuple[tuple[str, str], ...] = ()

    def grants(self, resource_type: str, letter: Letter) -> bool:
        return (
            not self.restrictions
            and letter in self.letters
            and self.resource_type in ("*", resource_type)
        )


@functools.lru_cache(maxsize=1024)
def parse_scope(text: str) -> Scope | None:
    """The resource scope ``text`` names, or None for any other scope (openid, launch, ...)."""
    match = _SCOPE.fullmatch(text)
    if match is None or not match["permissions"]:
        return None
    resource_type = match["type"]
    if resource_type != "*" and not is_valid_type(resource_type):
        return None
    permissions = match["permissions"]
    letters = frozenset(_V1_LETTERS.get(permissions, permissions))
    restrictions: tuple[tuple[str, str], ...] = ()
    if match["query"] is not None:
        pairs = [part.partition("=") for part in match["query"].split("&") if part]
        restrictions = tuple((name, value) for name, _, value in pairs)
        if not restrictions:
            return None
    return Scope(_CONTEXTS[match["context"]], resource_type, letters, restrictions)


def resource_scopes(scopes: Iterable[str]) -> tuple[Scope, ...]:
    """The resource scopes among ``scopes``, in order, other scopes left out."""
    return tuple(scope for text in scopes if (scope := parse_scope(text)) is not None)


def allows(scopes: Iterable[str], resource_type: str, letter: Letter) -> bool:
    """True when some scope grants ``letter`` on ``resource_type``, in any context."""
    return any(scope.grants(resource_type, letter) for scope in resource_scopes(scopes))


def context_of(scopes: Iterable[str], *, patient: bool = False) -> Context:
    """The context a caller acts in: patient with a patient claim, system when all its resource
    scopes are system/ ones, else user."""
    if patient:
        return "patient"
    contexts = {scope.context for scope in resource_scopes(scopes)}
    return "system" if contexts == {"system"} else "user"


def missing_scope(
    scopes: Iterable[str], resource_type: str, letter: Letter, *, patient: bool = False
) -> str | None:
    """None when allowed, else the scope to report as missing, e.g. ``user/Task.u``."""
    texts = tuple(scopes)
    if allows(texts, resource_type, letter):
        return None
    return f"{context_of(texts, patient=patient)}/{resource_type}.{letter}"
