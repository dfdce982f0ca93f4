"""What an import found: instances as plain data, placeholders, and what it left out."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from airlift_component.config.problems import one_line
from airlift_component.errors import AirliftError
from airlift_component.redact import scrub_userinfo


class ImportPythonError(AirliftError):
    """The module cannot be read, or holds nothing to import; the message says why."""


@dataclass(frozen=True)
class Finding:
    """One construct of the module not carried into ``airlift.yaml`` as it was, and why."""

    path: Path
    line: int
    message: str

    def format(self) -> str:
        """``path:line: message`` on one line, any ``user:password@`` of a URL left out."""
        return one_line(scrub_userinfo(f"{self.path}:{self.line}: {self.message}"))


@dataclass(frozen=True)
class Secret:
    """A secret field's value: an environment variable the module read, or none known.

    ``env`` is the variable's name when the module read one; otherwise the
    renderer invents a ``${VAR}`` name for it, never writing the value.
    """

    field: str
    env: str | None = None


@dataclass
class ImportedInstance:
    """One ``instances[]`` entry, as plain data ready for YAML (secrets as :class:`Secret`)."""

    name: str
    line: int
    data: dict[str, Any]


@dataclass
class ImportResult:
    """Everything one module gave: its instances and the findings, in source order."""

    path: Path
    instances: list[ImportedInstance] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def note(self, line: int, message: str) -> None:
        """Record a finding at ``line`` of the module, once."""
        finding = Finding(self.path, line, message)
        if finding not in self.findings:
            self.findings.append(finding)
