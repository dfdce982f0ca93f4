"""Errors raised by airlift-component.

Every error a user can cause derives from :class:`AirliftError`; its ``str()`` is
a complete, readable message (what went wrong, where, and what to do). The CLI
turns these into exit codes in exactly one place (``cli.main``)::

    AirliftError
    ├── UsageError            bad command-line arguments (exit 2)
    ├── ConfigError           one or more problems in airlift.yaml / proxied-state files
    ├── MissingDependencyError an optional extra is not installed
    ├── ProxyStateEditError   `airlift proxy on|off` cannot make the requested change
    ├── AirflowApiError       Airflow's REST API failed or answered unexpectedly
    │   └── AirflowAuthError  credentials were rejected or could not be obtained
    └── DagsterApiError       Dagster's GraphQL API failed or answered unexpectedly

Messages never contain secrets: credentials are not part of any error's state.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from airlift_component.config.problems import Problem


class AirliftError(Exception):
    """Root of every error airlift-component raises for a user-facing reason."""

    exit_code: int = 1


class UsageError(AirliftError):
    """The command line was used wrongly."""

    exit_code = 2


class ConfigError(AirliftError):
    """One or more problems were found in configuration files.

    ``problems`` holds every problem found, each naming file, line and column.
    """

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(p.format() for p in self.problems))


class MissingDependencyError(AirliftError):
    """An optional dependency is needed; the message gives the install command."""

    def __init__(self, module: str, extra: str) -> None:
        self.module = module
        self.extra = extra
        super().__init__(
            f"{module} is not installed; it is needed here. "
            f'Install it with: pip install "airlift-component[{extra}]"'
        )


class ProxyStateEditError(AirliftError):
    """A proxied-state file cannot be changed as requested."""


class AirflowApiError(AirliftError):
    """A call to an Airflow REST API failed.

    Carries the instance name, HTTP method, URL path and status (``None`` when no
    response arrived) so callers can react; the message says what to check.
    """

    def __init__(
        self,
        message: str,
        *,
        instance: str = "",
        method: str = "",
        path: str = "",
        status: int | None = None,
    ) -> None:
        self.instance = instance
        self.method = method
        self.path = path
        self.status = status
        super().__init__(message)


class AirflowAuthError(AirflowApiError):
    """Airflow rejected the credentials, or a token could not be obtained."""


class DagsterApiError(AirliftError):
    """A call to Dagster's GraphQL API failed or returned an error."""


def require(module: str, extra: str) -> None:
    """Raise :class:`MissingDependencyError` unless ``module`` can be imported."""
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise MissingDependencyError(module, extra)
