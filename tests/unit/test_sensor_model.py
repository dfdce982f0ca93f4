"""Model-based test of the sensor's exactly-once guarantee (docs/exactly-once.md).

Hypothesis drives a model of a busy Airflow (tests/harness/airflow_model.py)
through random interleavings of run starts, finishes (with proxied and
whole-DAG-proxied tries, failures, and end dates hours in the future),
clears, deletes, changes that become visible late, an Airflow outage, a
tick whose time budget runs out after a few requests to Airflow, clock
skew between Airflow and the sensor, a sensor clock that runs ahead (up to
three hours) and jumps back, and changes made between the pages of a listing, with sensor ticks (through the stored cursor JSON, as after a
restart) in between. The definitions can grow between ticks: DAG ``late``
runs in Airflow before the definitions know it (a DAG added after the last
refresh) in half the sequences, and is known from some moment on (a refresh
and a reload; at the latest when the sequence ends). The look back is either
longer than any sequence or one hour, so runs fall out of it. After every
sequence all runs are finished, the late changes become visible and the
sensor catches up; then, with a DAG's *scope* starting ``lookback`` before the
later of the first successful tick and the moment the definitions knew the
DAG (plus 5 minutes for the clock skew),

* every successful, not proxied try of a mapped task that Airflow still shows,
  in scope (it ended, and its run last changed, after the scope starts), was
  recorded exactly once, and every recorded try is one that succeeded;
* no try was recorded twice, in scope or not; no proxied try was ever
  recorded;
* every successful completion Airflow still shows in scope was recorded
  exactly once (with its DAG-level assets unless the run was proxied as a
  whole), and no completion was recorded twice;
* the asset checks on what was recorded ran once per recorded try and
  completion: each tick's batches get the run keys the sensor requests the
  checks' runs with (``sensor.check_batches``), and the model launches a run
  per key it has not launched yet, as Dagster does. Some ticks die after the
  daemon stored their events and run requests but before it stored their
  cursor (limit 10 of docs/exactly-once.md): the next tick records their
  batches again, and their checks run no more often than their materializations
  were stored (once, unless Airflow changed the run in between).
* launches of the checks' runs fail: the run fails before it starts (sometimes
  tagged for Dagster's own run retries, which then run it), or stays
  ``NOT_STARTED``. Later ticks request them again as the sensor does
  (``sensor.check_retries``), and Dagster launches each run key once: no batch's
  checks ever start twice, and every recorded try and completion had its checks
  run unless its batch's launches failed :data:`MAX_LAUNCHES` times, which the
  sensor then reported.

The limits in the docs are respected by the generator: a change becomes
visible at most 5 minutes late and the clocks differ by at most 4 minutes, so
lateness plus skew stays within the 10-minute overlap.
"""

from __future__ import annotations

import os
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airlift_component.airflow_state.proxied import ProxiedLookup
from airlift_component.errors import AirflowApiError
from airlift_component.sensor.check_batches import batch_identity, batch_run_key
from airlift_component.sensor.check_retries import (
    MAX_LAUNCHES,
    CheckRunState,
    plan_retries,
    split_key,
)
from airlift_component.sensor.cursor import SensorCursor
from airlift_component.sensor.run_ledger import RunOutcome
from airlift_component.sensor.run_pass import PassSettings, sensor_pass
from tests.harness.airflow_model import (
    PYTHON,
    T0,
    TASK_PROXY,
    CompletionKey,
    ModelClient,
    RunKey,
    TryKey,
    World,
)

DAGS = {
    "d0": [("a", -1), ("b", -1), ("m", 0), ("m", 1), ("u", -1)],
    "d1": [("a", -1), ("u", -1)],
    "late": [("a", -1), ("m", 0), ("m", 1), ("u", -1)],  # may be learned mid-sequence
    "other": [("x", -1)],  # never in the definitions
}
MAPPED = {"d0": frozenset({"a", "b", "m"}), "d1": frozenset({"a"}), "late": frozenset({"a", "m"})}
OVERLAP = timedelta(minutes=10)
#: Clock skew (up to 4 minutes) blurs where a look back starts.
MARGIN = timedelta(minutes=5)
T = TypeVar("T")


#: What launching one checks' run does (see :class:`ChecksDagster`).
LAUNCHES = ("ok", "fail", "fail_will_retry", "stuck", "started_then_failed")


@dataclass
class ChecksRun:
    """One checks' run in the model of Dagster's run storage."""

    run_id: str
    key: str
    identity: list[object]
    created: datetime
    status: str = "NOT_STARTED"
    started: bool = False
    will_retry: bool = False


class ChecksDagster:
    """The Dagster daemon and run storage, for the checks' runs of one sensor: one run
    per run key; a request for a key it has is skipped unless that run is still
    ``NOT_STARTED`` (then it is submitted again, as the daemon does). A launch
    succeeds (the run starts and evaluates its checks), fails before the run starts
    (possibly tagged for run retries, whose re-execution then starts and evaluates
    them), fails after it started, or leaves the run ``NOT_STARTED``, as ``launch``
    decides."""

    def __init__(self, launch: Callable[[], str]) -> None:
        self.launch = launch
        self.runs: dict[str, ChecksRun] = {}
        #: Starts per batch (by its identity, as JSON-ish text): never more than one.
        self.starts: Counter[str] = Counter()
        self.evaluated: list[list[object]] = []
        self.gave_up: list[list[object]] = []

    def request(self, key: str, identity: list[object], now: datetime) -> None:
        run = self.runs.get(key)
        if run is None:
            run = self.runs[key] = ChecksRun(f"run{len(self.runs)}", key, identity, now)
        elif run.status != "NOT_STARTED":
            return
        outcome = self.launch()
        if outcome == "stuck":
            return
        if outcome != "fail":
            # Started (a check failed or its process died in ``started_then_failed``),
            # or failed before starting and re-executed by Dagster's run retries.
            self.starts[repr(run.identity)] += 1
            self.evaluated.append(run.identity)
        run.status = "SUCCESS" if outcome == "ok" else "FAILURE"
        run.started = outcome in ("ok", "started_then_failed")
        run.will_retry = outcome == "fail_will_retry"

    def retry(self, now: datetime) -> None:
        """What the sensor's retrier requests on a tick, handed to the daemon."""
        states = [
            CheckRunState(r.run_id, r.key, r.status, r.started, r.will_retry, r.created)
            for r in self.runs.values()
            if r.status in ("FAILURE", "NOT_STARTED") and r.identity not in self.gave_up
        ]
        plan = plan_retries(states, set(self.runs), now)
        for run in plan.gave_up:
            parsed = split_key(run.run_key)
            assert parsed is not None and parsed[1] + 1 == MAX_LAUNCHES
            identity = self.by_id(run.run_id).identity
            failed = [r for r in self.runs.values() if r.identity == identity]
            assert len(failed) == MAX_LAUNCHES
            assert all(r.status == "FAILURE" and not r.started for r in failed)
            self.gave_up.append(identity)
        for key, run in plan.requests:
            self.request(key, self.by_id(run.run_id).identity, now)

    def by_id(self, run_id: str) -> ChecksRun:
        return next(r for r in self.runs.values() if r.run_id == run_id)


def count_recorded(
    outcome: RunOutcome, tries: Counter[TryKey], completions: Counter[CompletionKey]
) -> CompletionKey | None:
    """Count the tries ``outcome`` records and, when its run completed, the completion;
    the completion's key, or None."""
    for ti in outcome.tries:
        tries[(ti.dag_id, ti.run_id, ti.task_id, ti.map_index, ti.try_number)] += 1
    if not outcome.completed:
        return None
    run = outcome.run
    assert run.end_date is not None
    key = (run.dag_id, run.run_id, run.end_date)
    completions[key] += 1
    return key


class Recorder:
    """The sensor's ticks against one world, and everything they recorded."""

    def __init__(
        self,
        world: World,
        client: ModelClient,
        settings: PassSettings,
        skew: float,
        launch: Callable[[], str] = lambda: "ok",
    ):
        self.world = world
        self.client = client
        self.settings = settings
        self.skew = timedelta(seconds=skew)
        self.normal_skew = self.skew
        self.cursor_json: str | None = None
        self.tries: Counter[TryKey] = Counter()
        self.completions: Counter[CompletionKey] = Counter()
        self.proxied_completions: set[CompletionKey] = set()
        self.limits: list[str] = []
        #: The definitions (what a refresh and reload show), and when each DAG joined.
        self.mapped = dict(MAPPED)
        self.known_at = {dag: T0 for dag in MAPPED}
        self.first_tick: datetime | None = None
        #: The checks' runs Dagster launched, by run key (what each key stood for).
        self.launched: dict[str, list[object]] = {}
        self.dagster = ChecksDagster(launch)
        self.checked_tries: Counter[TryKey] = Counter()
        self.checked_completions: Counter[CompletionKey] = Counter()
        #: Every time a materialization was stored, by the ticks that died too.
        self.stored_tries: Counter[TryKey] = Counter()
        self.stored_completions: Counter[CompletionKey] = Counter()

    def forget_late(self) -> None:
        del self.mapped["late"], self.known_at["late"]

    def mark_ahead(self) -> bool:
        """True while the stored high-water mark is ahead of the sensor's clock: a clock
        that went back has not had a tick that saw the mark yet. Time passing now would
        let the clock catch up with the mark unnoticed (limit 1 of the docs)."""
        mark = SensorCursor.from_json(self.cursor_json).high_water
        return mark is not None and mark > self.world.now + self.skew

    def toggle_clock(self, ahead: timedelta) -> None:
        """The sensor's clock jumps ``ahead`` (NTP not running, a VM resumed), or back."""
        self.skew = self.normal_skew if self.skew != self.normal_skew else self.skew + ahead

    def caught_up(self) -> bool:
        """True once a tick has read every DAG of the definitions from its look back on."""
        dags = SensorCursor.from_json(self.cursor_json).dags
        return dags is not None and set(self.mapped) <= dags and "late" in self.mapped

    def learn_late(self) -> None:
        """A refresh and a reload now put ``late`` in the definitions."""
        self.mapped["late"] = MAPPED["late"]
        self.known_at["late"] = self.world.now

    def scope(self, dag_id: str) -> datetime:
        """Where the promise for ``dag_id`` starts (see the module docstring)."""
        assert self.first_tick is not None
        known = max(self.known_at[dag_id], self.first_tick)
        return known - self.settings.lookback + MARGIN

    def launch_checks(self, outcomes: Sequence[RunOutcome]) -> None:
        """The tick's checks' run requests, then the retries of failed launches; Dagster
        creates a run per run key it does not have for the sensor yet."""
        now = self.world.now  # Dagster's clock: run storage and the code server agree
        evaluated = len(self.dagster.evaluated)
        for outcome in outcomes:
            key = batch_run_key("model", outcome)
            identity = batch_identity("model", outcome)
            if key in self.launched:
                assert self.launched[key] == identity, "two batches got one run key"
            else:
                assert identity not in self.launched.values(), "one batch got two run keys"
                self.launched[key] = identity
            self.dagster.request(key, identity, now)
        self.dagster.retry(now)
        for identity in self.dagster.evaluated[evaluated:]:
            _, dag_id, run_id, tries, end = identity
            assert isinstance(tries, list)
            for task_id, map_index, try_number in tries:
                self.checked_tries[(dag_id, run_id, task_id, map_index, try_number)] += 1
            if end is not None:
                self.checked_completions[(dag_id, run_id, datetime.fromisoformat(end))] += 1

    def store(self, outcomes: Sequence[RunOutcome]) -> None:
        for outcome in outcomes:
            count_recorded(outcome, self.stored_tries, self.stored_completions)

    def tick(self, *, dies: bool = False) -> None:
        """One tick; with ``dies``, the daemon stores its events and run requests and
        dies before it stores the cursor."""
        cursor = SensorCursor.from_json(self.cursor_json)
        try:
            result = sensor_pass(
                self.client,
                cursor,
                now=self.world.now + self.skew,
                settings=self.settings,
                mapped_tasks=self.mapped,
                needs_tasks=set(self.mapped),
                fallback=ProxiedLookup(),
            )
        except AirflowApiError:
            return  # the tick fails softly; the stored cursor stays
        self.store(result.outcomes)
        self.launch_checks(result.outcomes)
        if dies:
            return
        if self.first_tick is None:
            self.first_tick = self.world.now
        for outcome in result.outcomes:
            key = count_recorded(outcome, self.tries, self.completions)
            if key is not None and outcome.dag_proxied:
                self.proxied_completions.add(key)
        self.limits.extend(result.limits)
        self.cursor_json = result.cursor.to_json()


class Draw(Protocol):
    """Where a sequence's choices come from: Hypothesis (shrinks) or a seeded Random (fast)."""

    def pick(self, options: Sequence[T]) -> T: ...

    def integer(self, low: int, high: int) -> int: ...

    def real(self, low: float, high: float) -> float: ...


class HypothesisDraw:
    def __init__(self, data: st.DataObject) -> None:
        self.data = data

    def pick(self, options: Sequence[T]) -> T:
        return self.data.draw(st.sampled_from(options))

    def integer(self, low: int, high: int) -> int:
        return self.data.draw(st.integers(low, high))

    def real(self, low: float, high: float) -> float:
        return self.data.draw(st.floats(low, high))


class RandomDraw:
    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)

    def pick(self, options: Sequence[T]) -> T:
        return options[self.random.randrange(len(options))]

    def integer(self, low: int, high: int) -> int:
        return self.random.randint(low, high)

    def real(self, low: float, high: float) -> float:
        return self.random.uniform(low, high)


#: The Hypothesis settings of the model tests (this one and the decommission boundary's):
#: AIRLIFT_MODEL_EXAMPLES sequences, 200 unless set; no deadline, a sequence is many ticks.
MODEL_SETTINGS = settings(
    max_examples=int(os.environ.get("AIRLIFT_MODEL_EXAMPLES", "200")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
#: Seeded sequences per seeded model test (AIRLIFT_MODEL_SEEDS, 1000 unless set).
MODEL_SEEDS = int(os.environ.get("AIRLIFT_MODEL_SEEDS", "1000"))


def check_seeds(seeds: range, check: Callable[[Draw], None]) -> None:
    """``check`` each seeded sequence; a failure names its seed."""
    for seed in seeds:
        try:
            check(RandomDraw(seed))
        except AssertionError as exc:
            raise AssertionError(f"seed {seed}: {exc}") from None


def _finish(draw: Draw, world: World, key: RunKey, late: float) -> None:
    operators = [PYTHON, PYTHON, TASK_PROXY]
    outcomes = [(draw.pick([True, True, False]), draw.pick(operators)) for _ in range(6)]
    pick = iter(outcomes)
    world.finish_run(
        key,
        lambda _task: next(pick),
        late=late,
        end_offset=draw.pick([0.0, 0.0, 0.0, 7200.0]),
        whole_dag_proxy=key[0] == "d1" and draw.pick([False, True]),
    )


def _event(
    draw: Draw,
    world: World,
    client: ModelClient,
    during_tick: bool,
    unknown: str | None = None,
    recorder: Recorder | None = None,
) -> None:
    """One change; while ``unknown`` is not in the definitions, runs of it start and
    finish more often (so that ticks list them before it is known)."""
    kinds = ["start", "finish", "clear", "delete"]
    if not during_tick:
        kinds += ["wait", "wait", "outage", "tick_dies"]
    if unknown is not None:
        kinds += ["unknown_run", "unknown_run"]
    kind = draw.pick(kinds)
    late = draw.pick([0.0, 0.0, 0.0, 30.0, 299.0])
    if kind == "start":
        world.start_run(draw.pick(sorted(DAGS)))
    elif kind == "unknown_run" and unknown is not None:
        _finish(draw, world, world.start_run(unknown), late)
    elif kind == "finish" and world.running():
        _finish(draw, world, draw.pick(world.running()), late)
    elif kind == "clear" and world.finished():
        key = draw.pick(world.finished())
        tasks = sorted(world.runs[key].tasks)
        chosen = sorted({draw.pick(tasks) for _ in range(draw.integer(1, 3))})
        world.clear(key, chosen, late=late)
    elif kind == "delete" and world.deletable():
        world.delete(draw.pick(world.deletable()))
    elif kind == "wait":
        world.advance(draw.pick([0.0, 1.0, 20.0, 200.0, 900.0, 4000.0]))
    elif kind == "outage":
        client.down = not client.down
    elif kind == "tick_dies" and recorder is not None:
        recorder.tick(dies=True)


def check_sequence(draw: Draw) -> None:
    """One random sequence, then the properties of the module docstring."""
    world = World({dag: list(tasks) for dag, tasks in DAGS.items()})
    interfering = [draw.pick([False, True])]

    def interfere() -> None:
        if interfering[0] and draw.integer(0, 3) == 0:
            _event(draw, world, client, during_tick=True)

    client = ModelClient(world, draw.integer(1, 4), interfere)
    pass_settings = PassSettings(
        # Longer than any sequence (everything in scope), or short enough to leave runs out.
        lookback=draw.pick([timedelta(days=1000), timedelta(hours=1)]),
        overlap=OVERLAP,
        max_runs=draw.pick([1, 3, 1000]),
        batch_size=2,
        retention=draw.pick([timedelta(minutes=20), timedelta(hours=6)]),
    )
    skew = draw.real(-240, 240)
    # Launching a checks' run fails often in half the sequences (until a few ticks
    # after the sequence; then every launch succeeds).
    failing = [draw.pick([False, True])]

    def launch() -> str:
        return draw.pick(LAUNCHES) if failing[0] and draw.integer(0, 1) == 0 else "ok"

    recorder = Recorder(world, client, pass_settings, skew, launch)
    steps = draw.integer(1, 40)
    learn_at = steps + 1  # known from the start
    if draw.pick([False, True]):
        recorder.forget_late()  # a DAG added to Airflow after the last refresh ...
        learn_at = draw.integer(1, steps)  # ... and refreshed and reloaded at some step
    for step in range(steps):
        if step == learn_at:
            recorder.learn_late()
        # Once the look backs are over (every DAG known and read), the sensor's
        # clock may run ahead for a while and jump back (a look back from a clock ahead
        # starts late); with the long look back, which covers the time it was ahead.
        can_jump = recorder.caught_up() and pass_settings.lookback > timedelta(days=1)
        can_jump = can_jump or recorder.skew != recorder.normal_skew
        if can_jump and draw.integer(0, 9) == 0:
            recorder.toggle_clock(timedelta(minutes=draw.pick([2, 30, 180])))
        elif draw.integer(0, 2) == 0:
            # Sometimes Airflow is too slow for the tick's budget after a few requests.
            client.calls, client.slow_after = 0, draw.pick([None, None, None, 0, 1, 2, 4])
            recorder.tick()
            client.slow_after = None
        else:
            unknown = "late" if "late" not in recorder.mapped else None
            # No time passes while the clock is ahead, nor after it went back until a
            # tick saw the mark it set: the clock goes back before the time catches up
            # with that mark (a mark already in the past again is clock skew beyond the
            # overlap, limit 1).
            ahead = recorder.skew != recorder.normal_skew or recorder.mark_ahead()
            _event(draw, world, client, during_tick=ahead, unknown=unknown, recorder=recorder)

    # Quiesce: Airflow back, every run finished, late changes visible, the definitions
    # know every DAG they will, the sensor catches up.
    interfering[0] = False
    client.down = False
    recorder.skew = recorder.normal_skew
    world.flush()
    for key in world.running():
        world.finish_run(key, lambda _task: (True, PYTHON))
    if "late" not in recorder.mapped:
        recorder.learn_late()
    for step in range(6 + 2 * len(world.runs)):  # max_runs may be 1 changed run per tick
        # The last launches fail with the first ticks here; the retries of the runs
        # left NOT_STARTED need two more minutes, of those that failed one tick.
        failing[0] = failing[0] and step < 3
        world.advance(60)
        recorder.tick()

    assert all(n == 1 for n in recorder.tries.values()), "a try was recorded twice"
    assert set(recorder.tries) <= world.ever_tries, "recorded a try that never succeeded"
    assert not set(recorder.tries) & world.ever_proxied, "recorded a proxied try"
    mapped: set[TryKey] = set()
    visible: set[CompletionKey] = set()
    for dag_id, tasks in MAPPED.items():
        since = recorder.scope(dag_id)
        mapped |= {t for t in world.visible_tries(since) if t[0] == dag_id and t[2] in tasks}
        visible |= {c for c in world.visible_completions(since) if c[0] == dag_id}
    missing = mapped - set(recorder.tries)
    assert not missing, f"successful tries never recorded: {sorted(missing)}"
    assert all(n == 1 for n in recorder.completions.values()), "a completion was recorded twice"
    assert set(recorder.completions) <= world.ever_completions
    lost = visible - set(recorder.completions)
    assert not lost, f"successful completions not recorded: {sorted(lost)}"
    for key in recorder.proxied_completions:
        run = world.runs.get((key[0], key[1]))
        if run is not None and run.end == key[2]:
            assert any(task.startswith("DAGSTER_OVERRIDE_DAG_") for task, _ in run.tasks)
    _check_runs(recorder)


def _check_runs(recorder: Recorder) -> None:
    """The checks ran once per recorded try and completion: never for what was not
    stored, never more often than it was stored, and at least once for what was."""
    dagster = recorder.dagster
    twice = {batch: n for batch, n in dagster.starts.items() if n > 1}
    assert not twice, f"a batch's checks started more than once: {twice}"
    # What the sensor gave up on (MAX_LAUNCHES failed launches, reported) may go
    # unchecked; nothing else may.
    given_up_tries: set[TryKey] = set()
    given_up_completions: set[CompletionKey] = set()
    for _, dag_id, run_id, tries, end in dagster.gave_up:
        assert isinstance(tries, list)
        given_up_tries |= {(dag_id, run_id, t, m, n) for t, m, n in tries}  # type: ignore[misc]
        if end is not None:
            given_up_completions.add((dag_id, run_id, datetime.fromisoformat(str(end))))  # type: ignore[arg-type]
    triples = [
        (recorder.tries, recorder.checked_tries, recorder.stored_tries, given_up_tries),
        (
            recorder.completions,
            recorder.checked_completions,
            recorder.stored_completions,
            given_up_completions,
        ),
    ]
    for recorded, checked, stored, given_up in triples:
        unchecked = {key for key in recorded if checked[key] < 1} - given_up  # type: ignore[operator]
        assert not unchecked, f"recorded, checks never ran: {sorted(unchecked)}"
        assert set(checked) <= set(stored), "checks ran for what was never recorded"
        extra = {key: n for key, n in checked.items() if n > stored[key]}  # type: ignore[index]
        assert not extra, f"checks ran more often than recorded: {extra}"
        # Without a tick that died, everything is stored once: the checks run once.
        once = {key for key, n in stored.items() if n == 1} - given_up  # type: ignore[operator]
        assert all(checked[key] == 1 for key in once)  # type: ignore[index]


@MODEL_SETTINGS
@given(data=st.data())
def test_exactly_once_hypothesis(data: st.DataObject) -> None:
    """Hypothesis-driven sequences (a failure shrinks to a short one)."""
    check_sequence(HypothesisDraw(data))


@pytest.mark.parametrize("block", range(4))
def test_exactly_once_seeded(block: int) -> None:
    """Thousands of seeded sequences (a failure names its seed)."""
    check_seeds(range(block * MODEL_SEEDS, (block + 1) * MODEL_SEEDS), check_sequence)
