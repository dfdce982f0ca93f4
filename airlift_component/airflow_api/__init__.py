"""Talking to Airflow's stable REST API (v1 for Airflow 2, v2 for Airflow 3).

No Airflow import: this runs on the Dagster side and in the base CLI. The
entry point is :class:`~airlift_component.airflow_api.client.AirflowClient`;
the other modules each do one job for it:

==================  ==============================================================
``client``          the operations (DAGs, tasks, runs, task instances, trigger, pause)
``types``           the values it returns, the same for both API versions
``versions``        ``api: auto`` detection, and the auth flow for the version found
``endpoints``       paths and bodies that differ between ``/api/v1`` and ``/api/v2``
``dag_filter``      the instance's ``dags`` include / exclude / tags selection
``reader``          one answer or every page, parsed, with shape errors named
``parse``           JSON of either version into ``types``
``pagination``      ``limit`` / ``offset`` paging that survives a changing collection
``changed_runs``    runs changed since a time, paged with a one-run overlap (the sensor)
``asset_events``    asset (dataset) events since a time, newest first, without a gap
``transport``       one HTTP session: timeouts, TLS, retries, error mapping
``retry``           backoff with full jitter, ``Retry-After``, the overall deadline
``diagnostics``     error messages that say what to check, without secrets
``auth``            basic / JWT / token / astronomer flows and ``build_auth``
``cloud_auth``      MWAA (boto3) and Cloud Composer (google-auth), lazily imported
``custom_auth``     ``auth: {type: custom}``: the interface your class implements
==================  ==============================================================

The package itself imports nothing, so importing ``types`` stays cheap.
"""
