"""The Airflow plugin that registers airlift's "Dagster run" operator link.

Airflow 2 shows an operator's extra links only for link classes a plugin
registers. airlift-component registers this plugin under the ``airflow.plugins``
entry point (``pyproject.toml``), so Airflow 2 loads it wherever the package is
installed in its environment: nothing to put in the plugins folder. Airflow 3
needs no plugin (the worker stores the link) and loads it without harm.

Only Airflow reads that entry point: an environment without Airflow (the Dagster
side, the base CLI) never imports this module. Where the package is not
installed as a distribution (its folder put on ``PYTHONPATH`` by hand), there is
no entry point; a file in the plugins folder then does the same::

    # $AIRFLOW_HOME/plugins/airlift_plugin.py
    from airflow_side.plugin import AirliftPlugin  # noqa: F401
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from airflow_side.links import DagsterRunLink


class AirliftPlugin(AirflowPlugin):
    """Registers :class:`~airflow_side.links.DagsterRunLink` (needed on Airflow 2);
    Airflow finds it through the ``airflow.plugins`` entry point."""

    name = "airlift"
    operator_extra_links = [DagsterRunLink()]
