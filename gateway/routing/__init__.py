"""Routing rules, free of I/O: licensure, availability in the clinic's zone, ranking candidates."""

from gateway.routing.availability import available_at, is_active
from gateway.routing.clinic_time import parse_moment
from gateway.routing.licensure import licensed_for, licensed_states, patient_states, where_valid
from gateway.routing.suggestions import (
    Candidate,
    eligible,
    performer_codings,
    rank,
    role_matches,
)

__all__ = [
    "Candidate",
    "available_at",
    "eligible",
    "is_active",
    "licensed_for",
    "licensed_states",
    "parse_moment",
    "patient_states",
    "performer_codings",
    "rank",
    "role_matches",
    "where_valid",
]
