"""Task writes: the workflow's decisions applied with If-Match, so no update is lost."""

from gateway.writes.task_writer import TaskWriter

__all__ = ["TaskWriter"]
