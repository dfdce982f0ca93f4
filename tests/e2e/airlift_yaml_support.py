"""The ``airlift.yaml`` the e2e tests write: one instance pointing at a session Airflow.

Each module used to build the same nested dict by hand; they now say only what
differs (instance name, DAGs, mappings, sensor and HTTP settings)::

    config = airlift_config(
        airflow, "chk", dags=[DAG], mappings=[dag_mapping(DAG, tasks={"load": ["chk/a"]})]
    )
    path = write_airlift_yaml(tmp_path / "airlift.yaml", config)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from devtools.local_stack import AirflowServer

#: The sensor settings of the e2e tests: tick often, look back one hour.
SENSOR = {"interval_seconds": 5, "lookback_hours": 1}


def airlift_config(
    airflow: AirflowServer,
    name: str,
    *,
    dags: Sequence[str],
    mappings: Sequence[Mapping[str, Any]] = (),
    sensor: Mapping[str, Any] | None = SENSOR,
    proxied_state: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    """A version-1 ``airlift.yaml`` with one instance ``name`` on ``airflow``.

    ``dags``: the include patterns; ``sensor``: the sensor settings (default
    :data:`SENSOR`; ``None`` leaves them out); ``proxied_state``: point ``proxied_state_dir`` at the Airflow's
    ``proxied_state/`` folder; ``extra``: further instance keys (``http``, ...).
    """
    instance: dict[str, Any] = {
        **airflow.instance_config(name=name),
        "dags": {"include": list(dags)},
    }
    if sensor is not None:
        instance["sensor"] = dict(sensor)
    if proxied_state:
        instance["proxied_state_dir"] = str(airflow.dags_folder / "proxied_state")
    instance.update(extra)
    instance["mappings"] = [dict(m) for m in mappings]
    return {"version": 1, "instances": [instance]}


def dag_mapping(
    dag: str,
    tasks: Mapping[str, Any] | Sequence[Mapping[str, Any]] = (),
    *,
    assets: Sequence[str] = (),
) -> dict[str, Any]:
    """One ``mappings:`` entry: ``tasks`` maps a task id to its asset keys (or is the
    list of task entries as written); ``assets`` are the DAG-level assets."""
    entries = (
        [{"task": task, "assets": list(keys)} for task, keys in tasks.items()]
        if isinstance(tasks, Mapping)
        else [dict(entry) for entry in tasks]
    )
    mapping: dict[str, Any] = {"dag": dag}
    if assets:
        mapping["assets"] = list(assets)
    mapping["tasks"] = entries
    return mapping


def write_airlift_yaml(path: Path, config: Mapping[str, Any]) -> Path:
    """Write ``config`` to ``path`` (keys in the order given) and return ``path``."""
    path.write_text(yaml.safe_dump(dict(config), sort_keys=False))
    return path
