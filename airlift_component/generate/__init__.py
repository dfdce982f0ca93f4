"""`airlift generate`: the Dagster asset for an Airflow task, written from its definition.

The DAG file is read by its syntax (:mod:`ast`), never imported: the Dagster
environment has no Airflow. Each task is translated by the translator of its
operator, or refused with the reason and the line; nothing is approximated.

* :mod:`.source` reads a DAG file's text and syntax tree;
* :mod:`.dag_finder` finds the DAGs and their tasks (``with DAG(...)`` and ``@dag``/``@task``);
* :mod:`.translate_bash`, :mod:`.translate_empty`, :mod:`.translate_python`,
  :mod:`.translate_sql`, :mod:`.translate_k8s` translate one operator each
  (:mod:`.translators` picks one);
* :mod:`.render` writes the module the user owns, :mod:`.header` tells whether it was edited;
* :mod:`.yaml_code_edit` points the mapped keys' ``code:`` at it in ``airlift.yaml``;
* :mod:`.plan` ties these together for the command;
* :mod:`.runtime` is what the generated modules call when they run (no Dagster, no Airflow).
"""

from __future__ import annotations

from airlift_component.generate.refusals import GenerateError, Refusal

__all__ = ["GenerateError", "Refusal"]
