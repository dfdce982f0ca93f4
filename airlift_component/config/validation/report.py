"""Printing a :class:`~airlift_component.config.validation.result.ValidationResult`.

Text is one ``path:line:col: message (hint)`` line per problem, the shape editors
and CI annotate, then a one-line summary. JSON is
``{"files_checked": N, "problems": [{path, line, col, field, message, hint, rule}]}``.
"""

from __future__ import annotations

import json
from typing import Any

from airlift_component.config.validation.result import ValidationResult


def _files(count: int) -> str:
    return f"{count} file" if count == 1 else f"{count} files"


def summary(result: ValidationResult) -> str:
    """``3 files checked, no problems`` / ``3 files checked, 2 problems``."""
    found = len(result.problems)
    if not found:
        return f"{_files(result.files_checked)} checked, no problems"
    noun = "problem" if found == 1 else "problems"
    return f"{_files(result.files_checked)} checked, {found} {noun}"


def render_text(result: ValidationResult) -> str:
    """Every problem on its own line, then the summary; ends with a newline."""
    lines = [problem.format() for problem in result.problems]
    lines.append(summary(result))
    return "\n".join(lines) + "\n"


def as_json(result: ValidationResult) -> dict[str, Any]:
    """The result as plain data (the ``--format json`` document)."""
    return {
        "files_checked": result.files_checked,
        "problems": [problem.as_dict() for problem in result.problems],
    }


def render_json(result: ValidationResult) -> str:
    return json.dumps(as_json(result), indent=2) + "\n"


RENDERERS = {"text": render_text, "json": render_json}
