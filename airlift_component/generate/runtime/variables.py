"""``var.value`` / ``var.json`` in templates: Airflow Variables read from the environment.

Airflow looks a Variable up in its secrets backends, the first of which is the
environment: ``AIRFLOW_VAR_<KEY upper-cased>``. A generated asset reads that same
variable from the environment of the Dagster step, and nothing else (not
Airflow's metadata database, not a custom secrets backend): set the variables
your templates use in the Dagster deployment. ``var.json.<key>`` parses the value
as JSON; ``var.value.get(key, default)`` gives ``default`` for a variable not set,
as Airflow does. A variable that is not set and has no default is an error
naming the environment variable to set.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from airlift_component.errors import AirliftError

PREFIX = "AIRFLOW_VAR_"
_MISSING: Any = object()


class VariableNotSetError(AirliftError):
    """A template reads an Airflow Variable the Dagster step's environment does not set."""


def env_name(key: str) -> str:
    """The environment variable Airflow reads Variable ``key`` from."""
    return PREFIX + key.upper()


class Variables:
    """``var.value`` (``deserialize=False``) or ``var.json`` in a template."""

    def __init__(self, environ: Mapping[str, str], *, deserialize: bool) -> None:
        self._environ = environ
        self._deserialize = deserialize

    def __repr__(self) -> str:
        return f"<Airflow Variables from {PREFIX}* ({'json' if self._deserialize else 'value'})>"

    def __getattr__(self, key: str) -> Any:
        if key.startswith("__"):
            raise AttributeError(key)
        return self.get(key)

    def get(self, key: str, default: Any = _MISSING) -> Any:
        """Variable ``key``; ``default`` when it is not set (an error without one)."""
        raw = self._environ.get(env_name(key))
        if raw is None:
            if default is not _MISSING:
                return default
            raise VariableNotSetError(
                f"the template reads Airflow Variable {key!r}, and {env_name(key)} is not set "
                "in the Dagster step's environment; set it there, as Airflow reads it"
            )
        if not self._deserialize:
            return raw
        try:
            return json.loads(raw)
        except ValueError:
            raise VariableNotSetError(
                f"the template reads var.json.{key}, and {env_name(key)} is not JSON"
            ) from None


def variables_context(environ: Mapping[str, str]) -> dict[str, Any]:
    """The ``var`` name of a template context."""
    return {
        "var": _Var(Variables(environ, deserialize=False), Variables(environ, deserialize=True))
    }


class _Var:
    def __init__(self, value: Variables, json_: Variables) -> None:
        self.value = value
        self.json = json_
