"""A component project whose DAG ``customers`` (instance ``prod``) is decommissioned, for
the tests of what runs it in Dagster: component_fixtures' airlift.yaml with a block of
keys under the DAG, and task ``extract``'s asset ``raw/customers`` given ``code:`` in a
module of the project's own, built against the stub Airflows::

    defs = decommissioned_defs(tmp_path, monkeypatch, BLOCK)
    defs.resolve_schedule_def("prod__customers__schedule")
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest
from component_fixtures import AIRLIFT_YAML, airflows, factory, write_project

from airlift_component.component import build_defs

#: The module of ``raw/customers``'s ``code:``: one asset of that key, doing nothing.
MODULE = """\
import dagster as dg


@dg.asset(key=["raw", "customers"])
def raw_customers() -> None:
    ...
"""


def decommissioned_defs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: str
) -> dg.Definitions:
    """The definitions of the project written to ``tmp_path``. ``block``: the keys of DAG
    ``customers`` (its ``decommissioned:`` block, any ``checks:``) as YAML lines indented
    eight spaces, put under its ``- dag: customers`` line. The module of ``code:`` is
    named for ``tmp_path``, so each test imports its own, and is put first on
    ``sys.path``."""
    name = f"migrated_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text(MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    text = AIRLIFT_YAML.replace(
        "              - key: raw/customers\n",
        f"              - key: raw/customers\n                code: {name}:raw_customers\n",
        1,
    ).replace("      - dag: customers\n", "      - dag: customers\n" + block, 1)
    return build_defs(
        write_project(tmp_path, text), refresh="if_missing", client_factory=factory(airflows())
    )
