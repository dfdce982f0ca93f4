"""The component project of component_fixtures (its airlift.yaml and stub Airflows)
with an ephemeral Dagster instance, for the tests that tick the ``prod`` sensor::

    class Harness(SensorProject):
        def tick(self):
            result = self.sensor(dg.build_sensor_context(instance=self.instance, cursor=self.cursor))
            ...

A subclass says how it ticks; :meth:`SensorProject.load` builds the definitions, as a
code-location reload or a sensor restart does.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import dagster as dg
from component_fixtures import AIRLIFT_YAML, airflows, factory, write_project

from airlift_component.component import build_defs
from airlift_component.component.defs_builder import Refresh


class SensorProject:
    """``tmp_path/airlift.yaml`` (``text``, by default component_fixtures' two-instance
    file), the stub Airflows serving it, and an ephemeral Dagster instance; the sensor's
    cursor starts unset."""

    def __init__(self, tmp_path: Path, text: str = AIRLIFT_YAML) -> None:
        self.tmp_path = tmp_path
        self.stubs = airflows()
        self.prod = self.stubs["prod"]
        self.path = write_project(tmp_path, text)
        self.instance = dg.DagsterInstance.ephemeral()
        self.cursor: str | None = None
        self.load()

    def build(self, refresh: Refresh = "if_missing") -> dg.Definitions:
        """The component's definitions over the stub Airflows."""
        return build_defs(self.path, refresh=refresh, client_factory=factory(self.stubs))

    def load(self) -> None:
        """(Re)build the definitions: a code-location reload or a sensor restart."""
        self.defs = self.build()
        self.sensor = self.defs.resolve_sensor_def("airlift_prod_sensor")

    def finish(self, run_id: str, minutes_ago: float, **kwargs: object) -> None:
        """A run of DAG customers in the prod Airflow that ended ``minutes_ago``."""
        end = datetime.now(timezone.utc) - timedelta(minutes=minutes_ago)
        self.prod.finish_run("customers", run_id, end, **kwargs)  # type: ignore[arg-type]
