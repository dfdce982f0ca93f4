"""What the CLI, the Dagster component and the sensor share about an Airflow instance.

The fetched state and its file (:mod:`.state`, :mod:`.fetch`), the lineage of
a task graph (:mod:`.task_graph`), which tasks ran in Dagster
(:mod:`.proxied`), links into Airflow's UI (:mod:`.ui_urls`) and drift
against ``airlift.yaml`` (:mod:`.drift`). The sensor's cursor and decisions
are in :mod:`airlift_component.sensor`. Imports no Dagster and no Airflow: the
base install uses it.
"""
