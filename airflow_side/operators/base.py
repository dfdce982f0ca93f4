"""The proxy operators' base classes: what runs when a proxied task runs.

Subclass :class:`BaseProxyTaskToDagsterOperator` (or the DAG one) and implement
:meth:`~BaseDagsterAssetsOperator.get_dagster_url` and
:meth:`~BaseDagsterAssetsOperator.get_dagster_session` to connect to Dagster your
way. The overridable methods are dagster-airlift's (same names and signatures)
and each is called; see ``docs/from-dagster-airlift.md`` for the few it has that
are not. Class names end in ``ProxyTaskToDagsterOperator`` /
``ProxyDAGToDagsterOperator``: the Dagster side recognises proxied tasks by that
name and does not record them twice.
"""

from __future__ import annotations

import dataclasses
import os
import warnings
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from airflow_side._compat import AirflowException, BaseOperator
from airflow_side._dagster_run import (
    DagsterRunner,
    ProxyRequest,
    first_try_since_clear,
)
from airflow_side._surgery import inherited_kwargs, local_task_id
from airflow_side.links import DagsterRunLink, task_instance_url
from airflow_side.operators._hooks import OperatorHooks, run_as_mapping
from airflow_side.redaction import RedactingLog, UnsafeUrlError, check_userinfo, redact
from airflow_side.xcom_return import DEFAULT_MAX_BYTES, HandedBack, read_return_value
from airflow_side.xcom_use import CONSUMERS_ATTR, consumers_message
from airlift_component.dagster_api import DagsterClient, DagsterRun
from airlift_component.dagster_api.client import read_field
from airlift_component.dagster_api.targets import ProxyTarget
from airlift_component.errors import AirliftError

#: Airflow's task context, as the hooks receive it.
Context = Mapping[str, Any]

#: Prefix of the id of the single task a DAG-level proxied DAG runs (dagster-airlift's).
DAG_PROXY_TASK_PREFIX = "DAGSTER_OVERRIDE_DAG_"
#: Environment variable naming the ``airlift.yaml`` instance these DAGs belong to.
INSTANCE_ENV = "AIRLIFT_INSTANCE"
#: Run tag asking Dagster to defer the run's asset events (dagster-airlift's).
DEFER_ASSET_EVENTS_TAG = "dagster/defer_asset_events"

#: dagster-airlift methods this project does not call, and what to override instead.
NOT_CALLED = {
    "get_all_asset_nodes": "assets are looked up by key, never all at once; "
    "override filter_asset_nodes",
    "wait_for_run_to_complete": "override get_dagster_run_obj",
    "wait_for_run_and_retries_to_complete": "override get_dagster_run_obj",
}


def dag_proxy_task_id(dag_id: str) -> str:
    """Id of the task that runs a whole proxied DAG: ``DAGSTER_OVERRIDE_DAG_<dag_id>``."""
    return f"{DAG_PROXY_TASK_PREFIX}{dag_id}"


class BaseDagsterAssetsOperator(BaseOperator):
    """What the task and DAG proxy operators share: find the assets, launch one
    Dagster run (at most once per Airflow try) and follow it to the end.

    Keyword arguments, besides Airflow's: ``airlift_instance`` (the
    ``airlift.yaml`` instance name, else ``$AIRLIFT_INSTANCE``),
    ``dagster_run_timeout_seconds`` (overall limit, retries included) and
    ``dagster_run_status_poll_interval`` (seconds between polls).
    """

    ui_color = "#c5b4ff"
    #: "Dagster run" in the task's extra links (Airflow 2 also needs the plugin,
    #: :mod:`airflow_side.plugin`).
    operator_extra_links = (DagsterRunLink(),)
    #: The ``airlift.yaml`` instance name; else ``$AIRLIFT_INSTANCE``.
    airlift_instance: str | None = None
    #: Overall limit for the Dagster run, retries included.
    dagster_run_timeout_seconds: float = 6 * 3600
    #: Timeout of each GraphQL request.
    dagster_request_timeout_seconds: float = 30.0
    dagster_poll_interval_seconds: float = 2.0
    #: How long a run Dagster will retry may go without its retry appearing.
    dagster_retry_appear_seconds: float = 120.0
    #: Launch requests at most per try when one gets no usable answer (a timeout, a
    #: dropped connection, HTTP 5xx); the run is looked up by its tags before each.
    dagster_launch_attempts: int = 4
    #: Largest value a Dagster run may hand back as the task's XCom (JSON bytes).
    xcom_return_value_max_bytes: int = DEFAULT_MAX_BYTES
    _current_client: DagsterClient | None = None
    _handed_back: HandedBack | None = None

    def __init__(
        self,
        *,
        airlift_instance: str | None = None,
        dagster_run_timeout_seconds: float | None = None,
        dagster_run_status_poll_interval: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if airlift_instance:
            self.airlift_instance = airlift_instance
        if dagster_run_timeout_seconds:
            self.dagster_run_timeout_seconds = dagster_run_timeout_seconds
        if dagster_run_status_poll_interval is not None:
            self.dagster_poll_interval_seconds = dagster_run_status_poll_interval

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name, instead in NOT_CALLED.items():
            if name in vars(cls):
                warnings.warn(
                    f"{cls.__name__}.{name} is never called by airflow_side ({instead})",
                    stacklevel=2,
                )

    # -- connecting to Dagster ------------------------------------------------

    def get_dagster_url(self, context: Context) -> str:
        """The Dagster webserver (or Dagster+ deployment) URL to talk to."""
        raise NotImplementedError(f"{type(self).__name__} must implement get_dagster_url(context)")

    def get_dagster_session(self, context: Context) -> Any:
        """A requests-like session (``post(url, json=, timeout=)``) carrying auth headers."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement get_dagster_session(context)"
        )

    def get_airlift_instance(self, context: Context) -> str:
        """The Airflow instance name used in ``airlift.yaml`` (it prefixes the asset tags)."""
        instance = self.airlift_instance or os.environ.get(INSTANCE_ENV)
        if not instance:
            raise AirflowException(
                f"{type(self).__name__} does not know which airlift.yaml instance this "
                f"Airflow is: set the environment variable {INSTANCE_ENV} (or the "
                "operator's airlift_instance)"
            )
        return instance

    def get_valid_graphql_response(self, response: Any, key: str) -> Any:
        """Root field ``key`` of a GraphQL HTTP response; raise when it is unusable."""
        return read_field(response, key)

    # -- what Airflow knows ---------------------------------------------------

    def get_attribute_from_airflow_context(self, context: Context, attribute: str) -> Any:
        value = context.get(attribute)
        if value is None:
            raise AirflowException(f"the Airflow task context has no {attribute!r}")
        return value

    def get_airflow_dag_run_id(self, context: Context) -> str:
        dag_run = context.get("dag_run")
        if dag_run is not None:
            return str(dag_run.run_id)
        return str(self.get_attribute_from_airflow_context(context, "run_id"))

    def get_airflow_dag_id(self, context: Context) -> str:
        """The DAG whose assets run (and whose id the run is tagged with)."""
        dag_run = context.get("dag_run")
        return str(dag_run.dag_id) if dag_run is not None else self.dag_id

    def get_airflow_task_id(self, context: Context) -> str:
        task = context.get("task")
        return str(task.task_id) if task is not None else self.task_id

    def get_airflow_logical_date(self, context: Context) -> datetime | None:
        """The logical date (``None`` for an Airflow 3 run without one)."""
        logical: datetime | None = context.get("logical_date") or context.get("data_interval_start")
        return logical

    def default_dagster_run_tags(self, context: Context) -> dict[str, str]:
        """Tags of the launched run. Override to add your own (``super()`` first): the
        identity tags (instance, DAG, run, task) and the try number are kept."""
        task_id = self.get_airflow_task_id(context) if self.proxied_task_id() else None
        identity = ProxyRequest(
            instance=self.get_airlift_instance(context),
            dag_id=self.get_airflow_dag_id(context),
            task_id=task_id,
            airflow_run_id=self.get_airflow_dag_run_id(context),
            try_number=0,
        )
        return identity.identity_tags()

    # -- choosing and running the assets --------------------------------------

    def filter_asset_nodes(
        self, context: Context, asset_nodes: Sequence[Mapping[str, Any]]
    ) -> Iterable[Mapping[str, Any]]:
        """The asset nodes (GraphQL ``AssetNode`` dicts) to run, out of those mapped to
        the task; all of them by default."""
        return asset_nodes

    def get_partition_key(self, context: Context, partitioning_info: ProxyTarget) -> str | None:
        """The partition to run when the assets are partitioned; by default the
        time partition of the logical date."""
        from airflow_side._dagster_run import partition_key

        return partition_key(partitioning_info, self.get_airflow_logical_date(context))

    def launch_dagster_run(
        self,
        context: Context,
        session: Any,
        dagster_url: str,
        execution_params: Mapping[str, Any],
    ) -> str:
        """Launch a run from Dagster's ``ExecutionParams``; returns its run id."""
        return self._dagster_client().launch(execution_params).run_id

    def get_dagster_run_obj(self, session: Any, dagster_url: str, run_id: str) -> Mapping[str, Any]:
        """The run as GraphQL's ``Run`` (``runId``, ``status``, ``tags``)."""
        return run_as_mapping(self._dagster_client().get_run(run_id))

    def proxied_task_id(self) -> str | None:
        """The Airflow task whose assets run; ``None`` for the whole DAG."""
        return self.task_id

    def _request(self, context: Context, dag_id: str, task_id: str | None) -> ProxyRequest:
        ti = context["ti"]
        try_number = int(getattr(ti, "try_number", 1) or 1)
        return ProxyRequest(
            instance=self.get_airlift_instance(context),
            dag_id=dag_id,
            task_id=task_id if self.proxied_task_id() is not None else None,
            airflow_run_id=self.get_airflow_dag_run_id(context),
            try_number=try_number,
            logical_date=self.get_airflow_logical_date(context),
            first_try_number=first_try_since_clear(
                try_number, getattr(ti, "max_tries", None), self.retries
            ),
            timeout_seconds=self.dagster_run_timeout_seconds,
            poll_interval_seconds=self.dagster_poll_interval_seconds,
            retry_appear_seconds=self.dagster_retry_appear_seconds,
            launch_attempts=max(1, int(self.dagster_launch_attempts)),
            task_instance_url=task_instance_url(context),
        )

    def _dagster_client(self) -> DagsterClient:
        """The client of the run being launched (set by :meth:`launch_runs_for_task`)."""
        if self._current_client is None:
            raise AirflowException("no Dagster client: call launch_runs_for_task first")
        return self._current_client

    def launch_runs_for_task(self, context: Context, dag_id: str, task_id: str) -> str:
        """Launch (or find) the Dagster run of the task's assets and wait for it;
        returns its run id."""
        extra = {k: str(v) for k, v in self.default_dagster_run_tags(context).items()}
        request = dataclasses.replace(self._request(context, dag_id, task_id), extra_tags=extra)
        url = self.get_dagster_url(context)
        try:
            check_userinfo(url, f"from {type(self).__name__}.get_dagster_url")
        except UnsafeUrlError as exc:
            raise AirflowException(str(exc)) from None
        session = self.get_dagster_session(context)
        overridden = (
            type(self).get_valid_graphql_response
            is not BaseDagsterAssetsOperator.get_valid_graphql_response
        )
        client = DagsterClient(
            url,
            session=session,
            timeout=self.dagster_request_timeout_seconds,
            read_field=self.get_valid_graphql_response if overridden else None,
        )
        self._current_client = client
        hooks = OperatorHooks(self, context, session)
        self._handed_back = None
        log = RedactingLog(self.log, url)
        try:
            run: DagsterRun = DagsterRunner(client, log=log, hooks=hooks).run(request)
            if self.proxied_task_id() is not None:
                self._handed_back = read_return_value(
                    client, run, max_bytes=self.xcom_return_value_max_bytes
                )
            return run.run_id
        except AirliftError as exc:
            raise AirflowException(redact(str(exc), url)) from None
        except Exception as exc:  # a hook's own error (user code, an HTTP library)
            text = str(exc)
            if redact(text, url) != text:
                raise AirflowException(f"{type(exc).__name__}: {redact(text, url)}") from None
            raise
        finally:
            close = getattr(session, "close", None)
            if callable(close):
                close()

    def execute(self, context: Any) -> Any:
        """Run the assets in Dagster; returns what the run handed back (the task's XCom)."""
        # Defined on an operator class (not a mixin): Airflow 2 wraps only an
        # ``execute`` found in the body of a class its metaclass creates.
        run_id = self.launch_runs_for_task(
            context, self.get_airflow_dag_id(context), self.get_airflow_task_id(context)
        )
        return self._return_value(run_id)

    def _return_value(self, run_id: str) -> Any:
        """The value the run handed back, checked against ``multiple_outputs``; None
        when it handed none back (with a warning when other tasks read this XCom)."""
        handed = self._handed_back
        if handed is None or not handed.found:
            consumers = getattr(self, CONSUMERS_ATTR, None)
            if consumers:
                self.log.warning(
                    "%s. Dagster run %s handed nothing back.",
                    consumers_message(self.dag_id, self.task_id, consumers),
                    run_id,
                )
            return None
        if getattr(self, "multiple_outputs", False) and not isinstance(handed.value, dict):
            raise AirflowException(
                f"task {self.task_id!r} has multiple_outputs=True, but Dagster run {run_id} "
                f"handed back a {type(handed.value).__name__} in {', '.join(handed.assets)}; "
                "hand back a JSON object (a dict) whose keys are the outputs"
            )
        self.log.info(
            "Dagster run %s handed back a value (from %s); it is this task's XCom",
            run_id,
            ", ".join(handed.assets),
        )
        return handed.value


class BaseProxyTaskToDagsterOperator(BaseDagsterAssetsOperator):
    """Runs, in Dagster, the assets mapped to the Airflow task it replaces.

    Built by :meth:`build_from_task` from the original task: same id, edges,
    task group, retries, pool, queue, timeouts, SLA and callbacks.
    """

    @property
    def should_defer_asset_events(self) -> bool:
        """True to tag the run ``dagster/defer_asset_events=true``."""
        return False

    def default_dagster_run_tags(self, context: Context) -> dict[str, str]:
        tags = super().default_dagster_run_tags(context)
        if self.should_defer_asset_events:
            tags[DEFER_ASSET_EVENTS_TAG] = "true"
        return tags

    @classmethod
    def build_from_task(cls, task: Any) -> BaseProxyTaskToDagsterOperator:
        """A proxy for ``task``, created in its DAG and task group."""
        return build_dagster_task(task, cls)


class BaseProxyDAGToDagsterOperator(BaseDagsterAssetsOperator):
    """Runs, in Dagster, every asset mapped to the DAG (the DAG's only task)."""

    def proxied_task_id(self) -> str | None:
        return None

    @classmethod
    def build_from_dag(cls, dag: Any) -> BaseProxyDAGToDagsterOperator:
        """The single task (``DAGSTER_OVERRIDE_DAG_<dag_id>``) that replaces all of
        ``dag``'s tasks."""
        return cls(task_id=dag_proxy_task_id(dag.dag_id), dag=dag)


def build_dagster_task(
    original_task: Any, dagster_operator_klass: type[BaseProxyTaskToDagsterOperator]
) -> BaseProxyTaskToDagsterOperator:
    """An instance of ``dagster_operator_klass`` standing in for ``original_task``:
    same id, DAG, task group and operator settings (retries, pool, callbacks...)."""
    return dagster_operator_klass(
        task_id=local_task_id(original_task),
        dag=original_task.dag,
        task_group=original_task.task_group,
        **inherited_kwargs(original_task),
    )
