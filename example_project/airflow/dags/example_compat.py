"""Airflow 2 / Airflow 3 imports for the example DAGs, in one place.

Airflow 3 moved the authoring API to ``airflow.sdk`` and the operators to the
standard provider; Airflow 2 keeps them in ``airflow.models`` and
``airflow.operators``. Listed in ``.airflowignore``: it holds no DAG.
"""

from __future__ import annotations

try:  # Airflow 3
    from airflow.providers.standard.operators.bash import BashOperator
    from airflow.providers.standard.operators.python import PythonOperator
    from airflow.sdk import DAG, TaskGroup
except ImportError:  # Airflow 2
    from airflow.models import DAG  # type: ignore[no-redef]
    from airflow.operators.bash import BashOperator  # type: ignore[no-redef]
    from airflow.operators.python import PythonOperator  # type: ignore[no-redef]
    from airflow.utils.task_group import TaskGroup  # type: ignore[no-redef]

__all__ = ["DAG", "BashOperator", "PythonOperator", "TaskGroup"]
