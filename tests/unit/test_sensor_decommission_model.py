"""Model-based test of the decommission boundary (docs/exactly-once.md, "A decommissioned DAG").

DAG ``d0`` is decommissioned: the Dagster schedule runs every hourly interval
that ends at or after its ``first_tick``; the earlier intervals were Airflow's.
Airflow keeps running ``d0`` anyway in random order: late runs and clears of
its own intervals, and, by mistake, runs of Dagster's (an unpaused DAG, a
manual trigger). ``d1`` is not decommissioned and runs its own intervals. The
world is the one of tests/unit/test_sensor_model.py (runs finishing in any
order, clears, deletes, changes visible late, outages, ticks out of time,
clock skew, listings paged while they change), read with a look back longer
than any sequence. After every sequence all runs are finished and the sensor
catches up; then

* no interval is recorded both from Airflow and as a Dagster run: nothing of a
  ``d0`` run whose interval ends at or after the first tick was recorded;
* no interval before the boundary is skipped: every successful, not proxied
  try and every successful completion of a run of an Airflow interval (of
  ``d0`` or ``d1``) was recorded exactly once, nothing twice;
* every run of Dagster's intervals with something to record (a successful,
  not proxied try of a mapped task, or a successful completion, that Airflow
  still shows) was warned about, and no run of Airflow's intervals was.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from airlift_component.airflow_api.types import DagRun
from airlift_component.airflow_state.proxied import ProxiedLookup
from airlift_component.errors import AirflowApiError
from airlift_component.sensor.cursor import SensorCursor
from airlift_component.sensor.run_pass import PassSettings, sensor_pass
from tests.harness.airflow_model import (
    PYTHON,
    T0,
    TASK_PROXY,
    CompletionKey,
    ModelClient,
    ModelRun,
    RunKey,
    TryKey,
    World,
)
from tests.unit.test_sensor_model import (
    MODEL_SEEDS,
    MODEL_SETTINGS,
    Draw,
    HypothesisDraw,
    check_seeds,
    count_recorded,
)

DAGS = {"d0": [("a", -1), ("m", 0), ("m", 1), ("u", -1)], "d1": [("a", -1), ("u", -1)]}
MAPPED = {"d0": frozenset({"a", "m"}), "d1": frozenset({"a"})}
HOUR = timedelta(hours=1)
#: The hourly intervals the sequences run, by the index of their end: T0 + k hours.
INTERVALS = range(-6, 7)


class IntervalWorld(World):
    """A :class:`World` whose runs each stand for one hourly data interval."""

    def __init__(self) -> None:
        super().__init__({dag: list(tasks) for dag, tasks in DAGS.items()})
        self.interval_end: dict[RunKey, datetime] = {}

    def start_interval(self, dag_id: str, k: int) -> RunKey:
        key = self.start_run(dag_id)
        self.interval_end[key] = T0 + k * HOUR
        return key

    def dag_run(self, run: ModelRun) -> DagRun:
        end = self.interval_end[(run.dag_id, run.run_id)]
        return DagRun(
            run.dag_id,
            run.run_id,
            run.state,
            logical_date=end - HOUR,
            start_date=run.start,
            end_date=run.end,
            data_interval_start=end - HOUR,
            data_interval_end=end,
        )


class BoundaryRecorder:
    """The sensor's ticks with ``d0`` decommissioned from ``first_tick`` on."""

    def __init__(self, world: IntervalWorld, client: ModelClient, first_tick: datetime):
        self.world = world
        self.client = client
        self.first_tick = first_tick
        self.settings = PassSettings(
            lookback=timedelta(days=1000),
            overlap=timedelta(minutes=10),
            max_runs=1000,
            batch_size=2,
        )
        self.skew = timedelta(0)
        self.cursor_json: str | None = None
        self.tries: Counter[TryKey] = Counter()
        self.completions: Counter[CompletionKey] = Counter()
        self.warned: Counter[str] = Counter()

    def tick(self) -> None:
        try:
            result = sensor_pass(
                self.client,
                SensorCursor.from_json(self.cursor_json),
                now=self.world.now + self.skew,
                settings=self.settings,
                mapped_tasks=MAPPED,
                needs_tasks=set(MAPPED),
                fallback=ProxiedLookup(),
                boundaries={"d0": self.first_tick},
            )
        except AirflowApiError:
            return
        for outcome in result.outcomes:
            count_recorded(outcome, self.tries, self.completions)
        for warning in result.skipped:
            run_id = warning.split("run '", 1)[1].split("'", 1)[0]
            self.warned[run_id] += 1
        self.cursor_json = result.cursor.to_json()


def _finish(draw: Draw, world: World, key: RunKey, late: float) -> None:
    operators = [PYTHON, PYTHON, TASK_PROXY]
    outcomes = iter([(draw.pick([True, True, False]), draw.pick(operators)) for _ in range(6)])
    world.finish_run(key, lambda _task: next(outcomes), late=late)


def check_boundary(draw: Draw) -> None:
    """One random sequence, then the properties of the module docstring."""
    world = IntervalWorld()
    client = ModelClient(world, draw.integer(1, 4))
    # The first tick: on an interval end, or between two (a schedule whose first tick
    # was computed in another timezone; the boundary still falls between intervals).
    first_tick = (
        T0
        + draw.integer(-3, 3) * HOUR
        + draw.pick([timedelta(0), timedelta(0), 17 * timedelta(minutes=1)])
    )
    recorder = BoundaryRecorder(world, client, first_tick)
    recorder.skew = timedelta(seconds=draw.real(-240, 240))
    started: dict[str, set[int]] = {dag: set() for dag in DAGS}
    for _ in range(draw.integer(1, 40)):
        kind = draw.pick(["start", "start", "finish", "clear", "wait", "tick", "tick", "outage"])
        late = draw.pick([0.0, 0.0, 30.0, 299.0])
        if kind == "start":
            dag = draw.pick(sorted(DAGS))
            free = [k for k in INTERVALS if k not in started[dag]]
            if free:  # Airflow has one run per logical date
                k = draw.pick(free)
                started[dag].add(k)
                world.start_interval(dag, k)
        elif kind == "finish" and world.running():
            _finish(draw, world, draw.pick(world.running()), late)
        elif kind == "clear" and world.finished():
            key = draw.pick(world.finished())
            world.clear(key, [draw.pick(sorted(world.runs[key].tasks))], late=late)
        elif kind == "wait":
            world.advance(draw.pick([1.0, 200.0, 900.0]))
        elif kind == "tick":
            client.calls, client.slow_after = 0, draw.pick([None, None, 0, 1, 3])
            recorder.tick()
            client.slow_after = None
        elif kind == "outage":
            client.down = not client.down

    client.down = False
    world.flush()
    for key in world.running():
        world.finish_run(key, lambda _task: (True, PYTHON))
    for _ in range(6):
        world.advance(60)
        recorder.tick()

    def dagsters(dag_id: str, run_id: str) -> bool:
        return dag_id == "d0" and world.interval_end[(dag_id, run_id)] >= first_tick

    doubled = {t for t in recorder.tries if dagsters(t[0], t[1])}
    doubled |= {c for c in recorder.completions if dagsters(c[0], c[1])}
    assert not doubled, f"recorded from Airflow an interval the Dagster schedule ran: {doubled}"
    assert all(n == 1 for n in recorder.tries.values()), "a try was recorded twice"
    assert all(n == 1 for n in recorder.completions.values()), "a completion was recorded twice"
    tries = {t for t in world.visible_tries() if t[2] in MAPPED[t[0]] and not dagsters(t[0], t[1])}
    missing = tries - set(recorder.tries)
    assert not missing, f"tries of Airflow's intervals never recorded: {sorted(missing)}"
    completions = {c for c in world.visible_completions() if not dagsters(c[0], c[1])}
    lost = completions - set(recorder.completions)
    assert not lost, f"completions of Airflow's intervals never recorded: {sorted(lost)}"
    # What Airflow shows at the end was recordable when a tick settled it.
    recordable = {t[1] for t in world.visible_tries() if t[0] == "d0" and t[2] in MAPPED["d0"]}
    recordable |= {c[1] for c in world.visible_completions() if c[0] == "d0"}
    warned_wrongly = {r for r in recorder.warned if not dagsters("d0", r)}
    assert not warned_wrongly, f"runs of Airflow's intervals warned about: {warned_wrongly}"
    unwarned = {
        run_id for (dag, run_id) in world.runs if dagsters(dag, run_id) and run_id in recordable
    } - set(recorder.warned)
    assert not unwarned, f"runs of Dagster's intervals never warned about: {unwarned}"


@MODEL_SETTINGS
@given(data=st.data())
def test_decommission_boundary_hypothesis(data: st.DataObject) -> None:
    """Hypothesis-driven sequences (a failure shrinks to a short one)."""
    check_boundary(HypothesisDraw(data))


def test_decommission_boundary_seeded() -> None:
    """Seeded sequences (a failure names its seed)."""
    check_seeds(range(MODEL_SEEDS), check_boundary)
