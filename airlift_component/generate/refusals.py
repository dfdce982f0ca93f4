"""Why a task is not translated, and the errors `airlift generate` raises.

A :class:`Refusal` is per task: the others of the same run are still
generated. A :class:`GenerateError` stops the command (an unreadable DAG file,
a DAG that is not there).
"""

from __future__ import annotations

from airlift_component.errors import AirliftError


class GenerateError(AirliftError):
    """The command cannot go on: the message names the file (and line) and the fix."""


class Refusal(Exception):
    """A task that cannot be translated faithfully: ``reason`` says why, ``line`` where."""

    def __init__(self, reason: str, line: int) -> None:
        self.reason = reason
        self.line = line
        super().__init__(f"line {line}: {reason}")

    @property
    def kind(self) -> str:
        """The reason without its details, to count refusals by kind (``custom operator``)."""
        for prefix in KINDS:
            if self.reason.startswith(prefix):
                return prefix
        return self.reason


#: The first words of each refusal reason, as counted in the coverage table.
KINDS = (
    "custom operator",
    "operator",
    "uses ti.",
    "uses Airflow API",
    "template uses",
    "reads context key",
    "passes the whole Airflow context",
    "argument",
    "bash_command",
    "callable",
    "task_id",
    "@task.",
    "dynamic task mapping",
)
