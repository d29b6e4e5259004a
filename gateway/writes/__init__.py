"""Task writes: read-modify-write with If-Match around the workflow rules, so no update is lost."""

from gateway.writes.task_writer import NOTE_ATTEMPTS, Change, TaskWriter, utc_now

__all__ = ["NOTE_ATTEMPTS", "Change", "TaskWriter", "utc_now"]
