"""DAGs scheduled on Airflow assets they produce: each edge that would close a cycle is
left out with a warning, and no other edge is.

The rule is the one the definitions have always followed: the DAG-on-asset edges are
taken in asset order, and an edge is left out when the edges kept before it (and the
producer edges) already lead from the asset back to the DAG. A plain re-statement of
that rule (a search per edge) is the reference for generated graphs.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airlift_component.airflow_api.types import AirflowAsset, AirflowDag
from airlift_component.airflow_state.state import AirflowState, DagState
from airlift_component.component.airflow_asset_specs import airflow_asset_specs
from airlift_component.component.asset_specs import instance_specs
from airlift_component.config.airlift_yaml.model import Instance

INSTANCE = Instance.model_validate(
    {
        "name": "a",
        "url": "http://127.0.0.1:8080",
        "auth": {"type": "none"},
        "airflow_assets": {"enabled": True},
    }
)

#: One Airflow asset: (its number, the DAGs producing it, the DAGs scheduled on it).
Asset = tuple[int, list[int], list[int]]


def _edges(dags: int, assets: list[Asset]) -> set[tuple[int, int]]:
    """Build the specs; the (DAG, asset) pairs where the DAG's asset depends on the asset."""
    state = AirflowState(
        "a",
        "http://127.0.0.1:8080",
        "v2",
        "3.3.2",
        datetime.now(timezone.utc),
        "",
        {f"d{d}": DagState(AirflowDag(f"d{d}")) for d in range(dags)},
        tuple(
            AirflowAsset(
                f"s3://lake/x{n:03d}",
                f"s3://lake/x{n:03d}",
                n,
                tuple((f"d{d}", "t") for d in producers),
                tuple(f"d{d}" for d in consumers),
            )
            for n, producers, consumers in assets
        ),
    )
    specs, index = instance_specs(INSTANCE, state, dict.fromkeys(state.dags, ""))
    out, _ = airflow_asset_specs(INSTANCE, state, specs, index, "airlift.yaml")
    edges = set()
    for spec in out:
        if spec.key.path[1] == "dag":
            for dep in spec.deps:
                edges.add((int(spec.key.path[2][1:]), int(dep.asset_key.path[-1][1:])))
    return edges


def _reference(assets: list[Asset]) -> set[tuple[int, int]]:
    """The rule, stated plainly: in asset order, keep an edge unless what is kept already
    leads from the asset back to the DAG."""
    deps: dict[tuple[str, int], set[tuple[str, int]]] = {}
    for n, producers, _ in assets:
        deps[("asset", n)] = {("dag", d) for d in producers}
    kept = set()
    for n, _, consumers in sorted(assets):
        for d in sorted(set(consumers)):
            seen, todo = set(), [("asset", n)]
            while todo:
                node = todo.pop()
                if node not in seen:
                    seen.add(node)
                    todo.extend(deps.get(node, ()))
            if ("dag", d) in seen:
                continue
            kept.add((d, n))
            deps.setdefault(("dag", d), set()).add(("asset", n))
    return kept


def _is_acyclic(edges: set[tuple[int, int]], assets: list[Asset]) -> bool:
    graph: dict[str, list[str]] = {}
    for n, producers, _ in assets:
        graph.setdefault(f"x{n}", []).extend(f"d{d}" for d in producers)
    for d, n in edges:
        graph.setdefault(f"d{d}", []).append(f"x{n}")
    try:
        order: dict[str, int] = {}

        def visit(node: str, path: frozenset[str]) -> None:
            if node in path:
                raise ValueError(node)
            if node in order:
                return
            for dep in graph.get(node, ()):
                visit(dep, path | {node})
            order[node] = len(order)

        for node in graph:
            visit(node, frozenset())
    except ValueError:
        return False
    return True


def test_a_long_chain_keeps_every_edge(caplog: pytest.LogCaptureFixture) -> None:
    chain = [(n, [n], [n + 1]) for n in range(199)]
    assert _edges(200, chain) == {(n + 1, n) for n in range(199)}
    assert "cannot hold a cycle" not in caplog.text


def test_a_ring_loses_only_the_edge_that_closes_it(caplog: pytest.LogCaptureFixture) -> None:
    ring = [(n, [n], [(n + 1) % 5]) for n in range(5)]
    with caplog.at_level(logging.WARNING, "airlift_component"):
        edges = _edges(5, ring)
    assert edges == {(1, 0), (2, 1), (3, 2), (4, 3)}  # d0 on x4 would close the ring
    warnings = [r.getMessage() for r in caplog.records if "cannot hold a cycle" in r.getMessage()]
    assert len(warnings) == 1
    assert "DAG 'd0' is scheduled on Airflow asset 's3://lake/x004'" in warnings[0]


def test_a_dag_on_its_own_asset_and_a_diamond(caplog: pytest.LogCaptureFixture) -> None:
    assets = [(0, [0], [0, 1]), (1, [0], [2]), (2, [1, 2], [3])]
    with caplog.at_level(logging.WARNING, "airlift_component"):
        edges = _edges(4, assets)
    assert edges == {(1, 0), (2, 1), (3, 2)}
    assert caplog.text.count("cannot hold a cycle") == 1 and "DAG 'd0'" in caplog.text


_GRAPHS = st.integers(2, 7).flatmap(
    lambda dags: st.tuples(
        st.just(dags),
        st.lists(
            st.tuples(
                st.lists(st.integers(0, dags - 1), max_size=3),
                st.lists(st.integers(0, dags - 1), max_size=3, unique=True),
            ),
            min_size=1,
            max_size=8,
        ),
    )
)


@settings(max_examples=150, deadline=None)
@given(graph=_GRAPHS)
def test_generated_graphs_drop_exactly_the_edges_the_rule_drops(
    graph: tuple[int, list[tuple[list[int], list[int]]]],
) -> None:
    dags, drawn = graph
    assets = [(n, producers, consumers) for n, (producers, consumers) in enumerate(drawn)]
    edges = _edges(dags, assets)
    assert edges == _reference(assets)
    assert _is_acyclic(edges, assets)
