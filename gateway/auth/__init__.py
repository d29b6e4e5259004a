"""Who calls and what they may do: bearer JWT authentication and SMART scopes."""

from gateway.auth.authenticator import Authenticator, bearer_token
from gateway.auth.caller import ANONYMOUS, Caller, caller_from_claims
from gateway.auth.keys import IssuerKeys, KeysUnavailableError
from gateway.auth.scopes import Letter, Scope, allows, context_of, missing_scope, parse_scope
from gateway.auth.tokens import ALGORITHMS, LEEWAY_SECONDS, TokenVerifier

__all__ = [
    "ALGORITHMS",
    "ANONYMOUS",
    "LEEWAY_SECONDS",
    "Authenticator",
    "Caller",
    "IssuerKeys",
    "KeysUnavailableError",
    "Letter",
    "Scope",
    "TokenVerifier",
    "allows",
    "bearer_token",
    "caller_from_claims",
    "context_of",
    "missing_scope",
    "parse_scope",
]
