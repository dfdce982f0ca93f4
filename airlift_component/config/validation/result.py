"""What one `airlift validate` run found, apart from how it is printed.

:class:`ValidationResult` is what
:func:`~airlift_component.config.validation.validate.validate_paths` returns and
:mod:`~airlift_component.config.validation.report` prints. It imports no model, so
a verdict remembered by :mod:`.verdict_cache` is printed without loading them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from airlift_component.config.problems import Problem
from airlift_component.config.validation.airlift_summary import AirliftSummary

if TYPE_CHECKING:
    from airlift_component.config.proxied_state.file import ProxiedStateDir
    from airlift_component.config.yaml.read import YamlDocument


@dataclass(frozen=True)
class CheckedAirlift:
    """An airlift file that loaded: where it was read, its summary (what validation
    needs of its model), and its document with positions (parsed again on demand when
    the summary was remembered, only to locate a problem)."""

    path: Path
    #: What the cross-file rules and the warnings read of the model.
    summary: AirliftSummary
    #: Its name says it is one (``airlift.yaml`` / ``airlift.yml``); else its content did.
    by_name: bool
    #: The document as read, with the position of every value.
    document: Callable[[], YamlDocument] = field(compare=False, repr=False)


@dataclass
class ValidationResult:
    """What one run found: how many files were read and every problem, in file order.

    The other fields keep what was read, for checks that build on it; they take no
    part in comparing two results.
    """

    files_checked: int = 0
    problems: list[Problem] = field(default_factory=list)
    #: The airlift files that loaded, in the order they were checked.
    airlift_files: list[CheckedAirlift] = field(default_factory=list, compare=False, repr=False)
    #: The files checked as proxied-state files because of their name and folder.
    state_files: list[Path] = field(default_factory=list, compare=False, repr=False)
    #: Every proxied-state folder the cross-file rules read, by the path they read it
    #: under: the airlift file's folder joined with the instance's ``proxied_state_dir``.
    state_dirs: dict[Path, ProxiedStateDir] = field(default_factory=dict, compare=False, repr=False)
    #: The airlift files found for proxied-state files named without them (see
    #: :func:`~airlift_component.config.validation.validate.validate_paths`); read for
    #: the cross-file rules only.
    found_airlift_files: list[CheckedAirlift] = field(
        default_factory=list, compare=False, repr=False
    )

    @property
    def ok(self) -> bool:
        return not self.problems
