"""The Airflow plugin that registers airlift's "Dagster run" operator link.

Airflow 2 shows an operator's extra links only for link classes a plugin
registers. Put a file in the plugins folder (``$AIRFLOW_HOME/plugins``) of the
webserver, scheduler and workers::

    # $AIRFLOW_HOME/plugins/airlift_plugin.py
    from airflow_side.plugin import AirliftPlugin  # noqa: F401

Airflow 3 needs no plugin (the worker stores the link); the file is harmless there.
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from airflow_side.links import DagsterRunLink


class AirliftPlugin(AirflowPlugin):
    """Registers :class:`~airflow_side.links.DagsterRunLink` (needed on Airflow 2)."""

    name = "airlift"
    operator_extra_links = [DagsterRunLink()]
