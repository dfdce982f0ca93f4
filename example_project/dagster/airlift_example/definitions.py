"""The example's code location in plain Python: everything ``airlift.yaml`` declares.

Run it with ``dagster dev -f example_project/dagster/airlift_example/definitions.py``
(the demo does this for you), or use the component form in ``../defs.yaml``.
"""

from __future__ import annotations

from airlift_component.component import build_defs
from airlift_example import AIRLIFT_YAML

defs = build_defs(AIRLIFT_YAML)
