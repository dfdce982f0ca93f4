"""Talking to Airflow's stable REST API (v1 for Airflow 2, v2 for Airflow 3).

No Airflow import: this runs on the Dagster side and in the base CLI.
"""
