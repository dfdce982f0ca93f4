"""import-python round trip: import a case, build definitions from the written
airlift.yaml with a stored Airflow state, and find the asset keys and lineage the
original dagster-airlift module gives.

dagster-airlift is not installed here, so what the original gives is written out
below from reading each module with dagster-airlift's rules: a mapped asset's
upstreams are the deps its ``AssetSpec`` or ``@asset`` declares; every peered
DAG gets ``<instance>/dag/<dag_id>``, whose upstreams are the DAG's assets that
no other asset of the DAG depends on. airlift may add an edge that another path
already implies (a DAG-level asset straight to its DAG asset), so DAG assets are
compared by everything upstream of them, mapped assets by their direct deps.

``ORIGINAL`` was checked against dagster-airlift 0.29.27 itself, installed in a
throwaway venv: ``import_python_cases/compare_with_dagster_airlift.py`` runs each
case module for real and finds exactly these keys and deps.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import dagster as dg
import pytest
from import_python_support import run_import

from airlift_component.airflow_api.client import AirflowClient
from airlift_component.component import build_defs
from airlift_component.config.airlift_yaml.model import Instance, NoAuth
from airlift_component.import_python import render_airlift_yaml
from tests.harness.fake_airflow import FAST_RETRIES, FakeAirflow

Lineage = dict[str, set[str]]

#: Case -> the fake Airflows (by instance name): DAG id -> (task edges, tags).
AIRFLOWS: dict[str, dict[str, dict[str, tuple[dict[str, list[str]], tuple[str, ...]]]]] = {
    "basic": {
        "shop": {
            "shop_daily": (
                {
                    "load_customers": ["clean_customers"],
                    "clean_customers": ["build_marts"],
                    "build_marts": ["export"],
                    "export": [],
                },
                (),
            ),
            "shop_hourly": ({"only": []}, ()),
            "other": ({"x": []}, ()),  # left out by the dag_selector_fn
        }
    },
    "mwaa": {"mwaa_prod": {"reports": ({"render": ["publish"], "publish": []}, ())}},
    "custom_auth": {"gateway": {"billing": ({"invoice": ["send"], "send": []}, ())}},
    "several": {
        "east": {"ingest": ({"pull": ["store"], "store": []}, ())},
        "west": {
            "ingest": ({"pull": ["store"], "store": []}, ("prod",)),
            "ingest_dev": ({"pull": []}, ("dev",)),  # no "prod" tag: left out
            "billing": ({"x": []}, ("prod",)),  # id without "ingest": left out
        },
    },
}

#: What each original module defines, read with dagster-airlift's rules.
ORIGINAL: dict[str, Lineage] = {
    "basic": {
        "raw/customers": set(),
        "staging/customers_clean": {"raw/customers"},  # @asset(deps=[...]) in shop/assets.py
        "mart/orders": {"staging/customers_clean"},  # @multi_asset specs
        "mart/revenue": {"mart/orders"},
        "orders_csv": {"mart/orders", "mart/revenue"},
        "shop/dag/shop_daily": {"orders_csv"},  # the only asset nothing depends on
        "shop/dag/shop_hourly": set(),
    },
    "mwaa": {
        "report_pdf": set(),
        "report_html": {"report_pdf"},
        "mwaa_prod/dag/reports": {"report_html"},
    },
    "custom_auth": {
        "invoices": set(),
        "sent_invoices": {"invoices"},
        "gateway/dag/billing": {"sent_invoices"},
    },
    "several": {
        "east/raw_events": set(),
        "east/dag/ingest": {"east/raw_events"},
        "west/raw_events": set(),
        "west/events": {"west/raw_events"},
        "west/dag/ingest": {"west/events"},
    },
}


@pytest.fixture
def airflows() -> Iterator[dict[str, FakeAirflow]]:
    """Started fake Airflows, by instance name, filled by :func:`_fill`."""
    with contextlib.ExitStack() as stack:
        yield {
            name: stack.enter_context(FakeAirflow(api="v2"))
            for name in {n for dags in AIRFLOWS.values() for n in dags}
        }


def _factory(case: str, fakes: dict[str, FakeAirflow]) -> Callable[[Instance], AirflowClient]:
    """Real clients of the fakes, with the file's instance settings (filters included)."""
    for instance, dags in AIRFLOWS[case].items():
        for dag_id, (edges, tags) in dags.items():
            fakes[instance].add_dag(dag_id, edges, tags=tags)

    def client(instance: Instance) -> AirflowClient:
        local = instance.model_copy(
            update={"url": fakes[instance.name].url, "auth": NoAuth(type="none")}
        )
        return AirflowClient(local, retry_policy=FAST_RETRIES)

    return client


@pytest.fixture
def clean_modules() -> Iterator[None]:
    before = set(sys.modules)
    yield
    for name in set(sys.modules) - before:
        if name.split(".")[0] in ("shop", "billing"):
            del sys.modules[name]


def _defs(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fakes: dict[str, FakeAirflow]
) -> dg.Definitions:
    result, out, _ = run_import(case, tmp_path)
    for placeholder in render_airlift_yaml(result)[1]:  # what the command tells you to set
        value = "https://airflow.example.com" if placeholder.what.startswith("url") else "x"
        monkeypatch.setenv(placeholder.name, value)
    monkeypatch.syspath_prepend(str(tmp_path / case))  # where the code: modules are
    return build_defs(out, refresh="if_missing", client_factory=_factory(case, fakes))


def _built(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fakes: dict[str, FakeAirflow]
) -> Lineage:
    graph = _defs(case, tmp_path, monkeypatch, fakes).resolve_asset_graph()
    return {
        key.to_user_string(): {
            d.asset_key.to_user_string() for d in graph.get(key).to_asset_spec().deps
        }
        for key in graph.get_all_asset_keys()
    }


def _upstream(lineage: Lineage, key: str) -> set[str]:
    seen: set[str] = set()
    todo = list(lineage.get(key, ()))
    while todo:
        dep = todo.pop()
        if dep not in seen:
            seen.add(dep)
            todo.extend(lineage.get(dep, ()))
    return seen


@pytest.mark.usefixtures("clean_modules")
@pytest.mark.parametrize("case", sorted(ORIGINAL), ids=sorted(ORIGINAL))
def test_the_written_file_gives_the_originals_keys_and_lineage(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, airflows: dict[str, FakeAirflow]
) -> None:
    original = ORIGINAL[case]
    built = _built(case, tmp_path, monkeypatch, airflows)
    assert set(built) == set(original)
    for key, deps in original.items():
        if "/dag/" in key:
            assert _upstream(built, key) == _upstream(original, key), key
        else:
            assert built[key] == deps, key


@pytest.mark.usefixtures("clean_modules")
def test_the_code_references_load_the_migrated_assets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, airflows: dict[str, FakeAirflow]
) -> None:
    graph = _defs("basic", tmp_path, monkeypatch, airflows).resolve_asset_graph()
    for key in ("staging/customers_clean", "mart/orders", "mart/revenue"):
        node = graph.get(dg.AssetKey(key.split("/")))
        assert node.is_materializable, key  # the @asset / @multi_asset, not a bare spec
    assert not graph.get(dg.AssetKey(["orders_csv"])).is_materializable
