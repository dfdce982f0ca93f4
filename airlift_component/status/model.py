"""Migration progress, collected apart from how it is shown.

Per DAG: how many of the tasks its proxied-state file lists are proxied, or the
DAG-level flag; per instance and overall: totals and a progress fraction. A DAG
proxied as a whole counts as fully migrated; a DAG without a file counts as not
started (this is how the Airflow side treats it too). A DAG whose mapping has a
``decommissioned:`` block (its schedule runs in Dagster) is in state
``decommissioned`` and counts as fully migrated whatever its file says.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from airlift_component.config.problems import Problem
from airlift_component.config.validation.proxied_state_dirs import StateSource
from airlift_component.status.checks import ChecksSection
from airlift_component.status.decommissioned import Decommission, DecommissionReader

Mode = Literal["tasks", "dag", "no file", "broken"]


@dataclass
class DagStatus:
    """One DAG's proxied state as found on disk."""

    dag_id: str
    mode: Mode
    path: str | None = None
    tasks_proxied: int = 0
    tasks_total: int = 0
    dag_proxied: bool | None = None
    mapped: bool | None = None  # None when no airlift.yaml is known
    problems: list[Problem] = field(default_factory=list)
    #: Each listed task's flag (task-level files), for the acceptance-check rows.
    task_flags: dict[str, bool] = field(default_factory=dict, repr=False)
    #: The Dagster automation that replaced Airflow's schedule, once decommissioned.
    decommissioned: Decommission | None = None

    @property
    def state(self) -> str:
        """``decommissioned``, else the mode."""
        return "decommissioned" if self.decommissioned is not None else self.mode

    @property
    def fraction(self) -> float:
        """Share migrated, from 0.0 to 1.0."""
        if self.decommissioned is not None:
            return 1.0
        if self.mode == "dag":
            return 1.0 if self.dag_proxied else 0.0
        if self.mode == "tasks" and self.tasks_total:
            return self.tasks_proxied / self.tasks_total
        return 0.0

    @property
    def fully_proxied(self) -> bool:
        return self.fraction == 1.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "dag_id": self.dag_id,
            "mode": self.mode,
            "state": self.state,
            "path": self.path,
            "tasks_proxied": self.tasks_proxied,
            "tasks_total": self.tasks_total,
            "dag_proxied": self.dag_proxied,
            "mapped": self.mapped,
            "progress": round(self.fraction, 4),
            "problems": [p.format() for p in self.problems],
            "decommissioned": None
            if self.decommissioned is None
            else self.decommissioned.as_dict(),
        }


@dataclass
class Totals:
    """Sums over a set of DAGs."""

    dags: int = 0
    dags_fully_proxied: int = 0
    dags_dag_level: int = 0
    dags_without_file: int = 0
    dags_broken: int = 0
    dags_decommissioned: int = 0
    tasks_proxied: int = 0
    tasks_total: int = 0
    fraction: float = 0.0

    @classmethod
    def of(cls, dags: Sequence[DagStatus]) -> Totals:
        return cls(
            dags=len(dags),
            dags_fully_proxied=sum(d.fully_proxied for d in dags),
            dags_dag_level=sum(d.mode == "dag" for d in dags),
            dags_without_file=sum(d.mode == "no file" for d in dags),
            dags_broken=sum(d.mode == "broken" for d in dags),
            dags_decommissioned=sum(d.decommissioned is not None for d in dags),
            tasks_proxied=sum(d.tasks_proxied for d in dags),
            tasks_total=sum(d.tasks_total for d in dags),
            fraction=sum(d.fraction for d in dags) / len(dags) if dags else 0.0,
        )

    def as_dict(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        out["progress"] = round(out.pop("fraction"), 4)
        return out


@dataclass
class InstanceStatus:
    """The DAGs of one proxied-state folder, or of one airlift.yaml instance."""

    name: str | None
    directory: str | None
    config: str | None
    dags: list[DagStatus]
    note: str = ""  # e.g. the folder does not exist
    folder_missing: bool = False
    #: Acceptance checks from Dagster (None when not asked for or not possible).
    checks: ChecksSection | None = None

    @property
    def totals(self) -> Totals:
        return Totals.of(self.dags)

    @property
    def label(self) -> str:
        return self.name or self.directory or "(unknown)"

    def as_dict(self) -> dict[str, Any]:
        return {
            "instance": self.name,
            "directory": self.directory,
            "config": self.config,
            "note": self.note,
            "folder_missing": self.folder_missing,
            "totals": self.totals.as_dict(),
            "dags": [dag.as_dict() for dag in self.dags],
            "checks": None if self.checks is None else self.checks.as_dict(),
        }


@dataclass
class StatusReport:
    """Everything `airlift proxy status` shows."""

    instances: list[InstanceStatus]
    #: Why no acceptance checks are shown at all (e.g. no Dagster URL), if so.
    checks_note: str = ""

    @property
    def totals(self) -> Totals:
        return Totals.of([dag for instance in self.instances for dag in instance.dags])

    @property
    def problems(self) -> list[Problem]:
        """Every problem found: broken files, and configured folders that do not exist."""
        found = [
            Problem(
                i.config or i.directory or "",
                1,
                1,
                f"instance {i.label!r}: {i.note}",
                hint="fix proxied_state_dir (it is relative to airlift.yaml) or create the folder",
            )
            for i in self.instances
            if i.folder_missing
        ]
        return found + [p for i in self.instances for d in i.dags for p in d.problems]

    def as_dict(self) -> dict[str, Any]:
        return {
            "totals": self.totals.as_dict(),
            "instances": [instance.as_dict() for instance in self.instances],
            "checks_note": self.checks_note,
        }


def instance_status(
    source: StateSource, decommissions: DecommissionReader | None = None
) -> InstanceStatus:
    """Read one folder (and the instance's mappings, when known) into an :class:`InstanceStatus`."""
    from airlift_component.config.proxied_state.file import read_proxied_state_dir

    reader = decommissions or DecommissionReader()

    mapped = set(source.mapped_dags) if source.mapped_dags is not None else None
    dags: dict[str, DagStatus] = {}
    note = ""
    if source.directory is None:
        note = "sets no proxied_state_dir"
    elif not source.directory.is_dir():
        note = f"proxied-state folder {source.directory} not found"
    else:
        folder = read_proxied_state_dir(source.directory)
        for dag_id, state in folder.states.items():
            is_mapped = None if mapped is None else dag_id in mapped
            if state.dag_level:
                dags[dag_id] = DagStatus(
                    dag_id, "dag", state.path, dag_proxied=state.proxied, mapped=is_mapped
                )
            else:
                proxied = sum(1 for value in state.tasks.values() if value)
                dags[dag_id] = DagStatus(
                    dag_id,
                    "tasks",
                    state.path,
                    proxied,
                    len(state.tasks),
                    mapped=is_mapped,
                    task_flags=dict(state.tasks),
                )
        for dag_id, problems in folder.problems.items():
            path = problems[0].path if problems else None
            is_mapped = None if mapped is None else dag_id in mapped
            dags[dag_id] = DagStatus(dag_id, "broken", path, mapped=is_mapped, problems=problems)
    for dag_id in source.mapped_dags or ():
        dags.setdefault(dag_id, DagStatus(dag_id, "no file", mapped=True))
    for dag_id, decommission in reader.of(source.config, source.instance).items():
        if dag_id in dags:
            dags[dag_id].decommissioned = decommission
    return InstanceStatus(
        source.instance,
        None if source.directory is None else str(source.directory),
        None if source.config is None else str(source.config),
        [dags[dag_id] for dag_id in sorted(dags)],
        note,
        folder_missing=source.directory is not None and not source.directory.is_dir(),
    )


def build_report(sources: Sequence[StateSource]) -> StatusReport:
    """The status of every source, in the order given."""
    reader = DecommissionReader()
    return StatusReport([instance_status(source, reader) for source in sources])
