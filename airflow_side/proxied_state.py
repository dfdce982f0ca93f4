"""Reading the proxied-state folder inside Airflow.

A thin wrapper over :mod:`airlift_component.config.proxied_state`, the one
reader of the format (shared with ``airlift validate``). A broken file only
fails the DAG it belongs to: :meth:`AirflowProxiedState.get` raises
:class:`~airlift_component.errors.ConfigError` (file, line, column, fix) when
that DAG's state is asked for, which Airflow shows as that DAG file's import error.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from airlift_component.config.proxied_state import (
    DagProxiedState,
    ProxiedStateDir,
    read_proxied_state_dir,
)


@dataclass(frozen=True)
class AirflowProxiedState:
    """The proxied state of every DAG that has a file in one folder."""

    folder: ProxiedStateDir

    @property
    def directory(self) -> Path:
        return self.folder.directory

    def get(self, dag_id: str) -> DagProxiedState | None:
        """The DAG's state; ``None`` without a file; ``ConfigError`` for a broken file."""
        return self.folder.get(dag_id)

    def dag_ids(self) -> list[str]:
        return sorted([*self.folder.states, *self.folder.problems])


def load_proxied_state_from_yaml(proxied_yaml_path: Path | str) -> AirflowProxiedState:
    """Read ``<dag_id>.yaml`` files from a folder, usually ``Path(__file__).parent / "proxied_state"``.

    A missing folder raises :class:`~airlift_component.errors.ConfigError`.
    """
    return AirflowProxiedState(read_proxied_state_dir(Path(proxied_yaml_path)))
