"""Any stored cursor string reads as a usable cursor or fails with the readable
``CursorError``, never with another exception (then or on the tick that uses it)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from airlift_stub import T0, StubAirflow
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airlift_component.airflow_state.proxied import ProxiedLookup
from airlift_component.sensor.cursor import CursorError, SensorCursor
from airlift_component.sensor.run_pass import PassSettings, sensor_pass

_GOOD = {
    "v": 2,
    "high_water": T0.isoformat(),
    "horizon": (T0 - timedelta(hours=7)).isoformat(),
    "runs": [
        [
            "d",
            "r1",
            ["success", T0.isoformat(), T0.isoformat()],
            T0.isoformat(),
            T0.isoformat(),
            T0.isoformat(),
            [["a", -1, 1]],
        ]
    ],
    "forgotten": "",
    "dags": ["d"],
    "asset_events": {"high_water": T0.isoformat(), "seen": [[1, 0]]},
}


def _use(cursor: SensorCursor) -> None:
    """What a tick does with a cursor it read: a pass over Airflow, then storing it."""
    stub = StubAirflow()
    stub.add_dag("d", {"a": []})
    stub.finish_run("d", "r1", end=T0 + timedelta(minutes=1))
    result = sensor_pass(
        stub.client(),
        cursor,
        now=T0 + timedelta(minutes=5),
        settings=PassSettings(timedelta(hours=24), timedelta(minutes=10), 100, 10),
        mapped_tasks={"d": frozenset({"a"})},
        needs_tasks={"d"},
        fallback=ProxiedLookup(),
    )
    assert SensorCursor.from_json(result.cursor.to_json()) == result.cursor


def _read_or_refuse(text: str) -> None:
    try:
        cursor = SensorCursor.from_json(text)
    except CursorError as exc:
        assert "\n" not in str(exc) and "Set cursor" in str(exc)
        return
    _use(cursor)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(
            '{"v": 2, "high_water": "2026-11-29T00:00:00", "horizon": null, "runs": []}',
            id="naive-high-water",
        ),
        pytest.param('{"v": 1, "high_water": "2026-11-29T00:00:00", "seen": []}', id="naive-v1"),
        pytest.param(
            '{"v": 2, "high_water": "0001-01-01T00:00:00+00:00", "horizon": null, "runs": []}',
            id="year-1",
        ),
        pytest.param(
            '{"v": 2, "high_water": "9999-12-31T23:59:59+00:00", "horizon": null, "runs": []}',
            id="year-9999",
        ),
        pytest.param("[" * 100_000 + "]" * 100_000, id="deeply-nested"),
        pytest.param(
            json.dumps(
                {**_GOOD, "asset_events": {"high_water": "2026-11-29T00:00:00", "seen": []}}
            ),
            id="naive-event-high-water",
        ),
        pytest.param(
            json.dumps({**_GOOD, "runs": [["d", "r1", ["success"], None, None, None, []]]}),
            id="short-run-state",
        ),
        pytest.param(
            json.dumps({**_GOOD, "forgotten": "YWFhYWFhYWFiYmJi/////////38B"}),
            id="forgotten-date-overflow",
        ),
    ],
)
def test_a_bad_cursor_is_refused_readably(text: str) -> None:
    with pytest.raises(CursorError, match="reset it in the Dagster UI"):
        SensorCursor.from_json(text)


def test_the_good_cursor_of_these_tests_is_read() -> None:
    _use(SensorCursor.from_json(json.dumps(_GOOD)))


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=8) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=25,
)


_DATES = st.sampled_from(
    [
        T0.isoformat(),
        "2026-11-29T00:00:00",
        "0001-01-01T00:00:00+00:00",
        "9999-12-31T23:59:59+00:00",
        "2026-11-29T00:00:00+14:00",
        "2026-11-29",
    ]
)


@st.composite
def _mutated_cursor(draw: st.DrawFn) -> str:
    """The good cursor with one or two values (at any depth) replaced or removed."""

    def mutate(value: Any, root: bool) -> Any:
        children = list(value.items()) if isinstance(value, dict) else list(enumerate(value))
        if not children or (not root and draw(st.integers(0, 3)) == 3):
            return draw(_DATES | _JSON)
        key, child = draw(st.sampled_from(children))
        copy = dict(value) if isinstance(value, dict) else list(value)
        if isinstance(copy, dict) and draw(st.integers(0, 5)) == 5:
            del copy[key]
        elif isinstance(child, (dict, list)):
            copy[key] = mutate(child, False)
        else:
            copy[key] = draw(_DATES | _JSON)
        return copy

    data: Any = _GOOD
    for _ in range(draw(st.integers(1, 2))):
        data = mutate(data, True) if isinstance(data, (dict, list)) else draw(_JSON)
    return json.dumps(data)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text() | _JSON.map(json.dumps) | _mutated_cursor())
def test_any_string_is_a_usable_cursor_or_a_cursor_error(text: str) -> None:
    _read_or_refuse(text)
