"""A problem found in a configuration file, independent of how it is reported."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

#: Characters that would break a report line: C0/C1 controls and Unicode line breaks.
_LINE_BREAKING = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def one_line(text: str) -> str:
    """``text`` with control characters and line breaks escaped (``\\n``, ``\\x01``).

    A file name or value holding a newline can then never start a second line
    that looks like another ``path:line:col:`` report.
    """
    return _LINE_BREAKING.sub(
        lambda m: (
            _NAMED.get(m.group(), f"\\x{ord(m.group()):02x}")
            if ord(m.group()) < 0x100
            else f"\\u{ord(m.group()):04x}"
        ),
        text,
    )


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
        """Render as ``path:line:col: message (hint)``, the shape editors and CI parse.

        Always one line: control characters anywhere are escaped (see :func:`one_line`).
        """
        text = f"{self.path}:{self.line}:{self.col}: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return one_line(text)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
