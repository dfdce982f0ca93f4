"""Developer tools for airlift-component: not part of the shipped package.

``devtools.local_stack`` starts real, throw-away Airflow 2, Airflow 3 and Dagster
servers on loopback ports. The test fixtures (``tests/conftest.py``) and the
one-command demo (``scripts/demo``) both use it.
"""
