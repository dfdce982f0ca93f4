"""A DAG's asset schedule condition stays within its budget, however large or deep
the expression an Airflow sends (issue 22).

* :func:`parse_condition` reads at most ``MAX_NODES`` parts of it and keeps at most
  that many (plus one cut part per list still open): what lies past the budget is
  not read at all, and shows as one ``(cut: …)`` part that the text shows and the
  decommission command refuses;
* a refresh stores a DAG's condition once, not once under each asset it names (a
  condition naming 2,000 assets made 2,000 copies of itself in the state).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airlift_component.airflow_api.asset_conditions import (
    MAX_DEPTH,
    MAX_NODES,
    Condition,
    condition_text,
    from_json_text,
    parse_condition,
)
from airlift_component.airflow_state.airflow_asset_fetch import fetch_airflow_assets
from airlift_component.airflow_state.airflow_assets import (
    assets_from_json,
    assets_to_json,
    dag_conditions,
)
from airlift_component.airflow_state.state import DagState
from airlift_component.decommission.cron import CannotReplaceSchedule
from airlift_component.decommission.plan import plan_record
from tests.harness.fake_airflow_assets import AssetFakeAirflow

#: The most parts a condition keeps: the budget, one cut part for each list still
#: open when it ran out, and the asset-or-time pair above.
KEPT = MAX_NODES + MAX_DEPTH + 4


def _parts(condition: Condition) -> int:
    count, stack = 0, [condition]
    while stack:
        node = stack.pop()
        count += 1
        [(kind, body)] = node.items()
        if kind in ("all", "any"):
            stack.extend(body)
    return count


def _asset(number: int) -> dict[str, Any]:
    uri = f"s3://lake/t{number}"
    return {"asset": {"uri": uri, "name": uri, "id": number}}


def _expression(width: int, depth: int, kinds: list[str], leaf: str) -> Any:
    """``depth`` nested lists, each ``width`` parts wide (the first one nesting the
    next): ``depth * width + 1`` parts. Built without recursion."""
    leaves: dict[str, Any] = {
        "asset": _asset(1),
        "uri": "s3://lake/x",  # Airflow 2 spells a dataset as its URI
        "alias": {"alias": {"name": "a"}},
        "unknown": {"what": [1, 2, {"x": "y"}], "else": None},
    }
    node: Any = leaves[leaf]
    for level in range(depth):
        node = {kinds[level % len(kinds)]: [node] + [leaves[leaf]] * (width - 1)}
    return node


@settings(max_examples=60, deadline=None)
@given(
    width=st.integers(1, 3_000),
    depth=st.integers(1, 80),
    kinds=st.lists(st.sampled_from(["all", "any"]), min_size=1, max_size=3),
    leaf=st.sampled_from(["asset", "uri", "alias", "unknown"]),
    schedule=st.sampled_from([None, "Asset", "Asset or 0 0 * * *"]),
)
def test_any_expression_keeps_at_most_the_budget_and_says_when_cut(
    width: int, depth: int, kinds: list[str], leaf: str, schedule: str | None
) -> None:
    condition = parse_condition(_expression(width, depth, kinds, leaf), schedule)
    assert condition is not None
    assert _parts(condition) <= KEPT
    whole = depth * width + 1 <= MAX_NODES and depth <= MAX_DEPTH
    assert ("(cut: " not in condition_text(condition)) == whole
    if whole:
        assert _parts(condition) == depth * width + 1 + (2 if "or" in (schedule or "") else 0)


class _Spy(dict[str, Any]):
    """An expression object that counts how often it is read."""

    reads = 0

    def items(self) -> Any:
        _Spy.reads += 1
        return super().items()


def _spied_asset(number: int) -> _Spy:
    uri = f"s3://lake/t{number}"
    return _Spy(asset={"uri": uri, "name": uri, "id": number})


def _wide() -> Any:
    return _Spy(any=[_spied_asset(n) for n in range(200_000)])


def _deep() -> Any:
    node: Any = _spied_asset(0)
    for _ in range(5_000):
        node = _Spy(all=[node, _spied_asset(1)])
    return node


def _many_wide_lists() -> Any:
    return _Spy(all=[_Spy(any=[_spied_asset(n) for n in range(1_500)]) for _ in range(40)])


@pytest.mark.parametrize(
    ("build", "why"),
    [
        pytest.param(_wide, "198001 more part(s)", id="two-hundred-thousand-wide"),
        pytest.param(_deep, f"nested deeper than {MAX_DEPTH} levels", id="5000-deep"),
        pytest.param(_many_wide_lists, "more part(s) here", id="many-wide-lists"),
    ],
)
def test_a_huge_expression_is_read_no_further_than_the_budget(build: Any, why: str) -> None:
    expression = build()
    _Spy.reads = 0
    condition = parse_condition(expression)
    assert condition is not None
    assert _Spy.reads <= MAX_NODES  # past the budget nothing is even looked at
    assert _parts(condition) <= KEPT
    assert why in condition_text(condition)


def test_an_unknown_shape_is_shown_short_and_without_a_password() -> None:
    huge = {"x": ["s3://admin:Pw/x@Zq@lake/raw"] + ["y" * 50] * 100_000, "z": 1}
    condition = parse_condition({"all": [huge, _asset(1)]})
    assert condition is not None
    [other, _] = condition["all"]
    assert len(other["other"]) <= 200
    assert "Pw" not in other["other"] and "Zq" not in other["other"]
    # a URL cut short before its "@" is left out, not shown in part
    cut = parse_condition({"all": [{"k": "x" * 150 + " s3://admin:Pw" + "x" * 100 + "@h"}]})
    assert cut is not None and "Pw" not in condition_text(cut)


def test_a_cut_condition_derives_no_automation() -> None:
    details = {
        "dag_id": "big",
        "asset_expression": {"any": [_asset(n) for n in range(MAX_NODES + 10)]},
        "timetable_summary": "Asset",
        "timezone": "UTC",
    }
    with pytest.raises(CannotReplaceSchedule, match=r"\(cut: "):
        plan_record(
            details,
            "v2",
            now=datetime(2026, 12, 7, tzinfo=UTC),
            paused=False,
            key_of=lambda uri, name: uri.replace("s3://", ""),
        )


def test_a_refresh_stores_a_huge_condition_once_and_within_the_budget() -> None:
    named = 300  # assets in Airflow that the condition names, each consuming a copy before
    with AssetFakeAirflow(api="v2", username="admin", password="pw") as fake:
        fake.add_dag("producer", {"extract": []})
        fake.add_dag("big", {"t": []}, schedule="Asset")
        for number in range(named):
            fake.add_asset(f"s3://lake/t{number}", producing_tasks=[("producer", "extract")])
        ids = {uri: asset.asset_id for uri, asset in fake.assets.items()}
        parts = [
            {"asset": {"uri": uri, "name": uri, "id": asset_id}} for uri, asset_id in ids.items()
        ]
        parts += [_asset(100_000 + n) for n in range(20_000)]  # not in the listing
        fake.set_expression("big", {"all": [{"any": parts}, _expression(2, 200, ["any"], "uri")]})
        with fake.client() as client:
            dags = {dag.dag_id: DagState(dag) for dag in client.list_dags()}
            assets = fetch_airflow_assets(client, dags)
    stored = [text for asset in assets for dag, text in asset.consumer_conditions if dag == "big"]
    assert len(stored) == 1
    assert sum(_parts(from_json_text(text)) for text in stored) <= KEPT
    # every asset the kept part names is still consumed by the DAG
    consumed = [asset for asset in assets if "big" in asset.scheduled_dags]
    assert len(consumed) == min(named, MAX_NODES)
    # and the state reads back to the same one condition, cut where it was cut
    [(dag, condition)] = dag_conditions(assets_from_json(assets_to_json(assets))).items()
    assert dag == "big" and "(cut: " in condition_text(condition)
