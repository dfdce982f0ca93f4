"""Launching and following the Dagster run behind one proxied Airflow task.

No Airflow import: the operators gather what Airflow knows into a
:class:`ProxyRequest` and this module does the Dagster side of the work, so it
is tested without Airflow.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import quote

from airlift_component.dagster_api import DagsterClient, DagsterRun
from airlift_component.dagster_api.client import (
    DagsterHttpError,
    TransientDagsterApiError,
    execution_params,
)
from airlift_component.dagster_api.targets import ProxyTarget, dag_asset_key, find_proxy_target
from airlift_component.dagster_api.types import PARENT_RUN_TAG, ROOT_RUN_TAG
from airlift_component.errors import AirliftError, DagsterApiError
from airlift_component.mapping_tags import (
    AIRFLOW_DAG_TAG,
    AIRFLOW_INSTANCE_TAG,
    AIRFLOW_RUN_TAG,
    AIRFLOW_TASK_TAG,
    AIRFLOW_TRY_TAG,
    TASK_INSTANCE_URL_TAG,
)

PARTITION_TAG = "dagster/partition"
#: Task id recorded on runs launched for a whole proxied DAG.
DAG_LEVEL_TASK = "__dag__"

T = TypeVar("T")


def run_page_url(client: DagsterClient, run_id: str) -> str:
    """The Dagster UI page of a run. The run id is one escaped path segment, whatever
    Dagster (or an overridden ``launch_dagster_run``) answered: ``../admin`` or
    ``x?next=...`` cannot point the "Dagster run" link anywhere else."""
    return f"{client.base_url.removesuffix('/graphql')}/runs/{quote(str(run_id), safe='')}"


class DagsterRunFailed(AirliftError):
    """The Dagster run behind a proxied task did not succeed (or did not finish in time)."""

    def __init__(self, message: str, run_id: str) -> None:
        self.run_id = run_id
        super().__init__(message)


@dataclass(frozen=True)
class ProxyRequest:
    """What one Airflow task instance asks Dagster to do."""

    instance: str
    dag_id: str
    task_id: str | None  # None: the whole DAG
    airflow_run_id: str
    try_number: int
    logical_date: datetime | None = None
    #: The first try since the task instance was last cleared (Airflow's own
    #: ``max_tries - retries + 1``); 1 when not known.
    first_try_number: int = 1
    timeout_seconds: float = 6 * 3600
    poll_interval_seconds: float = 2.0
    #: How long a failed run tagged ``dagster/will_retry=true`` may go without its retry
    #: appearing before the task gives up on it.
    retry_appear_seconds: float = 120.0
    #: Launch requests at most for this try, when one gets no usable answer (a
    #: timeout, a dropped connection, HTTP 5xx); the run is looked up before each.
    launch_attempts: int = 4
    #: Further tags for the launched run (an operator's ``default_dagster_run_tags``);
    #: the identity and try tags always win.
    extra_tags: Mapping[str, str] = field(default_factory=dict)
    #: The Airflow UI page of this task instance (no ``user:password@``), tagged on
    #: the launched run so Dagster's run page leads back to Airflow.
    task_instance_url: str | None = None

    def launch_tags(self) -> dict[str, str]:
        """Every tag of a run launched for this request; identity and try tags win."""
        tags = {**self.extra_tags}
        if self.task_instance_url:
            tags[TASK_INSTANCE_URL_TAG] = self.task_instance_url
        return {**tags, **self.identity_tags(), AIRFLOW_TRY_TAG: str(self.try_number)}

    def identity_tags(self) -> dict[str, str]:
        """Tags naming the Airflow task instance, the same on every try. The instance
        is part of it: two Airflows may share a DAG id and a scheduled run id."""
        return {
            AIRFLOW_INSTANCE_TAG: self.instance,
            AIRFLOW_DAG_TAG: self.dag_id,
            AIRFLOW_RUN_TAG: self.airflow_run_id,
            AIRFLOW_TASK_TAG: self.task_id or DAG_LEVEL_TASK,
        }


def partition_key(target: ProxyTarget, logical_date: datetime | None) -> str | None:
    """The partition a run of time-partitioned assets covers, from the logical date."""
    partitioned = [node for node in target.assets if node.partition_type]
    if not partitioned:
        return None
    names = ", ".join(node.key_string for node in partitioned)
    if any(node.partition_type != "TIME_WINDOW" for node in partitioned):
        raise DagsterApiError(
            f"assets {names} are partitioned but not by time; a proxied task can only "
            "choose time partitions (from the Airflow logical date)"
        )
    formats = {node.partition_fmt or "%Y-%m-%d" for node in partitioned}
    if len(formats) > 1:
        raise DagsterApiError(f"assets {names} use different partition formats {sorted(formats)}")
    if logical_date is None:
        raise DagsterApiError(
            f"assets {names} are time-partitioned but this Airflow run has no logical date"
        )
    return logical_date.strftime(formats.pop())


def _outcome_unknown(exc: DagsterApiError) -> bool:
    """True when a launch that raised ``exc`` may still have created its run: no answer,
    a timeout, a dropped connection, HTTP 429/502/503/504 or another 5xx. Decided on
    the error's type and HTTP status, never on its text (which quotes the answer)."""
    if isinstance(exc, TransientDagsterApiError):
        return True
    return isinstance(exc, DagsterHttpError) and exc.status >= 500


def _try_of(run: DagsterRun) -> int:
    """The Airflow try that launched ``run`` (0 when its tag is missing or malformed)."""
    try:
        return int(run.tags.get(AIRFLOW_TRY_TAG, ""))
    except ValueError:
        return 0


def first_try_since_clear(try_number: int, max_tries: object, retries: object) -> int:
    """The first try of the current clear: clearing a task instance sets its
    ``max_tries`` to ``try_number + retries``, so this is ``max_tries - retries + 1``
    (as Airflow computes it for reschedules). 1 when Airflow does not say."""
    if not isinstance(max_tries, int) or max_tries < 0:
        return 1
    first = max_tries - (retries if isinstance(retries, int) else 0) + 1
    return max(1, min(first, try_number))


class RunHooks:
    """The steps of a proxied run an operator may change; these defaults are airlift's.

    The proxy operators pass one that calls their overridable methods
    (``filter_asset_nodes``, ``get_partition_key``, ``launch_dagster_run``,
    ``get_dagster_run_obj``).
    """

    def select_assets(self, target: ProxyTarget) -> ProxyTarget:
        """The assets to run, out of those mapped to the task."""
        return target

    def partition_key(self, target: ProxyTarget, request: ProxyRequest) -> str | None:
        return partition_key(target, request.logical_date)

    def launch(self, client: DagsterClient, params: dict[str, Any]) -> str:
        """Launch a run with Dagster's ``ExecutionParams``; returns its run id."""
        return client.launch(params).run_id

    def get_run(self, client: DagsterClient, run_id: str) -> DagsterRun:
        return client.get_run(run_id)

    def run_known(self, run: DagsterRun, url: str) -> None:
        """Called as soon as the run this try ends with is known: launched, reused,
        followed, or the retry being followed. ``url`` is its Dagster UI page."""


class DagsterRunner:
    """Finds, launches (at most once per Airflow try) and follows a run."""

    def __init__(
        self,
        client: DagsterClient,
        *,
        log: Any = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        hooks: RunHooks | None = None,
    ) -> None:
        self.client = client
        self.log = log or logging.getLogger(__name__)
        self.hooks = hooks or RunHooks()
        self._sleep = sleep
        self._clock = clock

    def run(self, request: ProxyRequest) -> DagsterRun:
        """Make sure the request's assets are materialized; returns the successful run.

        Three requests before a launch: the task instance's runs together with the
        DAG's asset, the task's assets, then the launch.
        """
        deadline = self._clock() + request.timeout_seconds
        existing, dag_nodes = self.client.find_runs_and_asset_nodes(
            request.identity_tags(), [dag_asset_key(request.instance, request.dag_id)]
        )
        reused = self._reusable(existing, request)
        if reused is not None:
            self.hooks.run_known(reused, run_page_url(self.client, reused.run_id))
            if reused.status == "SUCCESS":
                return reused
            return self._wait(reused, request, deadline)
        target = find_proxy_target(
            self.client,
            instance=request.instance,
            dag_id=request.dag_id,
            task_id=request.task_id,
            dag_nodes=dag_nodes,
        )
        target = self.hooks.select_assets(target)
        tags = request.launch_tags()
        partition = self.hooks.partition_key(target, request)
        if partition is not None:
            tags[PARTITION_TAG] = partition
        params = execution_params(
            location=target.location,
            repository=target.repository,
            asset_keys=target.keys,
            tags=tags,
        )
        before = frozenset(r.run_id for r in existing)
        run = self._launch(params, request, deadline, before)
        self.hooks.run_known(run, run_page_url(self.client, run.run_id))
        self.log.info(
            "launched Dagster run %s of %s (found via %s)%s: %s",
            run.run_id,
            ", ".join(node.key_string for node in target.assets),
            target.found_via,
            f" (partition {partition})" if partition else "",
            run_page_url(self.client, run.run_id),
        )
        return self._wait(run, request, deadline)

    def _launch(
        self,
        params: dict[str, Any],
        request: ProxyRequest,
        deadline: float,
        before: frozenset[str],
    ) -> DagsterRun:
        """Launch the try's run, retrying a launch whose outcome is unknown.

        A launch that timed out, lost its connection or got an HTTP 5xx may have
        created the run anyway. Before each new attempt, and before giving up, the
        run is looked up by the try's tags (identity and try number) and adopted when
        it exists; a lookup that fails is asked again until the deadline, never
        skipped. Dagster's ``launchRun`` takes no idempotency key, so a request it is
        still working on when the lookup finds nothing can still make a second run:
        the lookup after a relaunch says so in the log (docs/airflow-side.md).
        """
        tags = {t["key"]: t["value"] for t in params["executionMetadata"].get("tags") or []}
        find = functools.partial(self._launched_for, request, before)
        last: DagsterApiError | None = None
        attempts = 0
        while attempts < request.launch_attempts:
            if last is not None:
                adopted = self._patiently(find, request, deadline)
                if adopted:
                    return self._adopted(adopted[0], attempts)
            attempts += 1
            try:
                run = DagsterRun(self.hooks.launch(self.client, params), "QUEUED", tags)
            except DagsterApiError as exc:
                if not _outcome_unknown(exc):
                    raise  # a definite answer: this attempt made nothing
                last = exc
            else:
                if last is not None:
                    self._warn_if_doubled(find, request, deadline, run)
                return run
            wait = request.poll_interval_seconds * attempts
            if attempts == request.launch_attempts or self._clock() + wait >= deadline:
                break
            self.log.warning(
                "launching the Dagster run got no usable answer (attempt %s of %s: %s); "
                "looking it up before launching again",
                attempts,
                request.launch_attempts,
                last,
            )
            self._sleep(wait)
        adopted = self._patiently(find, request, deadline)
        if adopted:
            return self._adopted(adopted[0], attempts)
        raise DagsterApiError(
            f"could not launch the Dagster run of this task at {self.client.base_url}: "
            f"{attempts} attempt(s) got no usable answer and no run tagged with this "
            f"try was found (last: {last}); check that the Dagster webserver runs and "
            "answers, then clear the task"
        )

    def _adopted(self, run: DagsterRun, attempts: int) -> DagsterRun:
        self.log.info(
            "launch attempt %s got no usable answer but Dagster made run %s; "
            "following it instead of launching another",
            attempts,
            run.run_id,
        )
        return run

    def _warn_if_doubled(
        self,
        find: Callable[[], list[DagsterRun]],
        request: ProxyRequest,
        deadline: float,
        run: DagsterRun,
    ) -> None:
        """After a relaunch: an earlier attempt's request that Dagster carried out only
        after the lookup made a second run of this try; say so, naming both."""
        try:
            others = [r for r in self._patiently(find, request, deadline) if r.run_id != run.run_id]
        except DagsterApiError:
            return  # the run is launched; only the check of it failed
        if others:
            self.log.warning(
                "Dagster also made run %s for this try from an earlier launch request it "
                "carried out late; this task follows run %s (docs/airflow-side.md, "
                "launch retries)",
                ", ".join(r.run_id for r in others),
                run.run_id,
            )

    def _launched_for(self, request: ProxyRequest, before: frozenset[str]) -> list[DagsterRun]:
        """The runs tagged with this try that were not there before the first launch
        attempt, oldest first."""
        tags = {**request.identity_tags(), AIRFLOW_TRY_TAG: str(request.try_number)}
        return [r for r in reversed(self.client.find_runs(tags)) if r.run_id not in before]

    def _reusable(self, existing: list[DagsterRun], request: ProxyRequest) -> DagsterRun | None:
        """The run this try should end with or follow instead of launching one.

        A run that succeeded for a try since the task instance was last cleared is
        the result: Airflow is retrying after a lost worker, or after something
        failed once the run had succeeded. A run still going, from any try, is
        followed. A success from before the last clear is not reused: clearing a
        task is how a user asks for its assets to run again.
        """
        done = next(
            (
                r
                for r in existing
                if r.status == "SUCCESS" and _try_of(r) >= request.first_try_number
            ),
            None,
        )
        if done is not None:
            self.log.info(
                "Dagster run %s already succeeded for try %s of this task instance "
                "(not cleared since); not launching another: %s",
                done.run_id,
                done.tags.get(AIRFLOW_TRY_TAG, "?"),
                run_page_url(self.client, done.run_id),
            )
            return done
        running = next((r for r in existing if not r.finished), None)
        if running is not None:
            self.log.info(
                "following Dagster run %s launched by try %s",
                running.run_id,
                running.tags.get(AIRFLOW_TRY_TAG, "?"),
            )
            return running
        if existing:
            last = existing[0]
            why = "before the task was cleared" if last.status == "SUCCESS" else last.status
            self.log.info(
                "Dagster run %s of try %s ended %s; try %s launches a new run",
                last.run_id,
                last.tags.get(AIRFLOW_TRY_TAG, "?"),
                why,
                request.try_number,
            )
        return None

    def _retry_of(self, run: DagsterRun) -> DagsterRun | None:
        chain = self.client.find_runs({ROOT_RUN_TAG: run.root_run_id})
        return next((r for r in chain if r.tags.get(PARENT_RUN_TAG) == run.run_id), None)

    def _patiently(self, call: Callable[[], T], request: ProxyRequest, deadline: float) -> T:
        """``call()``, retried after transient errors (a 502, a timeout, a dropped
        connection) until the overall deadline; the last error is raised then."""
        while True:
            try:
                return call()
            except TransientDagsterApiError as exc:
                if self._clock() + request.poll_interval_seconds >= deadline:
                    raise
                self.log.warning("Dagster did not answer (%s); asking again", exc)
                self._sleep(request.poll_interval_seconds)

    def _wait(self, run: DagsterRun, request: ProxyRequest, deadline: float) -> DagsterRun:
        current = run
        retry_wait_since: float | None = None
        while True:
            current = self._patiently(
                functools.partial(self.hooks.get_run, self.client, current.run_id),
                request,
                deadline,
            )
            if current.status == "SUCCESS":
                self.log.info("Dagster run %s succeeded", current.run_id)
                return current
            if current.finished:
                retry = self._patiently(
                    functools.partial(self._retry_of, current), request, deadline
                )
                if retry is not None:
                    self.log.info(
                        "Dagster run %s ended %s; following its retry %s",
                        current.run_id,
                        current.status,
                        retry.run_id,
                    )
                    current = retry
                    self.hooks.run_known(retry, run_page_url(self.client, retry.run_id))
                    retry_wait_since = None
                    continue
                if not current.will_retry:
                    raise DagsterRunFailed(
                        f"Dagster run {current.run_id} ended {current.status}; "
                        f"see {run_page_url(self.client, current.run_id)}",
                        current.run_id,
                    )
                retry_wait_since = self._clock() if retry_wait_since is None else retry_wait_since
                if self._clock() - retry_wait_since >= request.retry_appear_seconds:
                    raise DagsterRunFailed(
                        f"Dagster run {current.run_id} ended {current.status} and is tagged "
                        f"dagster/will_retry=true, but no retry appeared within "
                        f"{request.retry_appear_seconds:.0f} s (is the Dagster daemon "
                        f"running?); see {run_page_url(self.client, current.run_id)}",
                        current.run_id,
                    )
            if self._clock() >= deadline:
                raise DagsterRunFailed(
                    f"Dagster run {current.run_id} did not finish within "
                    f"{request.timeout_seconds:.0f} s (status {current.status}); "
                    f"see {run_page_url(self.client, current.run_id)}",
                    current.run_id,
                )
            self._sleep(request.poll_interval_seconds)
