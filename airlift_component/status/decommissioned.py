"""Which DAGs of an instance are decommissioned, for `airlift proxy status`.

`airlift decommission` writes a ``decommissioned:`` block on the DAG's mapping in
airlift.yaml: the status reads it from there (the proxied-state folders do not
hold it) and shows the Dagster automation that replaced Airflow's schedule, the
first tick and whether airlift paused the DAG in Airflow. The status does not call
Airflow, so it shows what airlift did (``paused_by_airlift``), not Airflow's flag
today; `airlift drift` compares that with Airflow.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from airlift_component.config.airlift_yaml.model import AirliftFile, Decommissioned


@dataclass(frozen=True)
class Decommission:
    """A decommissioned DAG's Dagster automation, as airlift.yaml declares it."""

    first_tick: str
    paused_by_airlift: bool
    cron: str | None = None
    timezone: str | None = None
    #: The Dagster keys of the Airflow assets a DAG scheduled on assets waits for.
    on_assets: tuple[str, ...] = ()
    #: ``any`` or ``all`` of ``on_assets``.
    on_assets_updated: str | None = None

    @classmethod
    def of(cls, block: Decommissioned) -> Decommission:
        # getattr: the asset-scheduled variant's fields may be absent from older models.
        assets = getattr(block, "on_assets", None) or ()
        return cls(
            block.first_tick,
            block.paused_by_airlift,
            getattr(block, "cron", None),
            getattr(block, "timezone", None),
            tuple(str(key) for key in assets),
            getattr(block, "on_assets_updated", None),
        )

    @property
    def schedule(self) -> str:
        """The automation in a few words: ``cron '0 3 * * *' Europe/Amsterdam`` or
        ``on any of raw/orders, raw/customers``."""
        if self.cron is not None:
            return f"cron {self.cron!r} {self.timezone or 'UTC'}"
        which = self.on_assets_updated or "any"
        return f"on {which} of {', '.join(self.on_assets)}" if self.on_assets else "on assets"

    def describe(self) -> str:
        """One line for the text and HTML reports."""
        paused = "paused in Airflow by airlift" if self.paused_by_airlift else "was paused already"
        return f"schedule in Dagster: {self.schedule}, first tick {self.first_tick}; {paused}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "cron": self.cron,
            "timezone": self.timezone,
            "on_assets": list(self.on_assets) or None,
            "on_assets_updated": self.on_assets_updated,
            "first_tick": self.first_tick,
            "paused_by_airlift": self.paused_by_airlift,
        }


class DecommissionReader:
    """The decommissioned DAGs of each (airlift.yaml, instance), each file read once."""

    def __init__(self) -> None:
        self._models: dict[Path, AirliftFile | None] = {}

    def of(self, config: Path | None, instance: str | None) -> dict[str, Decommission]:
        """DAG id -> its decommission, for ``instance`` of ``config`` (empty when either
        is unknown or the file does not validate: the status reports that elsewhere)."""
        if config is None or instance is None:
            return {}
        model = self._model(config)
        if model is None:
            return {}
        return {
            mapping.dag: Decommission.of(mapping.decommissioned)
            for found in model.instances
            if found.name == instance
            for mapping in found.mappings
            if mapping.decommissioned is not None
        }

    def _model(self, config: Path) -> AirliftFile | None:
        if config not in self._models:
            from airlift_component.config.airlift_yaml.load import (
                check_airlift_document,
                read_airlift_document,
            )
            from airlift_component.errors import AirliftError

            try:
                self._models[config], _ = check_airlift_document(read_airlift_document(config))
            except (AirliftError, OSError):
                self._models[config] = None
        return self._models[config]
