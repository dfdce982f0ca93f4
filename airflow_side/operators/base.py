"""The proxy operators' base classes: what runs when a proxied task runs.

Subclass one of them and implement :meth:`get_dagster_url` and
:meth:`get_dagster_session` to connect to Dagster your way. Class names end in
``ProxyTaskToDagsterOperator`` / ``ProxyDAGToDagsterOperator``: the Dagster side
recognises proxied tasks by that name and does not record them twice.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from airflow_side._compat import AirflowException, BaseOperator
from airflow_side._dagster_run import DagsterRunner, ProxyRequest, first_try_since_clear
from airflow_side._surgery import inherited_kwargs, local_task_id
from airlift_component.dagster_api import DagsterClient
from airlift_component.errors import AirliftError

#: Task id of the single task a DAG-level proxied DAG runs.
DAG_PROXY_TASK_ID = "launch_dagster_dag"
#: Environment variable naming the ``airlift.yaml`` instance these DAGs belong to.
INSTANCE_ENV = "AIRLIFT_INSTANCE"


class _DagsterProxyMixin:
    """Shared run-time behaviour of the task and DAG proxy operators."""

    #: The ``airlift.yaml`` instance name; else ``$AIRLIFT_INSTANCE``.
    airlift_instance: str | None = None
    #: Overall limit for the Dagster run, retries included.
    dagster_run_timeout_seconds: float = 6 * 3600
    #: Timeout of each GraphQL request.
    dagster_request_timeout_seconds: float = 30.0
    dagster_poll_interval_seconds: float = 2.0

    # Set by BaseOperator; declared for type checkers.
    task_id: str
    dag_id: str
    retries: int | None
    log: Any

    def get_dagster_url(self, context: Mapping[str, Any]) -> str:
        """The Dagster webserver (or Dagster+ deployment) URL to talk to."""
        raise NotImplementedError(f"{type(self).__name__} must implement get_dagster_url(context)")

    def get_dagster_session(self, context: Mapping[str, Any]) -> Any:
        """A requests-like session (``post(url, json=, timeout=)``) carrying auth headers."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement get_dagster_session(context)"
        )

    def get_airlift_instance(self, context: Mapping[str, Any]) -> str:
        """The Airflow instance name used in ``airlift.yaml`` (it prefixes the asset tags)."""
        instance = self.airlift_instance or os.environ.get(INSTANCE_ENV)
        if not instance:
            raise AirflowException(
                f"{type(self).__name__} does not know which airlift.yaml instance this "
                f"Airflow is: set the environment variable {INSTANCE_ENV} (or the "
                "operator's airlift_instance)"
            )
        return instance

    def _configure(self, airlift_instance: str | None, timeout_seconds: float | None) -> None:
        if airlift_instance:
            self.airlift_instance = airlift_instance
        if timeout_seconds:
            self.dagster_run_timeout_seconds = timeout_seconds

    def proxied_task_id(self) -> str | None:
        """The Airflow task whose assets run; ``None`` for the whole DAG."""
        return self.task_id

    def run_in_dagster(self, context: Any) -> str:
        """Launch (or find) the Dagster run and wait for it; returns its run id."""
        ti = context["ti"]
        logical: datetime | None = context.get("logical_date") or context.get("data_interval_start")
        try_number = int(getattr(ti, "try_number", 1) or 1)
        request = ProxyRequest(
            instance=self.get_airlift_instance(context),
            dag_id=self.dag_id,
            task_id=self.proxied_task_id(),
            airflow_run_id=context["run_id"],
            try_number=try_number,
            logical_date=logical,
            first_try_number=first_try_since_clear(
                try_number, getattr(ti, "max_tries", None), self.retries
            ),
            timeout_seconds=self.dagster_run_timeout_seconds,
            poll_interval_seconds=self.dagster_poll_interval_seconds,
        )
        session = self.get_dagster_session(context)
        client = DagsterClient(
            self.get_dagster_url(context),
            session=session,
            timeout=self.dagster_request_timeout_seconds,
        )
        try:
            return DagsterRunner(client, log=self.log).run(request).run_id
        except AirliftError as exc:
            raise AirflowException(str(exc)) from None
        finally:
            close = getattr(session, "close", None)
            if callable(close):
                close()


class BaseProxyTaskToDagsterOperator(_DagsterProxyMixin, BaseOperator):
    """Runs, in Dagster, the assets mapped to the Airflow task it replaces.

    Built by :meth:`build_from_task` from the original task: same id, edges,
    task group, retries, pool, queue, timeouts, SLA and callbacks.
    """

    ui_color = "#c5b4ff"

    def __init__(
        self,
        *,
        airlift_instance: str | None = None,
        dagster_run_timeout_seconds: float | None = None,
        **kwargs: Any,
    ) -> None:
        """``airlift_instance``: the ``airlift.yaml`` instance name (else
        ``$AIRLIFT_INSTANCE``); ``dagster_run_timeout_seconds``: overall limit."""
        super().__init__(**kwargs)
        self._configure(airlift_instance, dagster_run_timeout_seconds)

    def execute(self, context: Any) -> str:
        # Defined on the operator class itself: Airflow 2 wraps only an
        # ``execute`` found in the class body (its executor safeguard).
        return self.run_in_dagster(context)

    @classmethod
    def build_from_task(cls, task: Any) -> BaseProxyTaskToDagsterOperator:
        """A proxy for ``task``, created in its DAG and task group."""
        return cls(
            task_id=local_task_id(task),
            dag=task.dag,
            task_group=task.task_group,
            **inherited_kwargs(task),
        )


class BaseProxyDAGToDagsterOperator(_DagsterProxyMixin, BaseOperator):
    """Runs, in Dagster, every asset mapped to the DAG (the DAG's only task)."""

    ui_color = "#c5b4ff"

    def __init__(
        self,
        *,
        airlift_instance: str | None = None,
        dagster_run_timeout_seconds: float | None = None,
        **kwargs: Any,
    ) -> None:
        """``airlift_instance``: the ``airlift.yaml`` instance name (else
        ``$AIRLIFT_INSTANCE``); ``dagster_run_timeout_seconds``: overall limit."""
        super().__init__(**kwargs)
        self._configure(airlift_instance, dagster_run_timeout_seconds)

    def proxied_task_id(self) -> str | None:
        return None

    def execute(self, context: Any) -> str:
        # Defined on the operator class itself: Airflow 2 wraps only an
        # ``execute`` found in the class body (its executor safeguard).
        return self.run_in_dagster(context)

    @classmethod
    def build_from_dag(cls, dag: Any) -> BaseProxyDAGToDagsterOperator:
        """The single task that replaces all of ``dag``'s tasks."""
        return cls(task_id=DAG_PROXY_TASK_ID, dag=dag)
