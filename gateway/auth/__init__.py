"""Who calls and what they may do: bearer JWT authentication and SMART scopes."""

from gateway.auth.scopes import Letter, Scope, allows, context_of, missing_scope, parse_scope

__all__ = [
    "Letter",
    "Scope",
    "allows",
    "context_of",
    "missing_scope",
    "parse_scope",
]
