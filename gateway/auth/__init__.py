"""Who calls and what they may do: bearer JWT authentication, SMART scopes, the compartment."""

from gateway.auth.access import CHANGE, CREATE, LIST, READ, Access
from gateway.auth.authenticator import Authenticator
from gateway.auth.caller import Caller
from gateway.auth.middleware import Authentication, caller_of

__all__ = [
    "CHANGE",
    "CREATE",
    "LIST",
    "READ",
    "Access",
    "Authentication",
    "Authenticator",
    "Caller",
    "caller_of",
]
