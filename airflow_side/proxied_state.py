"""Reading the proxied-state folder inside Airflow.

A thin layer over :mod:`airlift_component.config.proxied_state`, the one
reader of the format (shared with ``airlift validate``). Airflow parses each
DAG file on its own, so a DAG reads only its own ``<dag_id>.yaml`` (reading the
whole folder from every DAG file would make parsing quadratic). A broken file
only fails the DAG it belongs to: :meth:`AirflowProxiedState.get` raises
:class:`~airlift_component.errors.ConfigError` (file, line, column, fix), which
Airflow shows as that DAG file's import error.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from airlift_component.config.proxied_state import (
    SUFFIXES,
    DagProxiedState,
    read_proxied_state_dir,
    read_proxied_state_file,
)
from airlift_component.errors import ConfigError


@dataclass(frozen=True)
class AirflowProxiedState:
    """The proxied-state folder of a set of DAGs; files are read on demand."""

    directory: Path

    def get(self, dag_id: str) -> DagProxiedState | None:
        """The DAG's state; ``None`` without a file; ``ConfigError`` for a broken file."""
        for suffix in SUFFIXES:
            path = self.directory / f"{dag_id}{suffix}"
            if path.is_file():
                state, problems = read_proxied_state_file(path)
                if problems:
                    raise ConfigError(problems)
                return state
        return None

    def dag_ids(self) -> list[str]:
        """Every DAG with a file in the folder (reads them all)."""
        folder = read_proxied_state_dir(self.directory)
        return sorted([*folder.states, *folder.problems])


def load_proxied_state_from_yaml(proxied_yaml_path: Path | str) -> AirflowProxiedState:
    """The proxied state in a folder, usually ``Path(__file__).parent / "proxied_state"``.

    A missing folder raises :class:`~airlift_component.errors.ConfigError`.
    """
    directory = Path(proxied_yaml_path)
    if not directory.is_dir():
        read_proxied_state_dir(directory)  # raises the shared "folder not found" problem
    return AirflowProxiedState(directory)
