"""A problem found in a configuration file, independent of how it is reported."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with one file, at a 1-based line and column.

    ``field`` is a JSON-path-like location inside the document (``$.instances[0].url``),
    ``message`` says what is wrong and ``hint`` what to do about it; ``rule`` names
    the check beyond the JSON Schema that found it (see ``checks.NON_SCHEMA_RULES``).
    """

    path: str
    line: int
    col: int
    message: str
    field: str = "$"
    hint: str = ""
    rule: str = ""

    def format(self) -> str:
        """Render as ``path:line:col: message (hint)``, the shape editors and CI parse."""
        text = f"{self.path}:{self.line}:{self.col}: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
