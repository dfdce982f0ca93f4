"""A Dagster project whose only component peers an Airflow (the e2e tests point it at one)."""
