"""Moving a DAG's schedule from Airflow to Dagster: what replaces it, derived from Airflow.

Dagster-free and Airflow-free: the CLI and the component both read it.
"""
