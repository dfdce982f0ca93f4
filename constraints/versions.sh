# The Airflow releases the development environments install and the Python
# versions constraints are kept for. scripts/setup and scripts/constraints
# read this file; change a version here, then run scripts/constraints.
AIRFLOW2_VERSION=2.10.5
AIRFLOW3_VERSION=3.3.2
AIRFLOW2_PYTHONS="3.11 3.12"
AIRFLOW3_PYTHONS="3.11 3.12 3.13"
# Airflow 3's pins the shared .venv cannot keep beside Dagster: Airflow 3.3.2's
# OpenTelemetry exporters want protobuf 7, Dagster wants protobuf<7. The resolver
# picks an OpenTelemetry that accepts both.
AIRFLOW3_PINS_DAGSTER_OVERRIDES="protobuf googleapis-common-protos opentelemetry-*"
