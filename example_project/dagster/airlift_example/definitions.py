"""The example's code location: the components under ``defs/``.

``defs/airflow/defs.yaml`` loads ``example_project/airlift.yaml`` with the
``AirliftComponent``. The same in plain Python, without a ``defs`` folder::

    from airlift_component.component import build_defs

    defs = build_defs(AIRLIFT_YAML)

The demo serves it with ``dagster-webserver -m airlift_example.definitions``;
``dg list defs`` in ``example_project/dagster`` lists it.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

defs = dg.components.load_from_defs_folder(path_within_project=Path(__file__).parent)
