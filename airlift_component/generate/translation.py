"""What a translator hands the renderer: the code that does the task's work."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from airlift_component.generate.dag_finder import DagSite, TaskSite
from airlift_component.generate.names import ModuleNames
from airlift_component.generate.source import DagSource


@dataclass(frozen=True)
class TaskInput:
    """Everything a translator may read about one task."""

    source: DagSource
    names: ModuleNames
    dag: DagSite
    site: TaskSite
    #: The DAGs folder (Airflow puts it on ``sys.path``); None when not known.
    dags_folder: Path | None = None


@dataclass(frozen=True)
class Resource:
    """A Dagster resource the asset takes: the parameter ``key`` of type ``type_name``,
    bound to the value ``code`` builds (its config from the environment)."""

    key: str
    type_name: str
    code: str


@dataclass
class Translation:
    """The generated code of one task, in pieces the renderer assembles.

    ``body`` runs inside the asset function, where ``context`` (Dagster's) and
    ``run`` (:class:`~airlift_component.generate.runtime.AirflowRun`) are defined; it
    leaves the task's XCom in ``value`` when ``hands_back``, and may ``return``
    early without materializing when ``skippable``.
    """

    kind: str
    imports: set[str] = field(default_factory=set)
    #: Module-level code: constants, transplanted functions (already formatted).
    prelude: list[str] = field(default_factory=list)
    body: list[str] = field(default_factory=list)
    hands_back: bool = False
    skippable: bool = False
    #: Lines for the module docstring (what differs from Airflow, what to install).
    notes: list[str] = field(default_factory=list)
    #: Resources the asset function takes, bound to it in the module (``RESOURCES``).
    resources: list[Resource] = field(default_factory=list)
