"""Task writes: decisions applied with If-Match so no update is lost, each with its Provenance."""

from gateway.writes.audit import Actor, AuditTrail
from gateway.writes.task_writer import TaskWriter

__all__ = ["Actor", "AuditTrail", "TaskWriter"]
