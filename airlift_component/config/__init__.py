"""Reading, validating and writing airlift.yaml and proxied-state files.

Imports neither Dagster nor Airflow: the base CLI and the Airflow side use it.
"""
